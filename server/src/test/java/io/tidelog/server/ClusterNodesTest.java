package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tidelog.coord.Assignment;
import io.tidelog.coord.CoordConfig;
import io.tidelog.coord.PchannelAssigner;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.MetaStores;
import io.tidelog.state.proto.PchannelState;
import io.tidelog.testing.Await;
import io.tidelog.wal.memory.MemoryStorage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The leader's side of the cluster over real gRPC: node sessions in the meta store, their NodeControl services,
 * heartbeats, and the assigner moving pchannels when a node stops answering or restarts. The nodes' WALs share one
 * in-memory storage, which fences older terms like the shared backends do.
 */
class ClusterNodesTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    MetaStore meta;
    final MemoryStorage storage = new MemoryStorage();
    final AtomicLong clock = new AtomicLong(1);
    ScheduledExecutorService timer;
    final List<AutoCloseable> toClose = new ArrayList<>();
    final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    final Map<String, List<Assignment>> changes = new ConcurrentHashMap<>();

    @BeforeEach
    void start() {
        meta = MetaStores.create("embedded", Map.of("meta.embedded.dir", dir.resolve("meta").toString()));
        timer = Executors.newScheduledThreadPool(2);
    }

    @AfterEach
    void close() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        for (ManagedChannel c : channels.values()) {
            c.shutdownNow();
        }
        timer.shutdownNow();
        meta.close();
    }

    InProcessNode node(String id) throws Exception {
        InProcessNode n = new InProcessNode(id, meta, storage, count -> clock.getAndAdd(count));
        toClose.add(n);
        return n;
    }

    PchannelAssigner assigner(int pchannels) {
        PchannelAssigner a = PchannelAssigner.start(meta, CoordConfig.from(Map.of(CoordConfig.PCHANNEL_COUNT,
                String.valueOf(pchannels), CoordConfig.BALANCE_INTERVAL, "50ms", CoordConfig.REMOVE_TIMEOUT, "500ms",
                CoordConfig.ASSIGN_RETRY_MAX_BACKOFF, "500ms")), a1 -> changes.computeIfAbsent(a1.pchannel(),
                k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(a1));
        toClose.add(a);
        return a;
    }

    ClusterNodes follow(PchannelAssigner assigner) {
        ClusterNodes nodes = new ClusterNodes(assigner, address -> channels.computeIfAbsent(address,
                a -> NettyChannelBuilder.forTarget(a).usePlaintext().build()), Duration.ofMillis(500),
                Duration.ofMillis(100), Duration.ofMillis(800), timer);
        toClose.add(nodes);
        return nodes.start(meta);
    }

    Assignment last(String pchannel) {
        List<Assignment> l = changes.get(pchannel);
        return l == null ? null : l.get(l.size() - 1);
    }

    boolean allAssignedTo(int pchannels, InProcessNode... nodes) {
        for (int i = 0; i < pchannels; i++) {
            Assignment a = last("pchannel-" + i);
            if (a == null || a.state() != PchannelState.ASSIGNED) {
                return false;
            }
            boolean owned = false;
            for (InProcessNode n : nodes) {
                owned |= a.nodeId().equals(n.id) && a.sessionId() == n.session.sessionId();
            }
            if (!owned) {
                return false;
            }
        }
        return true;
    }

    @Test
    void pchannelsSpreadOverTheNodesThatRegisterAndLeaveANodeThatStopsAnsweringWithinTwoSeconds() throws Exception {
        InProcessNode a = node("a");
        InProcessNode b = node("b");
        PchannelAssigner assigner = assigner(4);
        follow(assigner);
        Await.until("two pchannels each", () -> allAssignedTo(4, a, b) && a.serving() == 2 && b.serving() == 2, WAIT);

        long killed = System.nanoTime();
        b.kill();
        Await.until("a serves all four", () -> allAssignedTo(4, a) && a.serving() == 4, WAIT);
        long movedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
        assertThat(movedMillis).as("moved on the heartbeats, not on the 3 s session lease").isLessThan(3_000);
    }

    @Test
    void aNodeWhoseHeartbeatsFallSilentIsDownWithinTheTimeoutAndTakesPchannelsAgainOnceTheyResume() throws Exception {
        InProcessNode a = node("a");
        InProcessNode b = node("b");
        PchannelAssigner assigner = assigner(4);
        follow(assigner);
        Await.until("two pchannels each", () -> allAssignedTo(4, a, b) && a.serving() == 2 && b.serving() == 2, WAIT);
        java.util.concurrent.CountDownLatch thaw = new java.util.concurrent.CountDownLatch(1);
        long frozen = System.nanoTime();
        b.freezeBeats(thaw);
        Await.until("a serves all four", () -> allAssignedTo(4, a), WAIT);
        long movedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - frozen);
        assertThat(movedMillis).as("moved once silent for the 800 ms timeout, long before the 3 s lease")
                .isBetween(700L, 2_999L);
        thaw.countDown();
        Await.until("b beats again and gets its share back", () -> allAssignedTo(4, a, b) && a.serving() == 2
                && b.serving() == 2, WAIT);
    }

    @Test
    void aNodeThatRestartsIsANewSessionAndGetsItsShareBackAtNewTerms() throws Exception {
        InProcessNode a = node("a");
        InProcessNode b = node("b");
        PchannelAssigner assigner = assigner(4);
        follow(assigner);
        Await.until("two pchannels each", () -> allAssignedTo(4, a, b), WAIT);
        b.kill();
        InProcessNode again = node("b"); // registers under the same id: replaces the dead life's session at once
        Await.until("the new life of b serves two", () -> allAssignedTo(4, a, again) && again.serving() == 2
                && a.serving() == 2, WAIT);
        for (int i = 0; i < 4; i++) {
            Assignment x = last("pchannel-" + i);
            if (x.nodeId().equals("b")) {
                assertThat(x.sessionId()).isEqualTo(again.session.sessionId());
            }
        }
    }

    @Test
    void aRequestMeantForAnEarlierLifeOfTheNodeIsRefused() throws Exception {
        InProcessNode a = node("a");
        ManagedChannel ch = NettyChannelBuilder.forTarget(a.address()).usePlaintext().build();
        channels.put("direct", ch);
        GrpcNodeHandle stale = new GrpcNodeHandle("a", a.session.sessionId() - 1, a.address(), ch,
                Duration.ofSeconds(1));
        assertThat(stale.assign("pchannel-0", 1)).failsWithin(WAIT).withThrowableOfType(
                java.util.concurrent.ExecutionException.class).havingCause()
                .isInstanceOfSatisfying(io.tidelog.common.StreamingException.class,
                        e -> assertThat(e.code()).isEqualTo(io.tidelog.common.ErrorCode.UNMATCHED_CHANNEL_TERM));
        assertThat(a.serving()).isZero();
        GrpcNodeHandle current = new GrpcNodeHandle("a", a.session.sessionId(), a.address(), ch,
                Duration.ofSeconds(1));
        assertThat(current.assign("pchannel-0", 1)).succeedsWithin(WAIT);
        assertThat(a.serving()).isEqualTo(1);
        assertThat(current.remove("pchannel-0", 1)).succeedsWithin(WAIT);
        assertThat(a.serving()).isZero();
    }
}
