package io.tidelog.node.extension;

import io.tidelog.common.Settings;
import java.time.Duration;
import java.util.Map;

/**
 * Configuration of idempotent appends; each key beside its default, validated once.
 *
 * @param window     {@code dedup.window} (10m): how long after its append a key is remembered, in
 *                   time-tick time; a retry within it returns the original result
 * @param maxEntries {@code dedup.max.entries} (200000): keys remembered per pchannel at most; beyond it
 *                   the oldest are forgotten early (memory stays bounded under any rate of keyed appends)
 */
public record DedupConfig(Duration window, int maxEntries) {
    public static final String PREFIX = "dedup.";

    public static DedupConfig defaults() {
        return from(Map.of());
    }

    public static DedupConfig from(Map<String, String> properties) {
        Settings s = new Settings(properties);
        DedupConfig c = new DedupConfig(
                s.duration(PREFIX + "window", Duration.ofMinutes(10), Duration.ZERO, Duration.ofDays(7)),
                s.integer(PREFIX + "max.entries", 200_000, 0, 100_000_000));
        s.rejectUnknown(PREFIX);
        return c;
    }
}
