package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.StatusRuntimeException;
import io.tidelog.client.ClusterStatus;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.GrpcErrors;
import io.tidelog.meta.etcd.EtcdServer;
import io.tidelog.proto.AllocateTimestampsRequest;
import io.tidelog.proto.CoordinatorGrpc;
import io.tidelog.proto.GetStatusRequest;
import io.tidelog.testing.Await;
import io.tidelog.wal.memory.MemoryStorage;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Coordinators of a cluster on a real etcd: one leads, the other stands by and names it, a graceful hand-over keeps
 * every pchannel where it is at its term and the TSO goes only forward. The nodes are in this JVM
 * ({@link InProcessNode}); their sessions live in the same etcd.
 */
class CoordServerTest extends EtcdClusterTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    static final EtcdServer ETCD = new EtcdServer();

    final MemoryStorage storage = new MemoryStorage();
    final AtomicLong clock = new AtomicLong(1);

    @Override
    EtcdServer etcd() {
        return ETCD;
    }

    CoordServer coordinator(int pchannels) {
        return startCoordinator(coordinatorProperties(pchannels));
    }

    InProcessNode node(String id) throws Exception {
        InProcessNode n = new InProcessNode(id, meta, storage, count -> clock.getAndAdd(count));
        toClose.add(n);
        return n;
    }

    static boolean allAssigned(ClusterStatus s, int pchannels) {
        return s.pchannels().size() == pchannels
                && s.pchannels().stream().allMatch(p -> p.state().equals("ASSIGNED") && p.available());
    }

    static Map<String, Long> terms(ClusterStatus s) {
        Map<String, Long> out = new TreeMap<>();
        s.pchannels().forEach(p -> out.put(p.pchannel(), p.term()));
        return out;
    }

    @Test
    void oneLeadsTheOtherNamesItAndAGracefulHandOverKeepsEveryTermAndTheTsoGoesOnlyForward() throws Exception {
        CoordServer first = coordinator(4);
        CoordServer second = coordinator(4);
        node("a");
        node("b");
        Await.until("one coordinator leads", () -> first.isLeader() ^ second.isLeader(), WAIT);
        CoordServer leader = first.isLeader() ? first : second;
        CoordServer standby = leader == first ? second : first;
        StreamingClient client = client(standby, leader);
        ClusterStatus[] status = new ClusterStatus[1];
        Await.until("every pchannel ASSIGNED, two on each node, as the standby-first client learns from the leader",
                () -> {
                    status[0] = client.statusBlocking();
                    return allAssigned(status[0], 4)
                            && status[0].pchannels().stream().filter(p -> p.nodeId().equals("a")).count() == 2;
                }, WAIT);
        assertThat(status[0].coordinators()).extracting(ClusterStatus.CoordinatorStatus::address)
                .containsExactlyInAnyOrder(first.address(), second.address());
        assertThat(status[0].coordinators()).filteredOn(ClusterStatus.CoordinatorStatus::leader)
                .singleElement().satisfies(c -> assertThat(c.address()).isEqualTo(leader.address()));
        assertThat(status[0].nodes()).extracting(ClusterStatus.NodeStatus::nodeId).containsExactly("a", "b");
        assertThat(status[0].pchannels()).extracting(ClusterStatus.PchannelStatus::nodeId)
                .containsOnly("a", "b").filteredOn("a"::equals).hasSize(2);

        Exposition leading = Exposition.scrape(leader.httpAddress());
        Exposition standing = Exposition.scrape(standby.httpAddress());
        assertThat(leading.value("tidelog_coord_leader", Map.of())).hasValue(1);
        assertThat(standing.value("tidelog_coord_leader", Map.of())).hasValue(0);
        assertThat(leading.value("tidelog_coord_pchannels", Map.of("state", "assigned"))).hasValue(4);
        assertThat(standing.sum("tidelog_coord_pchannels", Map.of())).as("a standby knows no assignment").isZero();
        assertThat(standing.value("tidelog_coord_pchannel_info", Map.of())).isEmpty();
        for (String c : List.of(leader.httpAddress(), standby.httpAddress())) {
            assertThat(Exposition.get(c, "/readyz")).as("a leader and a standby are ready")
                    .extracting(Exposition.Reply::status, Exposition.Reply::body).containsExactly(200, "ready\n");
        }
        Exposition.Reply page = Exposition.get(leader.httpAddress(), "/api/status");
        assertThat(page.status()).as("the leader's status page: " + page.body()).isEqualTo(200);
        for (ClusterStatus.PchannelStatus p : status[0].pchannels()) {
            assertThat(page.body()).as("the leader's status page lists " + p.pchannel() + " on its owner")
                    .contains("\"pchannel\":\"" + p.pchannel() + "\",\"nodeId\":\"" + p.nodeId() + "\"");
        }
        assertThat(Exposition.get(standby.httpAddress(), "/api/status"))
                .as("a standby's status page names the leader")
                .satisfies(r -> assertThat(r.status()).isEqualTo(503))
                .satisfies(r -> assertThat(r.body()).contains("standby").contains(leader.address()));
        assertThat(Exposition.get(standby.httpAddress(), "/").status()).as("the page itself").isEqualTo(200);

        assertThatThrownBy(() -> CoordinatorGrpc.newBlockingStub(channel(standby.address()))
                .getStatus(GetStatusRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(GrpcErrors.fromThrowable(e, "standby").code()).isEqualTo(ErrorCode.NOT_LEADER);
                    assertThat(GrpcErrors.leaderHint(e)).contains(leader.address());
                });
        long before = CoordinatorGrpc.newBlockingStub(channel(leader.address()))
                .allocateTimestamps(AllocateTimestampsRequest.newBuilder().setCount(1000).build()).getFirst();
        Map<String, Long> termsBefore = terms(status[0]);

        leader.close(); // resigns: the standby takes over at once
        Await.until("the standby leads", standby::isLeader, WAIT);
        Await.until("every pchannel still ASSIGNED", () -> {
            status[0] = client.statusBlocking();
            return allAssigned(status[0], 4);
        }, WAIT);
        assertThat(terms(status[0])).as("nodes that live keep their pchannels at their terms").isEqualTo(termsBefore);
        long after = CoordinatorGrpc.newBlockingStub(channel(standby.address()))
                .allocateTimestamps(AllocateTimestampsRequest.newBuilder().setCount(1).build()).getFirst();
        assertThat(after).as("the new leader's TSO starts above its predecessor's").isGreaterThan(before + 999);
        Exposition now = Exposition.scrape(standby.httpAddress());
        assertThat(now.value("tidelog_coord_leader", Map.of())).hasValue(1);
        assertThat(now.value("tidelog_coord_pchannels", Map.of("state", "assigned"))).hasValue(4);
        assertThat(now.sum("tidelog_coord_term_changes_total", Map.of())).as("the new leader moved nothing").isZero();
    }

    @Test
    void aNodeThatStopsAnsweringLosesItsPchannelsToTheOthersWithinSeconds() throws Exception {
        CoordServer c = coordinator(4);
        InProcessNode a = node("a");
        InProcessNode b = node("b");
        StreamingClient client = client(c);
        Await.until("two pchannels each", () -> a.serving() == 2 && b.serving() == 2
                && allAssigned(client.statusBlocking(), 4), WAIT);
        List<String> onB = client.statusBlocking().pchannels().stream().filter(p -> p.nodeId().equals("b"))
                .map(ClusterStatus.PchannelStatus::pchannel).toList();
        long killed = System.nanoTime();
        b.kill();
        Await.until("a serves all four", () -> a.serving() == 4 && allAssigned(client.statusBlocking(), 4), WAIT);
        assertThat(Duration.ofNanos(System.nanoTime() - killed)).isLessThan(Duration.ofSeconds(3));
        assertThat(client.statusBlocking().nodes()).filteredOn(n -> n.nodeId().equals("b"))
                .allSatisfy(n -> assertThat(n.alive()).isFalse());

        // b's two pchannels failed over, each at one new term, both timed; a's stayed.
        Await.until("both failovers timed", () -> Exposition.scrapeUnchecked(c.httpAddress())
                .valueOrZero("tidelog_coord_failover_duration_seconds_count", Map.of()) == 2, WAIT);
        Exposition e = Exposition.scrape(c.httpAddress());
        assertThat(e.value("tidelog_coord_nodes_alive", Map.of())).hasValue(1);
        assertThat(e.value("tidelog_coord_failover_duration_seconds_sum", Map.of()).orElseThrow())
                .as("seconds from b found down to its pchannels served on a").isPositive().isLessThan(3);
        for (ClusterStatus.PchannelStatus p : client.statusBlocking().pchannels()) {
            Map<String, String> pchannel = Map.of("pchannel", p.pchannel());
            assertThat(e.value("tidelog_coord_failovers_total", pchannel)).as(p.pchannel())
                    .hasValue(onB.contains(p.pchannel()) ? 1 : 0);
            assertThat(e.value("tidelog_coord_term_changes_total", pchannel)).as(p.pchannel()).hasValue(p.term());
            assertThat(e.value("tidelog_coord_pchannel_info", Map.of("pchannel", p.pchannel(), "node", "a",
                    "term", Long.toString(p.term()), "state", "assigned"))).as(p.pchannel()).hasValue(1);
        }
    }

    @Test
    void aCoordinatorWithAnotherPchannelCountThanTheClusterRefusesToStart() {
        CoordServer first = coordinator(4);
        Await.until("the first leads", first::isLeader, WAIT);
        assertThatThrownBy(() -> coordinator(8)).isInstanceOfSatisfying(StreamingException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThat(e.getMessage()).contains("4 pchannels");
        });
    }
}
