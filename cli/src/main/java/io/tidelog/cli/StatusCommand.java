package io.tidelog.cli;

import io.tidelog.client.ClusterStatus;
import io.tidelog.client.ReplicaLocation;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.StreamingException;
import io.tidelog.message.Rows;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
                + "object: {\"pchannels\":[...],\"nodes\":[...],\"coordinators\":[...],\"replicas\":[...]}, each pchannel's assignment as \"state\" (ASSIGNING, ASSIGNED, UNASSIGNED), the reason as \"unavailableReason\", with also where the "
                + "WAL was last truncated, its checkpoint, and what keeps it from being truncated further (checkpoint, "
                + "wal.retention.time, wal.retention.bytes or a subscription)."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.OK_LINE, ExitCodes.FAILED_LINE, ExitCodes.USAGE_LINE, ExitCodes.RETRIABLE_LINE, ExitCodes.DENIED_LINE})
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
        try (StreamingClient client = server.connect(ctx).build()) {
            ClusterStatus s = client.statusBlocking();
            out.print(server.json ? json(s) + System.lineSeparator() : table(s));
            out.flush();
            return ExitCodes.OK;
        } catch (StreamingException e) {
            return CommandContext.fail(err, e);
        }
    }

    static String json(ClusterStatus s) {
        List<Map<String, Object>> pchannels = new ArrayList<>();
        for (ClusterStatus.PchannelStatus p : s.pchannels()) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("pchannel", p.pchannel());
            j.put("nodeId", p.nodeId());
            j.put("term", p.term());
            j.put("state", p.state().isEmpty() ? null : p.state());
            j.put("available", p.available());
            j.put("lastTimeTick", MessageRendering.unsigned(p.lastTimeTick()));
            j.put("lastTime", text(p.lastTime()));
            j.put("lastMessageId", text(p.lastId()));
            j.put("inFlight", p.inFlight());
            j.put("bufferBytes", p.bufferBytes());
            j.put("appended", p.appended());
            j.put("retainedBytes", p.retainedBytes());
            j.put("unavailableReason", p.unavailableReason().isEmpty() ? null : p.unavailableReason());
            ClusterStatus.Retention r = p.retention();
            j.put("earliestMessageId", text(r.earliestId()));
            j.put("earliestTimeTick", MessageRendering.unsigned(r.earliestTimeTick()));
            j.put("earliestTime", text(r.earliestTime()));
            j.put("truncatedBelow", text(r.truncatedBelow()));
            j.put("truncationBound", r.bound().isEmpty() ? null : r.bound());
            j.put("subscriptions", r.subscriptions());
            j.put("subscriptionsLetGo", r.letGo());
            j.put("checkpointMessageId", text(r.checkpointId()));
            pchannels.add(j);
        }
        List<Map<String, Object>> nodes = new ArrayList<>();
        for (ClusterStatus.NodeStatus n : s.nodes()) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("nodeId", n.nodeId());
            j.put("address", n.address());
            j.put("alive", n.alive());
            j.put("draining", n.draining());
            nodes.add(j);
        }
        List<Map<String, Object>> coordinators = new ArrayList<>();
        for (ClusterStatus.CoordinatorStatus c : s.coordinators()) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("coordinatorId", c.coordinatorId());
            j.put("address", c.address());
            j.put("leader", c.leader());
            coordinators.add(j);
        }
        List<Map<String, Object>> replicas = new ArrayList<>();
        for (ReplicaLocation r : s.replicas()) {
            Map<String, Object> rj = new LinkedHashMap<>();
            rj.put("vchannel", r.vchannel());
            rj.put("collectionId", r.collectionId());
            rj.put("nodeId", r.nodeId());
            rj.put("address", r.address());
            replicas.add(rj);
        }
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("pchannels", pchannels);
        j.put("nodes", nodes);
        j.put("coordinators", coordinators);
        j.put("replicas", replicas);
        return Rows.toJson(j);
    }

    private static String text(Object o) {
        return o == null ? null : o.toString();
    }

    static String table(ClusterStatus s) {
        TextTable pchannels = new TextTable("PCHANNEL", "NODE", "TERM", "STATE", "AVAILABLE", "LAST TIME TICK", "LAST TIME", "IN FLIGHT",
                "BUFFER BYTES", "APPENDED", "WAL BYTES", "EARLIEST", "EARLIEST TIME", "SUBS");
        for (ClusterStatus.PchannelStatus p : s.pchannels()) {
            pchannels.row(p.pchannel(), p.nodeId().isEmpty() ? "-" : p.nodeId(), Long.toString(p.term()),
                    p.state().isEmpty() ? "-" : p.state(), p.available() ? "yes" : "no",
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
            nodes.row(n.nodeId(), n.address(), n.alive() ? (n.draining() ? "yes, drained" : "yes") : "no");
        }
        String coordinators = "";
        if (!s.coordinators().isEmpty()) {
            TextTable c = new TextTable("COORDINATOR", "ADDRESS", "LEADER");
            for (ClusterStatus.CoordinatorStatus co : s.coordinators()) {
                c.row(co.coordinatorId(), co.address(), co.leader() ? "yes" : "no");
            }
            coordinators = System.lineSeparator() + c;
        }
        if (!s.replicas().isEmpty()) {
            TextTable r = new TextTable("REPLICA OF", "COLLECTION", "NODE", "ADDRESS");
            for (ReplicaLocation re : s.replicas()) {
                r.row(re.vchannel(), Long.toString(re.collectionId()), re.nodeId(), re.address());
            }
            coordinators = coordinators + System.lineSeparator() + r;
        }
        return (s.pchannels().isEmpty() ? "no pchannels" + System.lineSeparator() : pchannels.toString())
                + System.lineSeparator()
                + (s.nodes().isEmpty() ? "no nodes" + System.lineSeparator() : nodes.toString())
                + coordinators
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
