package io.tidelog.coord;

import io.tidelog.common.Settings;
import io.tidelog.common.StreamingException;
import java.time.Duration;
import java.util.Map;

/**
 * Configuration of the collection catalog and its DDL broadcaster; each key beside its default, validated once.
 *
 * @param defaultShards       {@code catalog.default.shards} (1): shards of a collection created without a count
 * @param maxShards           {@code catalog.max.shards} (16, at most 64): the most shards (vchannels) of one
 *                            collection
 * @param maxPartitions       {@code catalog.max.partitions} (1024): the most partitions of one collection
 * @param maxReplicas         {@code catalog.max.replicas} (3, at most 16): the most replicas (delegators of each
 *                            vchannel, the owner's included) of one collection
 * @param backoffInitial      {@code catalog.broadcast.backoff.initial} (10ms): the first wait before a failed
 *                            broadcast append is retried
 * @param backoffMax          {@code catalog.broadcast.backoff.max} (5s): waits double up to this
 * @param tombstones          {@code catalog.broadcast.tombstones} (256): finished broadcast tasks kept in the
 *                            meta store (the oldest go first)
 * @param tombstoneTtl        {@code catalog.broadcast.tombstone.ttl} (30m): how long a finished task is kept
 * @param pauseAfterAppends   {@code catalog.broadcast.pause.after.appends} (0: never). A test hook: the
 *                            broadcaster sends at most this many appends in this process and, when the last of
 *                            them is acknowledged, stops before persisting that acknowledgement, logging
 *                            "broadcast paused", so that a test can kill the coordinator between appends
 */
public record CatalogConfig(int defaultShards, int maxShards, int maxPartitions, int maxReplicas, Duration backoffInitial,
                            Duration backoffMax, int tombstones, Duration tombstoneTtl, long pauseAfterAppends) {
    public static final String PREFIX = "catalog.";
    public static final String DEFAULT_SHARDS = PREFIX + "default.shards";
    public static final String MAX_SHARDS = PREFIX + "max.shards";
    public static final String MAX_PARTITIONS = PREFIX + "max.partitions";
    public static final String MAX_REPLICAS = PREFIX + "max.replicas";
    public static final String BACKOFF_INITIAL = PREFIX + "broadcast.backoff.initial";
    public static final String BACKOFF_MAX = PREFIX + "broadcast.backoff.max";
    public static final String TOMBSTONES = PREFIX + "broadcast.tombstones";
    public static final String TOMBSTONE_TTL = PREFIX + "broadcast.tombstone.ttl";
    public static final String PAUSE_AFTER_APPENDS = PREFIX + "broadcast.pause.after.appends";
    /**
     * The most shards any configuration allows: the broadcast of a DDL finishes in one meta-store
     * transaction that touches every vchannel's acknowledgement.
     */
    public static final int SHARDS_LIMIT = 64;

    public CatalogConfig {
        if (defaultShards > maxShards) {
            throw StreamingException.invalidArgument(DEFAULT_SHARDS + " = " + defaultShards + " exceeds " + MAX_SHARDS
                    + " = " + maxShards);
        }
        if (backoffMax.compareTo(backoffInitial) < 0) {
            throw StreamingException.invalidArgument(BACKOFF_MAX + " = " + backoffMax + " is below " + BACKOFF_INITIAL
                    + " = " + backoffInitial);
        }
    }

    public static CatalogConfig defaults() {
        return from(Map.of());
    }

    /** Reads the {@code catalog.*} keys; unknown keys under that prefix are rejected. */
    public static CatalogConfig from(Map<String, String> properties) {
        Settings s = new Settings(properties);
        CatalogConfig c = new CatalogConfig(
                s.integer(DEFAULT_SHARDS, 1, 1, SHARDS_LIMIT),
                s.integer(MAX_SHARDS, 16, 1, SHARDS_LIMIT),
                s.integer(MAX_PARTITIONS, 1024, 1, 65536),
                s.integer(MAX_REPLICAS, 3, 1, 16),
                s.duration(BACKOFF_INITIAL, Duration.ofMillis(10), Duration.ofMillis(1), Duration.ofMinutes(1)),
                s.duration(BACKOFF_MAX, Duration.ofSeconds(5), Duration.ofMillis(1), Duration.ofMinutes(10)),
                s.integer(TOMBSTONES, 256, 0, 1 << 20),
                s.duration(TOMBSTONE_TTL, Duration.ofMinutes(30), Duration.ZERO, Duration.ofDays(365)),
                s.longValue(PAUSE_AFTER_APPENDS, 0, 0, Long.MAX_VALUE));
        s.rejectUnknown(PREFIX);
        return c;
    }
}
