package io.tidelog.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MutableMessage;
import io.tidelog.node.recovery.Checkpoint;
import io.tidelog.node.recovery.RecoveryStore;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.RawHeader;
import io.tidelog.tso.TimestampAllocator;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.memory.MemoryStorage;
import io.tidelog.wal.memory.MemoryWalBackend;
import io.tidelog.wal.memory.MemoryWalConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WalExtensionTest {
    final MemoryWalBackend backend = new MemoryWalBackend(MemoryWalConfig.defaults(), new MemoryStorage());
    final AtomicLong clock = new AtomicLong(100);
    final TimestampAllocator tso = count -> clock.getAndAdd(count);

    @AfterEach
    void close() {
        backend.close();
    }

    /** Records what it is told, as "replay:TYPE:payload" or "live:TYPE:payload", plus bind and ticks. */
    static final class Recorder implements WalExtension {
        final List<String> events = new CopyOnWriteArrayList<>();
        StreamingWal bound;

        @Override
        public void observe(ImmutableMessage m, boolean replay) {
            events.add((replay ? "replay:" : "live:") + m.type() + ":" + m.payload().toStringUtf8());
        }

        @Override
        public void bind(StreamingWal wal) {
            bound = wal;
            events.add("bind");
        }

        @Override
        public void onTimeTick(long timeTick) {
            events.add("tick");
        }

        @Override
        public void close() {
            events.add("close");
        }
    }

    static MutableMessage raw(String text) {
        return MutableMessage.builder(MessageType.RAW, "p-1_a").header(RawHeader.getDefaultInstance())
                .payload(ByteString.copyFromUtf8(text)).build();
    }

    @Test
    void anExtensionReplaysTheLogBeforeItIsBoundThenSeesEveryPublishedMessage() throws Exception {
        try (StreamingWal first = StreamingWal.start(backend.open(OpenOptions.readWrite("p-1", 1)), tso, NodeConfig.defaults(), List.of())) {
            for (int i = 0; i < 3; i++) {
                first.append(raw("old" + i)).get(10, TimeUnit.SECONDS);
            }
        }
        Recorder r = new Recorder();
        try (StreamingWal second = StreamingWal.start(backend.open(OpenOptions.readWrite("p-1", 2)), tso, NodeConfig.defaults(), List.of(r))) {
            assertThat(r.bound).isSameAs(second);
            second.append(raw("new")).get(10, TimeUnit.SECONDS);
            second.tick();
            List<String> expected = new ArrayList<>(List.of("replay:TIME_TICK:", "replay:RAW:old0", "replay:RAW:old1",
                    "replay:RAW:old2", "live:TIME_TICK:", "bind", "live:RAW:new"));
            // A copy: the TimeTick written by tick() may be published on the backend's thread meanwhile.
            assertThat(List.copyOf(r.events).subList(0, expected.size())).containsExactlyElementsOf(expected);
            assertThat(r.events).contains("tick");
        }
    }

    @Test
    void theExtensionsOfAWalThatFailsToStartAreClosed() {
        Recorder r = new Recorder();
        RecoveryStore failing = new RecoveryStore() {
            @Override
            public void claim(String pchannel, long term) {
            }

            @Override
            public java.util.Optional<io.tidelog.state.proto.RecoverySnapshotProto> load(String pchannel) {
                throw new StreamingException(ErrorCode.INNER, "the recovery store is unreachable");
            }

            @Override
            public void save(String pchannel, long term, io.tidelog.state.proto.RecoverySnapshotProto snapshot,
                             Checkpoint checkpoint) {
            }
        };

        assertThatThrownBy(() -> StreamingWal.start(backend.open(OpenOptions.readWrite("p-1", 1)), tso,
                NodeConfig.defaults(), List.of(r), failing)).hasMessageContaining("unreachable");
        assertThat(r.events).containsExactly("close");
    }
}
