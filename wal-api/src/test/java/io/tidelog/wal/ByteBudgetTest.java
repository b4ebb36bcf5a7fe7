package io.tidelog.wal;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.testing.Await;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class ByteBudgetTest {
    private final ReentrantLock lock = new ReentrantLock();
    private final AtomicReference<StreamingException> stopped = new AtomicReference<>();
    private final Supplier<StreamingException> state = stopped::get;

    private ByteBudget budget(long max, Duration timeout) {
        return new ByteBudget(lock, "p-1", max, "wal.x.buffer.max.bytes", timeout, "the disk");
    }

    private StreamingException reserve(ByteBudget b, long bytes) {
        lock.lock();
        try {
            return b.reserve(bytes, state);
        } finally {
            lock.unlock();
        }
    }

    private CompletableFuture<StreamingException> reserveAsync(ByteBudget b, long bytes) {
        return CompletableFuture.supplyAsync(() -> reserve(b, bytes));
    }

    private long used(ByteBudget b) {
        lock.lock();
        try {
            return b.used();
        } finally {
            lock.unlock();
        }
    }

    @Test
    void recordsUpToTheLimitAreCountedAndARecordLargerThanTheLimitGoesAloneIntoAnEmptyBudget() {
        ByteBudget b = budget(100, Duration.ZERO);
        assertThat(reserve(b, 60)).isNull();
        assertThat(reserve(b, 40)).isNull();
        assertThat(used(b)).isEqualTo(100);
        lock.lock();
        try {
            b.releaseAll();
        } finally {
            lock.unlock();
        }
        assertThat(reserve(b, 500)).isNull();
        assertThat(used(b)).isEqualTo(500);
    }

    @Test
    void aRecordThatDoesNotFitFailsAfterTheTimeoutWithResourceExhaustedNamingTheKeyAndCountsNothing() {
        ByteBudget b = budget(100, Duration.ofMillis(50));
        assertThat(reserve(b, 80)).isNull();
        StreamingException e = reserve(b, 30);
        assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
        assertThat(e.getMessage()).contains("p-1").contains("80 bytes are waiting for the disk")
                .contains("wal.x.buffer.max.bytes").contains("nothing was written");
        assertThat(used(b)).isEqualTo(80);
    }

    @Test
    void aReleaseLetsAWaitingRecordIn() throws Exception {
        ByteBudget b = budget(100, Duration.ofMinutes(1));
        assertThat(reserve(b, 80)).isNull();
        CompletableFuture<StreamingException> waiting = reserveAsync(b, 30);
        Await.until("the appender waits for room", Duration.ofSeconds(10), () -> hasWaiters(b));
        assertThat(waiting).isNotDone();
        lock.lock();
        try {
            b.release(50);
        } finally {
            lock.unlock();
        }
        assertThat(waiting.get(10, TimeUnit.SECONDS)).isNull();
        assertThat(used(b)).isEqualTo(60);
    }

    @Test
    void aWriterThatStopsFailsItsWaitersWithItsReasonAtOnce() throws Exception {
        ByteBudget b = budget(100, Duration.ofMinutes(1));
        assertThat(reserve(b, 100)).isNull();
        CompletableFuture<StreamingException> waiting = reserveAsync(b, 1);
        Await.until("the appender waits for room", Duration.ofSeconds(10), () -> hasWaiters(b));
        StreamingException closed = StreamingException.onShutdown("p-1 is closed");
        lock.lock();
        try {
            stopped.set(closed);
            b.wakeAll();
        } finally {
            lock.unlock();
        }
        assertThat(waiting.get(10, TimeUnit.SECONDS)).isSameAs(closed);
        assertThat(used(b)).isEqualTo(100);
    }

    private boolean hasWaiters(ByteBudget b) {
        lock.lock();
        try {
            return lock.getWaitQueueLength(b.roomForTests()) > 0;
        } finally {
            lock.unlock();
        }
    }
}
