package io.tidelog.wal;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * For a backend's writer: the bytes of one pchannel accepted by {@link Wal#append} but not yet durable, bounded, with
 * appenders waiting for room (back-pressure) up to a deadline and then failing with {@code RESOURCE_EXHAUSTED}, which
 * always means nothing of the record was accepted.
 *
 * <p>A record is admitted when it fits under the limit, or when nothing is waiting at all (so a record larger than
 * the limit still goes, alone). Waiting stops early when the writer stops taking appends (closed, crashed, failed for
 * good): the caller says so through the {@code stopped} supplier of {@link #reserve}, and wakes the waiters with
 * {@link #wakeAll} when it changes that state.
 *
 * <p>Thread ownership: the budget is guarded by the writer's lock, which the writer passes in; every method is
 * called holding it (asserted), so the count changes in the same critical section as the writer's own queue.
 */
public final class ByteBudget {
    private final ReentrantLock lock;
    private final Condition room;
    private final String pchannel;
    private final long maxBytes;
    private final String maxBytesKey;
    private final Duration timeout;
    private final String waitingFor;
    private long used;

    /**
     * @param lock        the writer's lock, held by every caller
     * @param pchannel    named in errors
     * @param maxBytes    the limit, from the configuration key {@code maxBytesKey} (named in errors)
     * @param timeout     how long an append waits for room
     * @param waitingFor  what the bytes wait for, for errors ("the disk", "the object store", ...)
     */
    public ByteBudget(ReentrantLock lock, String pchannel, long maxBytes, String maxBytesKey, Duration timeout,
                      String waitingFor) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive, got " + maxBytes);
        }
        this.lock = lock;
        this.room = lock.newCondition();
        this.pchannel = pchannel;
        this.maxBytes = maxBytes;
        this.maxBytesKey = maxBytesKey;
        this.timeout = timeout;
        this.waitingFor = waitingFor;
    }

    /**
     * Waits until {@code bytes} fit, then counts them. Returns null when they were counted; otherwise the reason the
     * append fails, with nothing counted: what {@code stopped} returned (checked before every wait and after it), or
     * {@code RESOURCE_EXHAUSTED} once the timeout has passed. Interrupted: fails with {@code ON_SHUTDOWN}, the
     * interrupt kept.
     */
    public StreamingException reserve(long bytes, Supplier<StreamingException> stopped) {
        assert lock.isHeldByCurrentThread() : "the budget is guarded by its writer's lock";
        long nanos = timeout.toNanos();
        while (true) {
            StreamingException failure = stopped.get();
            if (failure != null) {
                return failure;
            }
            if (fitsNow(bytes)) {
                used += bytes;
                return null;
            }
            if (nanos <= 0) {
                return new StreamingException(ErrorCode.RESOURCE_EXHAUSTED, "pchannel " + pchannel + ": " + used
                        + " bytes are waiting for " + waitingFor + " (limit " + maxBytes + ", " + maxBytesKey
                        + "); waited " + timeout + "; nothing was written");
            }
            try {
                nanos = room.awaitNanos(nanos);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return StreamingException.onShutdown("pchannel " + pchannel + ": interrupted while waiting for room");
            }
        }
    }

    /**
     * Whether {@code bytes} would be counted by {@link #reserve} at once, without waiting for room. The caller holds
     * the writer's lock from this check to its {@code reserve}, so the answer stays true until then.
     */
    public boolean fitsNow(long bytes) {
        assert lock.isHeldByCurrentThread() : "the budget is guarded by its writer's lock";
        return used == 0 || used + bytes <= maxBytes;
    }

    /** Uncounts bytes that became durable (or failed) and wakes the appenders waiting for room. */
    public void release(long bytes) {
        assert lock.isHeldByCurrentThread() : "the budget is guarded by its writer's lock";
        assert bytes <= used : "releasing " + bytes + " bytes of " + used + " counted";
        used = Math.max(0, used - bytes);
        room.signalAll();
    }

    /** Uncounts everything (the writer dropped what it held) and wakes every waiter. */
    public void releaseAll() {
        assert lock.isHeldByCurrentThread() : "the budget is guarded by its writer's lock";
        used = 0;
        room.signalAll();
    }

    /** Wakes every waiter to look at the writer's state again (it stopped taking appends). */
    public void wakeAll() {
        assert lock.isHeldByCurrentThread() : "the budget is guarded by its writer's lock";
        room.signalAll();
    }

    /** The condition appenders wait on, for tests that must see one waiting. */
    Condition roomForTests() {
        return room;
    }

    /** The bytes counted now. */
    public long used() {
        assert lock.isHeldByCurrentThread() : "the budget is guarded by its writer's lock";
        return used;
    }
}
