package io.tidelog.wal.objectstore;

import java.util.concurrent.TimeUnit;

/**
 * What this process knows of one pchannel's log beyond the store, shared by its writer and its scanners: a
 * change counter that wakes tailing scanners at once when a block of this process lands (blocks of other
 * processes are found by polling), and the lowest segment truncation kept. Thread-safe.
 */
final class LogSignal {
    private long version;
    private long floor;

    synchronized long version() {
        return version;
    }

    /** A block landed, a footer was written, the log was truncated or closed: scanners look again. */
    synchronized void changed() {
        version++;
        notifyAll();
    }

    /**
     * Waits until {@link #changed} is called after {@code seen} was read, or {@code nanos} pass; true if it was
     * called.
     */
    synchronized boolean await(long seen, long nanos) throws InterruptedException {
        long deadline = System.nanoTime() + nanos;
        while (version == seen) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    synchronized void truncatedBelow(long segment) {
        floor = Math.max(floor, segment);
        changed();
    }

    /** The lowest segment this process knows to be retained; every segment below it is gone. */
    synchronized long floor() {
        return floor;
    }
}
