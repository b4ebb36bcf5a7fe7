package io.tidelog.delegator;

import io.tidelog.common.Settings;
import java.time.Duration;
import java.util.Map;

/**
 * Configuration of the node's queries; each key beside its default, validated once.
 *
 * @param boundedStaleness {@code query.bounded.staleness} (5s): how far behind the present a {@code BOUNDED} query
 *                         may read
 * @param maxWait          {@code query.max.wait} (30s): the longest a query waits for its data to be fresh enough,
 *                         whatever its deadline; then {@code TIMEOUT}
 * @param maxRows          {@code query.max.rows} (16384): the most rows one answer of a vchannel holds, and the
 *                         largest limit; a query without a limit that matches more fails with {@code INVALID_ARGUMENT}
 * @param maxTopK          {@code query.max.topk} (16384): the largest top-k of a search
 * @param threads          {@code query.threads} (2): the node's threads that run queries
 * @param sealedCacheBytes {@code query.sealed.cache.bytes} (a quarter of the JVM's maximum heap): how much of the
 *                         rows of sealed segments a node keeps in memory; beyond, the least recently used are evicted
 *                         and read again from the node's cache of files when a query needs them
 * @param fileCacheBytes   {@code query.file.cache.bytes} (8GiB): how much disk the node's copies of flushed files
 *                         ({@code <data dir>/segment-cache}) may take; beyond, the least recently used are deleted
 */
public record QueryConfig(Duration boundedStaleness, Duration maxWait, int maxRows, int maxTopK, int threads,
                          long sealedCacheBytes, long fileCacheBytes) {
    public static final String PREFIX = "query.";

    public static QueryConfig defaults() {
        return from(Map.of());
    }

    public static QueryConfig from(Map<String, String> properties) {
        Settings s = new Settings(properties);
        QueryConfig c = new QueryConfig(
                s.duration(PREFIX + "bounded.staleness", Duration.ofSeconds(5), Duration.ZERO, Duration.ofDays(1)),
                s.duration(PREFIX + "max.wait", Duration.ofSeconds(30), Duration.ofMillis(1), Duration.ofHours(1)),
                s.integer(PREFIX + "max.rows", 16_384, 1, 1 << 24),
                s.integer(PREFIX + "max.topk", 16_384, 1, 1 << 20),
                s.integer(PREFIX + "threads", 2, 1, 256),
                s.bytes(PREFIX + "sealed.cache.bytes", Runtime.getRuntime().maxMemory() / 4, 0, Long.MAX_VALUE),
                s.bytes(PREFIX + "file.cache.bytes", 8L << 30, 0, Long.MAX_VALUE));
        s.rejectUnknown(PREFIX);
        return c;
    }
}
