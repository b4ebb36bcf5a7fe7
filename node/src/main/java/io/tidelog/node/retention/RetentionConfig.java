package io.tidelog.node.retention;

import io.tidelog.common.Settings;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * How long a pchannel's WAL keeps what it acknowledged; each key beside its default, validated once.
 *
 * <p>The WAL is truncated only below the <em>smallest</em> of: the recovery checkpoint (what a restart
 * needs), the retention bound, and the committed position of every durable subscription that lags by
 * less than {@code maxLag}. The retention bound is the later of the time bound and the bytes bound: a
 * message goes once it is older than {@code time} <em>or</em> once the log after it holds more than
 * {@code bytes} (Kafka's {@code retention.ms} and {@code retention.bytes}).
 *
 * @param time   {@code wal.retention.time} (72h, as Milvus's {@code streaming.walTruncate.retentionInterval}):
 *               messages younger than this are kept; 0 keeps only what the checkpoint and subscriptions need
 * @param bytes  {@code wal.retention.bytes} ({@code unlimited}): the most record bytes kept per pchannel by
 *               the retention bound; the backend frees whole segments, so it may keep up to one more
 * @param maxLag {@code wal.retention.max.lag} (7d): a durable subscription whose committed position is older
 *               than this no longer holds the WAL: it is let go (a warning, a counter), and once the WAL is
 *               truncated past it, resuming it fails with {@code OUT_OF_RANGE}
 */
public record RetentionConfig(Duration time, long bytes, Duration maxLag) {
    public static final String PREFIX = "wal.retention.";
    public static final String TIME = PREFIX + "time";
    public static final String BYTES = PREFIX + "bytes";
    public static final String MAX_LAG = PREFIX + "max.lag";
    /** {@link #bytes()} when the retention is not bounded by bytes. */
    public static final long UNLIMITED = Long.MAX_VALUE;

    public static RetentionConfig defaults() {
        return from(Map.of());
    }

    /** Keeps nothing beyond what the checkpoint and subscriptions need (tests of bounded disk use). */
    public static RetentionConfig untilCheckpoint() {
        return new RetentionConfig(Duration.ZERO, UNLIMITED, Duration.ofDays(7));
    }

    public static RetentionConfig from(Map<String, String> properties) {
        Settings s = new Settings(properties);
        String bytesText = s.string(BYTES, "unlimited");
        long bytes = bytesText.toLowerCase(Locale.ROOT).equals("unlimited") || bytesText.equals("-1") ? UNLIMITED
                : new Settings(Map.of(BYTES, bytesText)).bytes(BYTES, UNLIMITED, 0, UNLIMITED);
        RetentionConfig c = new RetentionConfig(
                s.duration(TIME, Duration.ofHours(72), Duration.ZERO, Duration.ofDays(3650)),
                bytes,
                s.duration(MAX_LAG, Duration.ofDays(7), Duration.ZERO, Duration.ofDays(3650)));
        s.rejectUnknown(PREFIX);
        return c;
    }

    /** Whether the retention bound keeps everything the bytes allow (no bytes bound). */
    boolean bytesUnlimited() {
        return bytes == UNLIMITED;
    }
}
