package io.tidelog.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.message.MutableMessage;
import io.tidelog.node.recovery.RecoveryStore;
import io.tidelog.node.retention.Retention;
import io.tidelog.testing.Await;
import io.tidelog.tso.TimestampAllocator;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.memory.MemoryStorage;
import io.tidelog.wal.memory.MemoryWalBackend;
import io.tidelog.wal.memory.MemoryWalConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What a {@link StreamingWal} tells its {@link WalMetrics}: acknowledged data appends, once each; no TimeTick, no replay. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StreamingWalMetricsTest {
    static final String P = "pch-1";

    final MemoryWalBackend backend = new MemoryWalBackend(
            MemoryWalConfig.from(Map.of("wal.memory.max.record.bytes", "64KiB")), new MemoryStorage());
    final AtomicLong clock = new AtomicLong(1000);
    final TimestampAllocator tso = count -> clock.getAndAdd(count);
    final List<AutoCloseable> toClose = new ArrayList<>();

    /** Counts what it is told. */
    static final class Counted implements WalMetrics {
        final AtomicLong messages = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        final AtomicLong calls = new AtomicLong();
        final AtomicLong stored = new AtomicLong();
        final AtomicLong negative = new AtomicLong();

        @Override
        public void appended(int n, long encodedBytes, long nanos) {
            messages.addAndGet(n);
            bytes.addAndGet(encodedBytes);
            calls.incrementAndGet();
            if (nanos < 0) {
                negative.incrementAndGet();
            }
        }

        @Override
        public void stored(long nanos) {
            stored.incrementAndGet();
            if (nanos < 0) {
                negative.incrementAndGet();
            }
        }
    }

    @AfterEach
    void close() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        backend.close();
    }

    StreamingWal start(long term, WalMetrics metrics) {
        StreamingWal w = StreamingWal.start(backend.open(OpenOptions.readWrite(P, term)), tso, NodeConfig.defaults(),
                List.of(), RecoveryStore.NONE, Retention.untilCheckpoint(), metrics);
        toClose.add(w);
        return w;
    }

    @Test
    void everyAcknowledgedAppendIsCountedOnceWithItsBytesAndTimeTicksAreNot() {
        Counted metrics = new Counted();
        StreamingWal wal = start(1, metrics);
        long storedAtStart = metrics.stored.get();
        long bytes = 0;
        for (int i = 0; i < 5; i++) {
            MutableMessage m = StreamingWalTest.raw(P + "_v", "message " + i);
            wal.append(m).join();
            bytes += m.serializedSize(); // before stamping: less than what is stored
        }
        List<MutableMessage> run = List.of(StreamingWalTest.raw(P + "_v", "r1"), StreamingWalTest.raw(P + "_v", "r2"),
                StreamingWalTest.raw(P + "_v", "r3"));
        wal.tryAppendRun(run).join();
        for (int i = 0; i < 3; i++) {
            wal.tick();
        }
        assertThat(metrics.messages.get()).isEqualTo(8);
        assertThat(metrics.calls.get()).as("one call per append, one per run").isEqualTo(6);
        assertThat(metrics.bytes.get()).isGreaterThanOrEqualTo(bytes);
        // 5 appends, 1 run, and the first TimeTick after them, written (the others only enter the buffer)
        Await.until("the TimeTick after the data is stored", () -> metrics.stored.get() - storedAtStart == 7);
        assertThat(metrics.messages.get()).as("still: a TimeTick is no append").isEqualTo(8);
        assertThat(metrics.negative.get()).isZero();
    }

    @Test
    void aReopenReplaysWithoutCountingAndTheNewTermCountsOnTheSameMetrics() {
        Counted metrics = new Counted();
        StreamingWal first = start(1, metrics);
        for (int i = 0; i < 4; i++) {
            first.append(StreamingWalTest.raw(P + "_v", "m" + i)).join();
        }
        first.close();
        StreamingWal second = start(2, metrics);
        assertThat(metrics.messages.get()).isEqualTo(4);
        second.append(StreamingWalTest.raw(P + "_v", "after")).join();
        assertThat(metrics.messages.get()).isEqualTo(5);
        assertThat(second.metrics()).isSameAs(metrics);
    }
}
