package io.tidelog.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.node.scan.MessageScanner;
import io.tidelog.node.scan.ReadOptions;
import io.tidelog.proto.MessageType;
import io.tidelog.tso.TimestampAllocator;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.memory.MemoryStorage;
import io.tidelog.wal.memory.MemoryWalBackend;
import io.tidelog.wal.memory.MemoryWalConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WalManagerTest {
    final MemoryWalBackend backend = new MemoryWalBackend(MemoryWalConfig.defaults(), new MemoryStorage());
    final AtomicLong clock = new AtomicLong(1);
    final TimestampAllocator tso = count -> clock.getAndAdd(count);
    final WalManager manager = new WalManager(backend, tso,
            NodeConfig.from(Map.of("node.timetick.interval", "5ms")), p -> List.of());

    @AfterEach
    void close() {
        manager.close();
        backend.close();
    }

    @Test
    void lookupsCheckThePchannelAndTheTerm() {
        StreamingWal w = manager.open("p-1", 3);
        assertThat(manager.get("p-1", 3)).isSameAs(w);
        assertThat(manager.get("p-1", 0)).isSameAs(w);
        assertThat(manager.open("p-1", 3)).isSameAs(w);
        assertThatThrownBy(() -> manager.get("p-1", 2)).isInstanceOfSatisfying(StreamingException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.UNMATCHED_CHANNEL_TERM));
        assertThatThrownBy(() -> manager.get("p-9", 0)).isInstanceOfSatisfying(StreamingException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.CHANNEL_NOT_EXIST));
        assertThatThrownBy(() -> manager.open("p-1", 2)).isInstanceOfSatisfying(StreamingException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.IGNORED_OPERATION));
    }

    @Test
    void openingANewerTermReplacesTheOldWal() {
        StreamingWal old = manager.open("p-1", 1);
        StreamingWal newer = manager.open("p-1", 2);
        assertThat(old.isAvailable()).isFalse();
        assertThat(newer.isAvailable()).isTrue();
        assertThat(manager.get("p-1", 2)).isSameAs(newer);
        manager.remove("p-1", 1); // stale: keeps term 2
        assertThat(manager.get("p-1", 0)).isSameAs(newer);
        manager.remove("p-1", 2);
        assertThatThrownBy(() -> manager.get("p-1", 0)).isInstanceOf(StreamingException.class);
    }

    @Test
    void theTickerSendsTimeTicksToTailingReaders() throws Exception {
        StreamingWal w = manager.open("p-1", 1);
        try (MessageScanner s = w.read(ReadOptions.from(DeliverPolicy.latest()))) {
            ImmutableMessage a = s.poll(Duration.ofSeconds(10));
            ImmutableMessage b = s.poll(Duration.ofSeconds(10));
            assertThat(a.type()).isEqualTo(MessageType.TIME_TICK);
            assertThat(b.timeTick()).isGreaterThan(a.timeTick());
        }
        assertThat(manager.status()).singleElement().satisfies(st -> {
            assertThat(st.pchannel()).isEqualTo("p-1");
            assertThat(st.term()).isEqualTo(1);
            assertThat(st.available()).isTrue();
        });
    }
}
