package io.tidelog.tso;

import io.tidelog.common.StreamingException;
import java.util.concurrent.atomic.AtomicBoolean;

/** An in-memory store that counts saves and can be told to fail them. */
final class CountingStore implements TimestampStore {
    private volatile long mark;
    private volatile int saves;
    final AtomicBoolean failSaves = new AtomicBoolean();

    CountingStore(long initialMark) {
        this.mark = initialMark;
    }

    @Override
    public long load() {
        return mark;
    }

    @Override
    public synchronized void save(long highWaterMillis) {
        if (failSaves.get()) {
            throw StreamingException.inner("injected save failure", null);
        }
        mark = highWaterMillis;
        saves++;
    }

    long mark() {
        return mark;
    }

    int saves() {
        return saves;
    }
}
