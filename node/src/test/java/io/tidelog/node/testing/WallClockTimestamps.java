package io.tidelog.node.testing;

import io.tidelog.tso.HybridTimestamps;
import io.tidelog.tso.TimestampAllocator;

/**
 * A timestamp oracle for tests of one process: hybrid timestamps from the wall clock, strictly increasing across
 * calls (a clock that stands still or steps back continues from the last one). Thread-safe.
 */
public final class WallClockTimestamps implements TimestampAllocator {
    private long last;

    @Override
    public synchronized long allocate(int count) {
        long first = Math.max(last + 1, HybridTimestamps.compose(System.currentTimeMillis(), 0));
        last = first + count - 1;
        return first;
    }
}
