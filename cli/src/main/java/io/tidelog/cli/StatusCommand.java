package io.tidelog.cli;

import io.tidelog.client.ClusterStatus;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.StreamingException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code status}: every pchannel with its owner, term, availability, last time tick and backlog; every node. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show every pchannel with its owner node, term, availability, last time tick (also as UTC "
                + "time), backlog (messages in flight, write-ahead buffer bytes, messages appended in the term), the "
                + "bytes its WAL retains, its earliest retained message (id and UTC time) and its durable subscriptions, "
                + "and every node; then, for each unavailable pchannel, why (for example a full disk). --json prints one "
                + "object: {\"pchannels\":[...],\"nodes\":[...]}, the reason as \"unavailableReason\", with also where the "
                + "WAL was last truncated, its checkpoint, and what keeps it from being truncated further (checkpoint, "
                + "wal.retention.time, wal.retention.bytes or a subscription)."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.OK_LINE, ExitCodes.FAILED_LINE, ExitCodes.USAGE_LINE, ExitCodes.RETRIABLE_LINE})
public final class StatusCommand implements Callable<Integer> {
    private final CommandContext ctx;

    @Spec
    CommandSpec spec;

    @Mixin
    ServerOptions server = new ServerOptions();

    StatusCommand(CommandContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (StreamingClient client = ctx.connector().apply(server.server).build()) {
            ClusterStatus s = client.statusBlocking();
            out.print(server.json ? json(s) + System.lineSeparator() : table(s));
            out.flush();
            return ExitCodes.OK;
        } catch (StreamingException e) {
            return CommandContext.fail(err, e);
        }
    }

    static String json(ClusterStatus s) {
        List<String> pchannels = new ArrayList<>();
        for (ClusterStatus.PchannelStatus p : s.pchannels()) {
            Json j = new Json().string("pchannel", p.pchannel()).string("nodeId", p.nodeId()).number("term", p.term())
                    .bool("available", p.available()).unsigned("lastTimeTick", p.lastTimeTick())
                    .string("lastTime", p.lastTime() == null ? null : p.lastTime().toString())
                    .string("lastMessageId", p.lastId() == null ? null : p.lastId().toString())
                    .number("inFlight", p.inFlight()).number("bufferBytes", p.bufferBytes())
                    .number("appended", p.appended()).number("retainedBytes", p.retainedBytes())
                    .string("unavailableReason", p.unavailableReason().isEmpty() ? null : p.unavailableReason());
            ClusterStatus.Retention r = p.retention();
            j.string("earliestMessageId", r.earliestId() == null ? null : r.earliestId().toString())
                    .unsigned("earliestTimeTick", r.earliestTimeTick())
                    .string("earliestTime", r.earliestTime() == null ? null : r.earliestTime().toString())
                    .string("truncatedBelow", r.truncatedBelow() == null ? null : r.truncatedBelow().toString())
                    .string("truncationBound", r.bound().isEmpty() ? null : r.bound())
                    .number("subscriptions", r.subscriptions()).number("subscriptionsLetGo", r.letGo())
                    .string("checkpointMessageId", r.checkpointId() == null ? null : r.checkpointId().toString());
            pchannels.add(j.toString());
        }
        List<String> nodes = new ArrayList<>();
        for (ClusterStatus.NodeStatus n : s.nodes()) {
            nodes.add(new Json().string("nodeId", n.nodeId()).string("address", n.address()).bool("alive", n.alive())
                    .toString());
        }
        return new Json().raw("pchannels", "[" + String.join(",", pchannels) + "]")
                .raw("nodes", "[" + String.join(",", nodes) + "]").toString();
    }

    static String table(ClusterStatus s) {
        TextTable pchannels = new TextTable("PCHANNEL", "NODE", "TERM", "AVAILABLE", "LAST TIME TICK", "LAST TIME", "IN FLIGHT",
                "BUFFER BYTES", "APPENDED", "WAL BYTES", "EARLIEST", "EARLIEST TIME", "SUBS");
        for (ClusterStatus.PchannelStatus p : s.pchannels()) {
            pchannels.row(p.pchannel(), p.nodeId().isEmpty() ? "-" : p.nodeId(), Long.toString(p.term()),
                    p.available() ? "yes" : "no",
                    p.lastTimeTick() == 0 ? "-" : Long.toUnsignedString(p.lastTimeTick()),
                    p.lastTime() == null ? "-" : p.lastTime().toString(),
                    Long.toString(p.inFlight()), Long.toString(p.bufferBytes()), Long.toString(p.appended()),
                    p.retainedBytes() == 0 ? "-" : Long.toString(p.retainedBytes()),
                    p.retention().earliestId() == null ? "-" : p.retention().earliestId().toString(),
                    p.retention().earliestTime() == null ? "-" : p.retention().earliestTime().toString(),
                    Integer.toString(p.retention().subscriptions()));
        }
        TextTable nodes = new TextTable("NODE", "ADDRESS", "ALIVE");
        for (ClusterStatus.NodeStatus n : s.nodes()) {
            nodes.row(n.nodeId(), n.address(), n.alive() ? "yes" : "no");
        }
        return (s.pchannels().isEmpty() ? "no pchannels" + System.lineSeparator() : pchannels.toString())
                + System.lineSeparator()
                + (s.nodes().isEmpty() ? "no nodes" + System.lineSeparator() : nodes.toString())
                + reasons(s);
    }

    /** One paragraph per unavailable pchannel that says why: too long for a table cell. */
    private static String reasons(ClusterStatus s) {
        StringBuilder b = new StringBuilder();
        for (ClusterStatus.PchannelStatus p : s.pchannels()) {
            if (!p.unavailableReason().isEmpty()) {
                b.append(System.lineSeparator()).append(p.pchannel()).append(" is unavailable: ")
                        .append(p.unavailableReason()).append(System.lineSeparator());
            }
        }
        return b.toString();
    }
}
