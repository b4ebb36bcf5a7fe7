package io.tidelog.tso;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The cluster's timestamp oracle: issues {@link HybridTimestamps hybrid timestamps} that are unique and
 * strictly increasing, across restarts too.
 *
 * <p><b>Ordering.</b> Every timestamp issued is greater than every timestamp this oracle, or any earlier
 * oracle over the same {@link TimestampStore}, issued before. The physical part follows the injected
 * clock, but never goes backwards when the clock does; when the logical part of a millisecond is used up,
 * issuing moves on to the next millisecond, ahead of the clock if need be.
 *
 * <p><b>Durability.</b> The store holds a high-water mark, a physical time no issued timestamp has
 * reached. Before issuing a timestamp whose physical part reaches the mark, the oracle saves a new mark,
 * that physical part plus the {@link TsoConfig#window() window}, and waits until it is durable. On start
 * it issues only timestamps at or above the loaded mark. So even after a crash, with the clock set back,
 * it never issues a timestamp at or below one issued before. The store is written once per window, not
 * per call; no other call does I/O.
 *
 * <p><b>Threads.</b> Thread-safe: calls are serialized on the oracle's lock. A call that moves the mark
 * holds the lock during the save, so concurrent callers wait for it (once per window); {@link #tryAllocate} never
 * waits, and never saves.
 */
public final class TimestampOracle implements TimestampAllocator {
    /** The most timestamps one {@link #allocate} call returns: one millisecond's worth of logical parts. */
    public static final int MAX_BATCH = (int) HybridTimestamps.MAX_LOGICAL + 1;

    private final TimestampStore store;
    private final InstantSource clock;
    private final long windowMillis;
    private final ReentrantLock lock = new ReentrantLock();
    /** The last timestamp issued, or the floor below which none may be issued. Guarded by lock. */
    private long last;
    /** The durable mark: every issued timestamp's physical part is below it. Guarded by lock. */
    private long savedMark;

    /**
     * An oracle continuing from {@code store}'s mark.
     *
     * @throws StreamingException {@code DATA_CORRUPTED} if the store holds no valid mark, or what
     *         {@link TimestampStore#load()} throws
     */
    public TimestampOracle(TimestampStore store, InstantSource clock, TsoConfig config) {
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.windowMillis = config.window().toMillis();
        long mark = store.load();
        if (mark < 0 || mark > HybridTimestamps.MAX_PHYSICAL_MILLIS) {
            throw new StreamingException(ErrorCode.DATA_CORRUPTED,
                    "the timestamp store holds an impossible high-water mark: " + mark);
        }
        this.savedMark = mark;
        // Timestamp 0 is never issued: protocol fields use 0 for "unset".
        this.last = mark == 0 ? 0 : HybridTimestamps.compose(mark, 0) - 1;
    }

    /** One new timestamp. */
    @Override
    public long next() {
        return allocate(1);
    }

    /**
     * Issues {@code count} consecutive timestamps, {@code first} to {@code first + count - 1}, and returns
     * {@code first}. The batch may run into following milliseconds.
     *
     * @param count 1 to {@link #MAX_BATCH}
     * @throws StreamingException {@code INVALID_ARGUMENT} for a bad count; what {@link TimestampStore#save}
     *         throws if the mark had to move (then nothing was issued); {@code UNRECOVERABLE} once the
     *         physical part would leave its 45 bits
     */
    @Override
    public long allocate(int count) {
        lock.lock();
        try {
            return issue(count, true);
        } finally {
            lock.unlock();
        }
    }

    /** As {@link #allocate}, but 0 (nothing issued) when the mark would have to move, or another call holds the lock. */
    @Override
    public long tryAllocate(int count) {
        if (!lock.tryLock()) {
            return 0;
        }
        try {
            return issue(count, false);
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock. Returns 0 if the mark must move and {@code maySave} is false. */
    private long issue(int count, boolean maySave) {
        if (count < 1 || count > MAX_BATCH) {
            throw StreamingException.invalidArgument("can allocate 1 to " + MAX_BATCH + " timestamps, not " + count);
        }
        long now = Math.min(Math.max(clock.millis(), 0), HybridTimestamps.MAX_PHYSICAL_MILLIS);
        long first = Math.max(last + 1, HybridTimestamps.compose(now, 0));
        long end = first + count - 1;
        long endPhysical = HybridTimestamps.physicalMillis(end);
        if (endPhysical + windowMillis > HybridTimestamps.MAX_PHYSICAL_MILLIS) {
            throw new StreamingException(ErrorCode.UNRECOVERABLE, "hybrid timestamps exhausted at "
                    + HybridTimestamps.toString(last));
        }
        if (endPhysical >= savedMark) {
            if (!maySave) {
                return 0;
            }
            long mark = endPhysical + windowMillis;
            store.save(mark);
            savedMark = mark;
        }
        last = end;
        return first;
    }

    @Override
    public String toString() {
        lock.lock();
        try {
            return "TimestampOracle{last=" + HybridTimestamps.toString(last) + ", mark=" + savedMark + " ms}";
        } finally {
            lock.unlock();
        }
    }
}
