package io.tidelog.tso;

/**
 * Where a streaming node gets its time ticks: the {@link TimestampOracle} in process (standalone), or
 * a client of the coordinator's TSO service (cluster).
 *
 * <p>Every timestamp returned is unique and greater than every timestamp returned before by this allocator. An
 * allocator may hold timestamps ahead (a batch taken from a remote oracle), so a timestamp it returns may be below
 * one that another allocator of the same oracle returned earlier; after {@link #sync()} it is above every timestamp
 * the oracle issued before the call. Thread-safe.
 */
public interface TimestampAllocator {

    /** Issues {@code count} consecutive timestamps and returns the first. */
    long allocate(int count);

    /**
     * Issues {@code count} consecutive timestamps as {@link #allocate} does, if it can at once: without I/O, a remote
     * call, or waiting for a thread that does one. Otherwise issues nothing and returns 0 (never a timestamp), and
     * the caller allocates where it may wait. For callers on threads that must never wait (a transport thread). The
     * default never can.
     */
    default long tryAllocate(int count) {
        return 0;
    }

    /** One new timestamp. */
    default long next() {
        return allocate(1);
    }

    /**
     * Gives up any timestamps held ahead: every timestamp returned after this call is greater than every timestamp
     * any allocator of the same oracle returned before it. A WAL calls it when it starts serving a pchannel another
     * node may have written a moment ago, and when a barrier from elsewhere lies ahead of what it holds. An allocator
     * that holds nothing ahead (the oracle in process) has nothing to do.
     */
    default void sync() {
    }
}
