package io.tidelog.coord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.MetaStores;
import io.tidelog.state.proto.PchannelState;
import io.tidelog.testing.Await;
import io.tidelog.tso.TsoConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamingCoordinatorTest {
    @TempDir
    Path dir;
    final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    MetaStore meta() {
        MetaStore m = MetaStores.create("embedded", Map.of("meta.embedded.dir", dir.resolve("meta").toString()));
        toClose.add(m);
        return m;
    }

    StreamingCoordinator coordinator(MetaStore meta, InstantSource clock) {
        StreamingCoordinator c = new StreamingCoordinator(meta, CoordConfig.from(Map.of("coord.pchannel.count", "3")),
                TsoConfig.from(Map.of()), clock);
        toClose.add(c);
        return c;
    }

    /** A node that records what it was asked to serve; each instance is a new session of node n1. */
    static final class RecordingNode implements NodeHandle {
        private static final AtomicLong SESSIONS = new AtomicLong();
        final List<String> calls = new CopyOnWriteArrayList<>();
        final long session = SESSIONS.incrementAndGet();
        volatile RuntimeException failNext;

        @Override
        public String nodeId() {
            return "n1";
        }

        @Override
        public long sessionId() {
            return session;
        }

        @Override
        public String address() {
            return "localhost:1";
        }

        @Override
        public CompletableFuture<Void> assign(String pchannel, long term) {
            RuntimeException f = failNext;
            if (f != null) {
                failNext = null;
                return CompletableFuture.failedFuture(f);
            }
            calls.add("assign " + pchannel + "@" + term);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Void> remove(String pchannel, long term) {
            calls.add("remove " + pchannel + "@" + term);
            return CompletableFuture.completedFuture(null);
        }
    }

    @Test
    void everyStartAssignsEveryPchannelAtANewTerm() {
        MetaStore meta = meta();
        RecordingNode node = new RecordingNode();
        StreamingCoordinator first = coordinator(meta, InstantSource.system());
        first.addNode(node);
        assertThat(node.calls).containsExactlyInAnyOrder("assign pchannel-0@1", "assign pchannel-1@1",
                "assign pchannel-2@1");
        first.close();

        RecordingNode again = new RecordingNode();
        StreamingCoordinator second = coordinator(meta, InstantSource.system());
        assertThat(second.assignments().assignments()).extracting(Assignment::term).containsOnly(1L);
        second.addNode(again);
        assertThat(again.calls).containsExactlyInAnyOrder("assign pchannel-0@2", "assign pchannel-1@2",
                "assign pchannel-2@2");
        assertThat(second.assignments().assignments()).allSatisfy(a -> {
            assertThat(a.term()).isEqualTo(2);
            assertThat(a.state()).isEqualTo(PchannelState.ASSIGNED);
            assertThat(a.sessionId()).isEqualTo(again.session);
        });
    }

    @Test
    void watchersSeeEveryChangeWithAGrowingVersion() throws Exception {
        StreamingCoordinator c = coordinator(meta(), InstantSource.system());
        List<AssignmentView> views = new CopyOnWriteArrayList<>();
        AutoCloseable registration = c.watch(views::add);
        c.addNode(new RecordingNode());
        registration.close();
        assertThat(views.get(0).assignments()).isEmpty();
        for (int i = 1; i < views.size(); i++) {
            assertThat(views.get(i).version()).isGreaterThan(views.get(i - 1).version());
        }
        assertThat(views.get(views.size() - 1).assignments()).extracting(Assignment::state).containsOnly(PchannelState.ASSIGNED);
    }

    @Test
    void theReportOfAWrongNodeAsksTheOwnerAgainAndAFenceTakesANewTerm() {
        StreamingCoordinator c = coordinator(meta(), InstantSource.system());
        RecordingNode node = new RecordingNode();
        c.addNode(node);
        c.reportError("pchannel-1", 1, ErrorCode.CHANNEL_NOT_EXIST, "not here");
        Await.until("the assignments", () -> node.calls.stream().filter(s -> s.equals("assign pchannel-1@1")).count() == 2);
        c.reportError("pchannel-1", 1, ErrorCode.CHANNEL_FENCED, "a newer term fenced it");
        Await.until("the assignments", () -> node.calls.contains("assign pchannel-1@2"));
        Await.until("the assignments", () -> termOf(c, "pchannel-1") == 2 && stateOf(c, "pchannel-1") == PchannelState.ASSIGNED);
        c.reportError("pchannel-1", 1, ErrorCode.CHANNEL_FENCED, "stale report"); // term 1 is gone: ignored
        c.reportError("pchannel-1", 2, ErrorCode.INVALID_ARGUMENT, "not an ownership problem"); // ignored
        c.reportError("pchannel-2", 1, ErrorCode.CHANNEL_NOT_EXIST, "a marker: reports are handled in order");
        Await.until("the assignments", () -> node.calls.stream().filter(s -> s.equals("assign pchannel-2@1")).count() == 2);
        assertThat(node.calls).filteredOn(s -> s.startsWith("assign pchannel-1")).hasSize(3);
    }

    @Test
    void aFailedAssignIsRetriedFromItsRecordAtTheSameTermAndTheFirstFailureFailsTheStart() {
        StreamingCoordinator c = coordinator(meta(), InstantSource.system());
        RecordingNode node = new RecordingNode();
        node.failNext = new StreamingException(ErrorCode.INNER, "disk gone");
        assertThatThrownBy(() -> c.addNode(node)).isInstanceOf(StreamingException.class).hasMessageContaining("disk gone");
        Await.until("the assignments", () -> c.assignments().assignments().size() == 3 && c.assignments().assignments().stream()
                .allMatch(a -> a.state() == PchannelState.ASSIGNED && a.term() == 1));
        assertThat(node.calls).hasSize(3);
    }

    static long termOf(StreamingCoordinator c, String pchannel) {
        return c.assignments().assignments().stream().filter(a -> a.pchannel().equals(pchannel))
                .mapToLong(Assignment::term).findFirst().orElse(0);
    }

    static PchannelState stateOf(StreamingCoordinator c, String pchannel) {
        return c.assignments().assignments().stream().filter(a -> a.pchannel().equals(pchannel))
                .map(Assignment::state).findFirst().orElse(null);
    }

    @Test
    void theTimestampOracleNeverGoesBackAcrossRestartsEvenIfTheClockDoes() {
        MetaStore meta = meta();
        long[] now = {1_700_000_000_000L};
        InstantSource clock = () -> Instant.ofEpochMilli(now[0]);
        StreamingCoordinator first = coordinator(meta, clock);
        long last = 0;
        for (int i = 0; i < 1000; i++) {
            last = first.tso().next();
        }
        first.close();
        now[0] -= 60_000; // the clock is set back a minute
        StreamingCoordinator second = coordinator(meta, clock);
        assertThat(second.tso().next()).isGreaterThan(last);
    }

    @Test
    void aNewPlacementOfReplicasReachesWatchersAsANewVersionAndAnEqualOneDoesNot() throws Exception {
        StreamingCoordinator c = coordinator(meta(), InstantSource.system());
        List<AssignmentView> seen = new CopyOnWriteArrayList<>();
        toClose.add(c.watch(seen::add));
        List<Replica> placement = List.of(new Replica("pchannel-0_7v0", 7, "n2", "localhost:2"));

        c.placeReplicas(placement);
        c.placeReplicas(placement);

        assertThat(seen).hasSize(2);
        assertThat(seen.get(1).version()).isGreaterThan(seen.get(0).version());
        assertThat(seen.get(1).replicas()).isEqualTo(placement);
        assertThat(c.assignments().replicas()).isEqualTo(placement);
    }

    @Test
    void thePlacerPublishesTheReplicasOfACollectionAndMovesThemWhenTheirNodeLeaves() throws Exception {
        StreamingCoordinator c = coordinator(meta(), InstantSource.system());
        ScheduledExecutorService timer = Executors.newScheduledThreadPool(1);
        toClose.add(timer::shutdownNow);
        AtomicReference<SortedMap<String, String>> live =
                new AtomicReference<>(new TreeMap<>(Map.of("n2", "h2", "n3", "h3")));
        ReplicaPlacer placer = new ReplicaPlacer(c,
                () -> List.of(new ReplicaPlacement.Collection(7, List.of("pchannel-0_7v0"), 2)), live::get, timer,
                Duration.ofMillis(20)).start();
        toClose.add(placer);

        Await.until("a replica on n2", () -> c.assignments().replicas()
                .equals(List.of(new Replica("pchannel-0_7v0", 7, "n2", "h2"))));
        live.set(new TreeMap<>(Map.of("n3", "h3")));
        Await.until("the replica moved to n3", () -> c.assignments().replicas()
                .equals(List.of(new Replica("pchannel-0_7v0", 7, "n3", "h3"))));
    }
}
