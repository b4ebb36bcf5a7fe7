package io.tidelog.cli;

import io.tidelog.client.StreamingClient;
import io.tidelog.message.Rows;
import io.tidelog.proto.SegmentInfo;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code segments --collection C}: the segments of a collection, growing and in object storage. */
@Command(name = "segments", mixinStandardHelpOptions = true,
        description = {"List the segments of a collection: growing ones (rows only in the WAL), flushed ones (Parquet",
                "in object storage) and delete logs, with rows, time-tick range and object keys.",
                "--json: one object per line {\"segmentId\",\"partitionId\",\"vchannel\",\"state\",\"rows\",",
                "\"minTimeTick\",\"maxTimeTick\",\"objectKeys\"}; state is GROWING, FLUSHED or DELETE_LOG."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.OK_LINE, ExitCodes.FAILED_LINE, ExitCodes.USAGE_LINE, ExitCodes.RETRIABLE_LINE, ExitCodes.DENIED_LINE})
public final class SegmentsCommand extends ClientCommand {
    @Option(names = "--collection", required = true, paramLabel = "NAME", description = "The collection.")
    String collection;

    SegmentsCommand(CommandContext ctx) {
        super(ctx);
    }

    static String state(SegmentInfo s) {
        return s.getState().name().replaceFirst("^SEGMENT_", "");
    }

    @Override
    int run(StreamingClient client, PrintWriter out, PrintWriter err) {
        List<SegmentInfo> segments = client.collections().segmentsBlocking(collection);
        for (SegmentInfo s : segments) {
            if (server.json) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("segmentId", s.getSegmentId());
                j.put("partitionId", s.getPartitionId());
                j.put("vchannel", s.getVchannel());
                j.put("state", state(s));
                j.put("rows", s.getRows());
                j.put("minTimeTick", Long.toUnsignedString(s.getMinTimeTick()));
                j.put("maxTimeTick", Long.toUnsignedString(s.getMaxTimeTick()));
                j.put("objectKeys", s.getObjectKeysList());
                out.println(Rows.toJson(j));
            } else {
                String which = s.getState() == io.tidelog.proto.SegmentState.SEGMENT_DELETE_LOG ? ""
                        : "segment=" + s.getSegmentId() + " partition=" + s.getPartitionId() + " ";
                out.printf("%-10s %svchannel=%s rows=%d tt=%s..%s%s%n", state(s), which, s.getVchannel(), s.getRows(),
                        Long.toUnsignedString(s.getMinTimeTick()),
                        Long.toUnsignedString(s.getMaxTimeTick()),
                        s.getObjectKeysCount() == 0 ? "" : " keys=" + String.join(",", s.getObjectKeysList()));
            }
        }
        if (!server.json && segments.isEmpty()) {
            out.println("collection " + collection + " has no segments yet");
        }
        return ExitCodes.OK;
    }
}
