package io.tidelog.coord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.MetaStores;
import io.tidelog.state.proto.PchannelState;
import io.tidelog.tso.TsoConfig;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
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

    /** A node that records what it was asked to serve. */
    static final class RecordingNode implements NodeHandle {
        final List<String> calls = new CopyOnWriteArrayList<>();
        volatile RuntimeException failNext;

        @Override
        public String nodeId() {
            return "n1";
        }

        @Override
        public String address() {
            return "localhost:1";
        }

        @Override
        public void assign(String pchannel, long term) {
            RuntimeException f = failNext;
            if (f != null) {
                failNext = null;
                throw f;
            }
            calls.add("assign " + pchannel + "@" + term);
        }

        @Override
        public void remove(String pchannel, long term) {
            calls.add("remove " + pchannel + "@" + term);
        }
    }

    @Test
    void everyStartAssignsEveryPchannelAtANewTerm() {
        MetaStore meta = meta();
        RecordingNode node = new RecordingNode();
        StreamingCoordinator first = coordinator(meta, InstantSource.system());
        first.addNode(node);
        assertThat(node.calls).containsExactly("assign pchannel-0@1", "assign pchannel-1@1", "assign pchannel-2@1");
        first.close();

        RecordingNode again = new RecordingNode();
        StreamingCoordinator second = coordinator(meta, InstantSource.system());
        assertThat(second.assignments().assignments()).extracting(Assignment::term).containsOnly(1L);
        second.addNode(again);
        assertThat(again.calls).containsExactly("assign pchannel-0@2", "assign pchannel-1@2", "assign pchannel-2@2");
        assertThat(second.assignments().assignments()).allSatisfy(a -> {
            assertThat(a.term()).isEqualTo(2);
            assertThat(a.state()).isEqualTo(PchannelState.ASSIGNED);
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
    void aFailedAssignmentIsRecordedAndTheReportOfAWrongNodeReassignsAtANewTerm() {
        StreamingCoordinator c = coordinator(meta(), InstantSource.system());
        RecordingNode node = new RecordingNode();
        c.addNode(node);
        c.reportError("pchannel-1", 1, ErrorCode.CHANNEL_NOT_EXIST, "not here");
        assertThat(node.calls).contains("assign pchannel-1@2");
        c.reportError("pchannel-1", 1, ErrorCode.CHANNEL_NOT_EXIST, "stale report"); // term 1 is gone: ignored
        c.reportError("pchannel-1", 2, ErrorCode.INVALID_ARGUMENT, "not an ownership problem"); // ignored
        assertThat(node.calls).filteredOn(s -> s.startsWith("assign pchannel-1")).hasSize(2);

        node.failNext = new IllegalStateException("disk gone");
        assertThatThrownBy(() -> c.assign("pchannel-2", node)).isInstanceOf(IllegalStateException.class);
        assertThat(c.assignments().assignments()).filteredOn(a -> a.pchannel().equals("pchannel-2"))
                .singleElement().satisfies(a -> {
                    assertThat(a.state()).isEqualTo(PchannelState.UNAVAILABLE);
                    assertThat(a.term()).isEqualTo(2);
                });
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
}
