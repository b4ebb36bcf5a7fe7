package io.tidelog.coord;

import io.tidelog.common.Settings;
import java.time.Duration;
import java.util.Map;

/**
 * Configuration of the garbage collector of dropped collections ({@link DroppedCollectionCollector}); each key
 * beside its default, validated once.
 *
 * @param droppedRetention {@code gc.dropped.retention} (24h): how long after its drop a collection's files stay in
 *                         object storage (readable by any Parquet reader meanwhile); also how long the record of a
 *                         collected collection is kept before a last sweep and its removal
 * @param interval         {@code gc.interval} (10m): how often the collector looks for collections to collect
 */
public record GcConfig(Duration droppedRetention, Duration interval) {
    public static final String PREFIX = "gc.";
    public static final String DROPPED_RETENTION = PREFIX + "dropped.retention";
    public static final String INTERVAL = PREFIX + "interval";

    public static GcConfig defaults() {
        return from(Map.of());
    }

    /** Reads the {@code gc.*} keys; unknown keys under that prefix are rejected. */
    public static GcConfig from(Map<String, String> properties) {
        Settings s = new Settings(properties);
        GcConfig c = new GcConfig(
                s.duration(DROPPED_RETENTION, Duration.ofHours(24), Duration.ZERO, Duration.ofDays(3650)),
                s.duration(INTERVAL, Duration.ofMinutes(10), Duration.ofMillis(10), Duration.ofDays(1)));
        s.rejectUnknown(PREFIX);
        return c;
    }
}
