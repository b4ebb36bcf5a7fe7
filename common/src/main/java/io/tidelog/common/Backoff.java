package io.tidelog.common;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff: the first delay is {@code initial}, each next one {@code multiplier} times the one
 * before, up to {@code max}, until {@link #reset()}. With jitter {@code j}, each delay {@code d} is drawn
 * uniformly from {@code [d × (1 - j), d]} with the injected generator (seed it in tests), so that many
 * waiters spread out while no delay exceeds the schedule or {@code max}; the schedule itself grows as without
 * jitter.
 *
 * <p>Not thread-safe: each user keeps its own, under its own lock or on its own thread.
 */
public final class Backoff {
    private final long initialNanos;
    private final long maxNanos;
    private final double multiplier;
    private final double jitter;
    private final RandomGenerator random;
    private long nextNanos;

    /** Doubling from {@code initial} up to {@code max}, without jitter. */
    public Backoff(Duration initial, Duration max) {
        this(initial, max, 2, 0, null);
    }

    /**
     * @param multiplier at least 1
     * @param jitter     the fraction, from 0 to 1, by which a delay may be shortened at random
     * @param random     draws the jitter; may be null only when {@code jitter} is 0
     * @throws StreamingException {@code INVALID_ARGUMENT} for a non-positive {@code initial}, a {@code max} below
     *         it, a multiplier below 1, a jitter outside [0, 1] or jitter without a generator
     */
    public Backoff(Duration initial, Duration max, double multiplier, double jitter, RandomGenerator random) {
        Objects.requireNonNull(initial, "initial");
        Objects.requireNonNull(max, "max");
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw StreamingException.invalidArgument("a backoff needs 0 < initial <= max, got initial " + initial
                    + " and max " + max);
        }
        if (!(multiplier >= 1) || !(jitter >= 0 && jitter <= 1) || (jitter > 0 && random == null)) {
            throw StreamingException.invalidArgument("a backoff needs a multiplier of at least 1 and a jitter from 0 to 1"
                    + " with a random generator, got multiplier " + multiplier + " and jitter " + jitter
                    + (random == null ? " without a generator" : ""));
        }
        this.initialNanos = initial.toNanos();
        this.maxNanos = max.toNanos();
        this.multiplier = multiplier;
        this.jitter = jitter;
        this.random = random;
        this.nextNanos = initialNanos;
    }

    /** The delay to wait now, in nanoseconds; the one after it is {@code multiplier} times longer, up to the max. */
    public long nextNanos() {
        long d = nextNanos;
        nextNanos = (long) Math.min(maxNanos, d * multiplier);
        if (jitter == 0) {
            return d;
        }
        return d - (long) (d * jitter * random.nextDouble());
    }

    /** {@link #nextNanos()} as a duration. */
    public Duration next() {
        return Duration.ofNanos(nextNanos());
    }

    /** After a success: the next delay is the initial one again. */
    public void reset() {
        nextNanos = initialNanos;
    }
}
