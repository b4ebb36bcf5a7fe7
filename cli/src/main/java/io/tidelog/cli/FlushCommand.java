package io.tidelog.cli;

import io.tidelog.client.Flushed;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.Rows;
import io.tidelog.proto.SegmentInfo;
import io.tidelog.proto.SegmentState;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flush --collection C [--wait]}: seals every growing segment of a collection and prints the sealed segments;
 * with {@code --wait}, once they are in object storage.
 */
@Command(name = "flush", mixinStandardHelpOptions = true,
        description = {"Seal every growing segment of a collection, on every vchannel, and print the sealed segment",
                "ids; with --wait, once every one of them is in object storage (a progress line on a terminal).",
                "--json: {\"collection\",\"collectionId\",\"flushTimeTick\",\"segmentIds\",\"uploaded\"}."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.OK_LINE, ExitCodes.FAILED_LINE, ExitCodes.USAGE_LINE, ExitCodes.RETRIABLE_LINE, ExitCodes.DENIED_LINE})
public final class FlushCommand extends ClientCommand {
    @Option(names = "--collection", required = true, paramLabel = "NAME", description = "The collection.")
    String collection;

    @Option(names = "--wait", description = "Wait until the sealed segments are in object storage.")
    boolean await;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "120", converter = Flags.Seconds.class,
            description = "With --wait: how long to wait for the uploads, then TIMEOUT (exit 3) (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    /** Between two looks at the segments while waiting. */
    static final Duration POLL = Duration.ofMillis(200);

    FlushCommand(CommandContext ctx) {
        super(ctx);
    }

    @Override
    int run(StreamingClient client, PrintWriter out, PrintWriter err) {
        Flushed f = client.collections().flushBlocking(collection);
        if (await) {
            awaitUploads(client, f, err);
        }
        if (server.json) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("collection", collection);
            j.put("collectionId", f.collectionId());
            j.put("flushTimeTick", f.flushTimeTick());
            j.put("segmentIds", f.segmentIds());
            j.put("uploaded", await);
            out.println(Rows.toJson(j));
        } else {
            out.println("flushed collection " + collection + " up to tt=" + Long.toUnsignedString(f.flushTimeTick()) + ": "
                    + (f.segmentIds().isEmpty() ? "no growing segments"
                    : "sealed segments " + f.segmentIds().stream().map(String::valueOf).collect(Collectors.joining(" ")))
                    + (await && !f.segmentIds().isEmpty() ? ", all in object storage" : ""));
        }
        return ExitCodes.OK;
    }

    /** Until every segment sealed by the flush is listed as flushed; TIMEOUT after {@link #timeout}. */
    private void awaitUploads(StreamingClient client, Flushed f, PrintWriter err) {
        Set<Long> pending = new HashSet<>(f.segmentIds());
        int total = pending.size();
        Progress progress = Progress.forTerminal(err, "segments uploaded");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (SegmentInfo s : client.collections().segmentsBlocking(collection)) {
                if (s.getState() == SegmentState.SEGMENT_FLUSHED) {
                    pending.remove(s.getSegmentId());
                }
            }
            progress.update(total - pending.size());
            if (pending.isEmpty()) {
                progress.finish(total);
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                progress.finish(total - pending.size());
                throw new StreamingException(ErrorCode.TIMEOUT, (total - pending.size()) + " of " + total
                        + " sealed segments of " + collection + " are in object storage after " + timeout.toSeconds()
                        + " s (--timeout); still uploading: " + new TreeSet<>(pending));
            }
            try {
                Thread.sleep(POLL.toMillis()); // a poll interval between two listings, not synchronisation
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StreamingException(ErrorCode.ON_SHUTDOWN, "interrupted while waiting for the uploads");
            }
        }
    }
}
