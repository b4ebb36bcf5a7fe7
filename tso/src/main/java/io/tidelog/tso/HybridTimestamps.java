package io.tidelog.tso;

import io.tidelog.common.StreamingException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Hybrid timestamps: {@code (physical millis << 18) | logical}. The physical part is milliseconds since the
 * epoch (45 bits, enough until the year 3084), the logical part counts timestamps issued within one
 * millisecond (18 bits, 262,144 per millisecond). Comparing two timestamps as {@code long} compares them
 * by physical part, then by logical part; the successor of {@code (p, MAX_LOGICAL)} is {@code (p + 1, 0)}.
 */
public final class HybridTimestamps {
    /** The number of low bits holding the logical part. */
    public static final int LOGICAL_BITS = 18;
    /** The largest logical part. */
    public static final long MAX_LOGICAL = (1L << LOGICAL_BITS) - 1;
    /** The largest physical part, in epoch milliseconds. */
    public static final long MAX_PHYSICAL_MILLIS = Long.MAX_VALUE >>> LOGICAL_BITS;

    private static final DateTimeFormatter TEXT =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private HybridTimestamps() {
    }

    /**
     * The timestamp of {@code physicalMillis} and {@code logical}.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} if a part is out of its range
     */
    public static long compose(long physicalMillis, long logical) {
        if (physicalMillis < 0 || physicalMillis > MAX_PHYSICAL_MILLIS || logical < 0 || logical > MAX_LOGICAL) {
            throw StreamingException.invalidArgument("hybrid timestamp parts out of range: physical "
                    + physicalMillis + " ms, logical " + logical);
        }
        return (physicalMillis << LOGICAL_BITS) | logical;
    }

    /** The physical part, in epoch milliseconds. */
    public static long physicalMillis(long timestamp) {
        return timestamp >>> LOGICAL_BITS;
    }

    /** The logical part. */
    public static long logical(long timestamp) {
        return timestamp & MAX_LOGICAL;
    }

    /** For example {@code 2026-11-24T20:14:17.123Z+5}: the physical part in UTC, then the logical part. */
    public static String toString(long timestamp) {
        return TEXT.format(Instant.ofEpochMilli(physicalMillis(timestamp))) + "+" + logical(timestamp);
    }
}
