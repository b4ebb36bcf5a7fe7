package io.tidelog.node.shard;

import io.tidelog.common.Settings;
import io.tidelog.common.StreamingException;
import java.time.Duration;
import java.util.Map;

/**
 * Configuration of the collection shards of the streaming node ({@link ShardManager}): the growing
 * segment limits and seal policies. Each key beside its default, validated once.
 *
 * @param segmentMaxBytes      {@code shard.segment.max.bytes} (128MiB): a segment is sealed when the
 *                             next insert would take it over this many payload bytes (size policy); an
 *                             insert larger than this fails with {@code INVALID_ARGUMENT}
 * @param segmentMaxRows       {@code shard.segment.max.rows} (0: unlimited): the same for rows (rows policy)
 * @param segmentLifetime      {@code shard.segment.lifetime} (24h): a segment is sealed this long after
 *                             its CreateSegment (lifetime policy)
 * @param segmentIdleTime      {@code shard.segment.idle.time} (10m): a segment of at least
 *                             {@code segmentIdleMinBytes} that has had no insert for this long is sealed
 *                             (idle policy)
 * @param segmentIdleMinBytes  {@code shard.segment.idle.min.bytes} (16MiB): see {@code segmentIdleTime}
 * @param growingHighBytes     {@code shard.growing.high.bytes} (1GiB, or 30 % of the JVM's maximum heap if that
 *                             is less): when the growing segments of the whole node hold more payload bytes (and
 *                             rows their delegators keep) than this, the largest are sealed ...
 * @param growingLowBytes      {@code shard.growing.low.bytes} (half the high mark): ... until they hold at most this
 *                             many (node memory high-water mark policy); at most {@code growingHighBytes}
 */
public record ShardConfig(long segmentMaxBytes, long segmentMaxRows, Duration segmentLifetime,
                          Duration segmentIdleTime, long segmentIdleMinBytes, long growingHighBytes,
                          long growingLowBytes) {
    public static final String PREFIX = "shard.";
    private static final long MAX_BYTES = 1L << 40;

    public ShardConfig {
        if (segmentMaxBytes < 1 || segmentMaxRows < 0 || segmentIdleMinBytes < 0 || growingLowBytes < 0
                || growingHighBytes < growingLowBytes) {
            throw StreamingException.invalidArgument("bad shard configuration: segment max bytes " + segmentMaxBytes
                    + " (>= 1), max rows " + segmentMaxRows + " (>= 0), idle min bytes " + segmentIdleMinBytes
                    + " (>= 0), growing low " + growingLowBytes + " <= high " + growingHighBytes);
        }
        if (segmentLifetime.isNegative() || segmentLifetime.isZero() || segmentIdleTime.isNegative()
                || segmentIdleTime.isZero()) {
            throw StreamingException.invalidArgument("segment lifetime and idle time must be positive, got "
                    + segmentLifetime + " and " + segmentIdleTime);
        }
    }

    public static ShardConfig defaults() {
        return from(Map.of());
    }

    /** 1 GiB, or less on a small heap: growing data must fit beside everything else a node keeps. */
    private static long defaultGrowingHigh() {
        return Math.min(1L << 30, Runtime.getRuntime().maxMemory() / 10 * 3);
    }

    /** Reads the {@code shard.*} keys; unknown keys under that prefix are rejected. */
    public static ShardConfig from(Map<String, String> properties) {
        Settings s = new Settings(properties);
        ShardConfig c = new ShardConfig(
                s.bytes(PREFIX + "segment.max.bytes", 128L << 20, 1, MAX_BYTES),
                s.longValue(PREFIX + "segment.max.rows", 0, 0, Long.MAX_VALUE),
                s.duration(PREFIX + "segment.lifetime", Duration.ofHours(24), Duration.ofMillis(1), Duration.ofDays(3650)),
                s.duration(PREFIX + "segment.idle.time", Duration.ofMinutes(10), Duration.ofMillis(1), Duration.ofDays(3650)),
                s.bytes(PREFIX + "segment.idle.min.bytes", 16L << 20, 0, MAX_BYTES),
                s.bytes(PREFIX + "growing.high.bytes", defaultGrowingHigh(), 0, MAX_BYTES),
                s.bytes(PREFIX + "growing.low.bytes",
                        s.bytes(PREFIX + "growing.high.bytes", defaultGrowingHigh(), 0, MAX_BYTES) / 2, 0, MAX_BYTES));
        s.rejectUnknown(PREFIX);
        return c;
    }
}
