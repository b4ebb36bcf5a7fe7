package io.tidelog.cli;

import io.tidelog.client.Flushed;
import io.tidelog.client.StreamingClient;
import io.tidelog.message.Rows;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flush --collection C}: seals every growing segment of a collection and prints the sealed segments. */
@Command(name = "flush", mixinStandardHelpOptions = true,
        description = {"Seal every growing segment of a collection, on every vchannel, and print the sealed segment",
                "ids. --json: {\"collection\",\"collectionId\",\"flushTimeTick\",\"segmentIds\"}."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.OK_LINE, ExitCodes.FAILED_LINE, ExitCodes.USAGE_LINE, ExitCodes.RETRIABLE_LINE, ExitCodes.DENIED_LINE})
public final class FlushCommand extends ClientCommand {
    @Option(names = "--collection", required = true, paramLabel = "NAME", description = "The collection.")
    String collection;

    FlushCommand(CommandContext ctx) {
        super(ctx);
    }

    @Override
    int run(StreamingClient client, PrintWriter out, PrintWriter err) {
        Flushed f = client.collections().flushBlocking(collection);
        if (server.json) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("collection", collection);
            j.put("collectionId", f.collectionId());
            j.put("flushTimeTick", f.flushTimeTick());
            j.put("segmentIds", f.segmentIds());
            out.println(Rows.toJson(j));
        } else {
            out.println("flushed collection " + collection + " up to tt=" + Long.toUnsignedString(f.flushTimeTick()) + ": "
                    + (f.segmentIds().isEmpty() ? "no growing segments"
                    : "sealed segments " + f.segmentIds().stream().map(String::valueOf).collect(Collectors.joining(" "))));
        }
        return ExitCodes.OK;
    }
}
