package io.tidelog.client;

import java.time.Duration;

/**
 * Exponential backoff: {@code initial}, doubling up to {@code max}, until {@link #reset()}. Not thread-safe:
 * each user keeps its own under its own lock.
 */
final class Backoff {
    private final long initialNanos;
    private final long maxNanos;
    private long nextNanos;

    Backoff(Duration initial, Duration max) {
        this.initialNanos = initial.toNanos();
        this.maxNanos = max.toNanos();
        this.nextNanos = initialNanos;
    }

    /** The delay to wait now; the one after it is twice as long, up to the maximum. */
    long nextNanos() {
        long d = nextNanos;
        nextNanos = Math.min(maxNanos, nextNanos * 2);
        return d;
    }

    /** After a success: the next delay is the initial one again. */
    void reset() {
        nextNanos = initialNanos;
    }
}
