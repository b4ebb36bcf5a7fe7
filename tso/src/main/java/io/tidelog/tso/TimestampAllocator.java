package io.tidelog.tso;

/**
 * Where a streaming node gets its time ticks: the {@link TimestampOracle} in process (standalone), or
 * a client of the coordinator's TSO service (cluster).
 *
 * <p>Every timestamp returned is unique and greater than every timestamp returned before by any
 * allocator of the same oracle. Thread-safe.
 */
public interface TimestampAllocator {

    /** Issues {@code count} consecutive timestamps and returns the first. */
    long allocate(int count);

    /** One new timestamp. */
    default long next() {
        return allocate(1);
    }
}
