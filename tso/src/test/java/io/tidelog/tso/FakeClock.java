package io.tidelog.tso;

import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;

/** A clock the test moves by hand, backwards too. Thread-safe. */
final class FakeClock implements InstantSource {
    private final AtomicLong millis;

    FakeClock(long millis) {
        this.millis = new AtomicLong(millis);
    }

    void set(long newMillis) {
        millis.set(newMillis);
    }

    void advance(long deltaMillis) {
        millis.addAndGet(deltaMillis);
    }

    @Override
    public long millis() {
        return millis.get();
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis());
    }
}
