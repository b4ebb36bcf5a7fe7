package io.tidelog.client;

import java.time.Instant;

/**
 * Reading time ticks, the hybrid timestamps {@code (physical millis << 18) | logical} of DESIGN.md §1, as
 * wall-clock time. The layout is part of the wire protocol; the oracle that issues them lives on the server.
 */
public final class TimeTicks {
    /** Bits of the logical counter below the physical milliseconds. */
    public static final int LOGICAL_BITS = 18;

    private TimeTicks() {
    }

    /** The physical part of {@code timeTick}, as an instant (millisecond precision). */
    public static Instant toInstant(long timeTick) {
        return Instant.ofEpochMilli(timeTick >>> LOGICAL_BITS);
    }

    /** The logical part of {@code timeTick}: the order within its millisecond. */
    public static long logical(long timeTick) {
        return timeTick & ((1L << LOGICAL_BITS) - 1);
    }
}
