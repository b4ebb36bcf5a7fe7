package io.tidelog.flush;

import io.tidelog.common.Settings;
import io.tidelog.common.StreamingException;
import java.time.Duration;
import java.util.Map;

/**
 * Configuration of the flusher; each key beside its default, validated once.
 *
 * @param threads          {@code flush.threads} (2): threads of the node that write Parquet files and upload
 *                         them (shared by every pchannel of the node)
 * @param manualTimeout    {@code flush.manual.timeout} (2m): how long a ManualFlush waits for its segments'
 *                         files to be in object storage before it fails with {@code TIMEOUT} (its segments
 *                         stay sealed and are flushed later)
 * @param retryBackoff     {@code flush.retry.backoff} (500ms): the first pause before a failed flush is tried
 *                         again; it doubles up to {@code flush.retry.max.backoff}
 * @param retryMaxBackoff  {@code flush.retry.max.backoff} (30s)
 * @param deletesMaxAge    {@code flush.deletes.max.age} (10m): deletes wait at most this long (in time-tick
 *                         time) for a segment flush of their vchannel before they get a delete log of their own
 * @param deletesMaxRows   {@code flush.deletes.max.rows} (100000): or until this many keys are waiting
 * @param pendingMaxBytes  {@code flush.pending.max.bytes} (1GiB): payload bytes of sealed segments and deletes
 *                         of a pchannel waiting for object storage; beyond, inserts and deletes are refused with
 *                         {@code RESOURCE_EXHAUSTED} until uploads catch up (memory stays bounded when the object
 *                         store is down or slow)
 */
public record FlusherConfig(int threads, Duration manualTimeout, Duration retryBackoff, Duration retryMaxBackoff,
                            Duration deletesMaxAge, long deletesMaxRows, long pendingMaxBytes) {
    public static final String PREFIX = "flush.";

    public FlusherConfig {
        if (retryMaxBackoff.compareTo(retryBackoff) < 0) {
            throw StreamingException.invalidArgument(PREFIX + "retry.max.backoff = " + retryMaxBackoff + " is below "
                    + PREFIX + "retry.backoff = " + retryBackoff);
        }
    }

    public static FlusherConfig defaults() {
        return from(Map.of());
    }

    public static FlusherConfig from(Map<String, String> properties) {
        Settings s = new Settings(properties);
        FlusherConfig c = new FlusherConfig(
                s.integer(PREFIX + "threads", 2, 1, 64),
                s.duration(PREFIX + "manual.timeout", Duration.ofMinutes(2), Duration.ofMillis(1), Duration.ofDays(1)),
                s.duration(PREFIX + "retry.backoff", Duration.ofMillis(500), Duration.ofMillis(1), Duration.ofMinutes(10)),
                s.duration(PREFIX + "retry.max.backoff", Duration.ofSeconds(30), Duration.ofMillis(1), Duration.ofHours(1)),
                s.duration(PREFIX + "deletes.max.age", Duration.ofMinutes(10), Duration.ofMillis(1), Duration.ofDays(7)),
                s.longValue(PREFIX + "deletes.max.rows", 100_000, 1, 1L << 40),
                s.bytes(PREFIX + "pending.max.bytes", 1L << 30, 1, 1L << 50));
        s.rejectUnknown(PREFIX);
        return c;
    }
}
