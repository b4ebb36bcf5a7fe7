package io.tidelog.session;

import java.time.Instant;
import java.time.InstantSource;

/**
 * Wall time at creation, advanced by {@link System#nanoTime()}: never goes back and does not jump when the
 * system clock is set, which a self-fence deadline needs (a wall clock set back would keep a member serving past
 * its lease).
 */
final class MonotonicClock implements InstantSource {
    static final MonotonicClock INSTANCE = new MonotonicClock();

    private final long originMillis = System.currentTimeMillis();
    private final long originNanos = System.nanoTime();

    private MonotonicClock() {
    }

    @Override
    public long millis() {
        return originMillis + (System.nanoTime() - originNanos) / 1_000_000;
    }

    @Override
    public Instant instant() {
        long nanos = System.nanoTime() - originNanos;
        return Instant.ofEpochMilli(originMillis).plusNanos(nanos);
    }
}
