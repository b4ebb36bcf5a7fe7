package io.tidelog.session;

import io.tidelog.common.Settings;
import io.tidelog.common.StreamingException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Configuration of a member's {@link Session}; each key beside its default, validated once.
 *
 * @param ttl               {@code session.ttl} (10s; 1s to 1h): the time to live of the session's lease. Another
 *                          member sees the session gone at the earliest one time to live after its last refresh
 *                          was sent (etcd counts whole seconds and rounds up)
 * @param keepAliveInterval {@code session.keepalive.interval} (ttl / 3; 10ms to the ttl): how often the lease is
 *                          refreshed; after a failed refresh the next one follows sooner (backing off from 100 ms
 *                          up to this interval). Must be below {@code ttl - margin}, or the session would fence
 *                          itself between two refreshes
 * @param selfFenceMargin   {@code session.self.fence.margin} (2s; 100ms to below the ttl): the member stops by itself
 *                          once no refresh sent in the last {@code ttl - margin} succeeded, at least this long before
 *                          the store can expire its lease (see {@link Session})
 */
public record SessionConfig(Duration ttl, Duration keepAliveInterval, Duration selfFenceMargin) {
    public static final String PREFIX = "session.";
    public static final String TTL = PREFIX + "ttl";
    public static final String KEEPALIVE_INTERVAL = PREFIX + "keepalive.interval";
    public static final String SELF_FENCE_MARGIN = PREFIX + "self.fence.margin";

    static final Duration MIN_TTL = Duration.ofSeconds(1);
    static final Duration MAX_TTL = Duration.ofHours(1);
    static final Duration MIN_INTERVAL = Duration.ofMillis(10);
    static final Duration MIN_MARGIN = Duration.ofMillis(100);
    /** The longest pause between two looks of the watchdog at the self-fence deadline. */
    static final Duration MAX_WATCHDOG_TICK = Duration.ofMillis(100);

    /** Checks the three durations against each other; throws {@code INVALID_ARGUMENT} naming the keys. */
    public SessionConfig {
        Objects.requireNonNull(ttl, "ttl");
        Objects.requireNonNull(keepAliveInterval, "keepAliveInterval");
        Objects.requireNonNull(selfFenceMargin, "selfFenceMargin");
        if (ttl.compareTo(MIN_TTL) < 0 || ttl.compareTo(MAX_TTL) > 0) {
            throw StreamingException.invalidArgument("configuration key '" + TTL + "' = " + ttl + " is out of range ["
                    + MIN_TTL + ", " + MAX_TTL + "]");
        }
        if (selfFenceMargin.compareTo(MIN_MARGIN) < 0 || selfFenceMargin.compareTo(ttl) >= 0) {
            throw StreamingException.invalidArgument("configuration key '" + SELF_FENCE_MARGIN + "' = " + selfFenceMargin
                    + " must be at least " + MIN_MARGIN + " and less than '" + TTL + "' = " + ttl);
        }
        Duration fenceAfter = ttl.minus(selfFenceMargin);
        if (keepAliveInterval.compareTo(MIN_INTERVAL) < 0 || keepAliveInterval.compareTo(fenceAfter) >= 0) {
            throw StreamingException.invalidArgument("configuration key '" + KEEPALIVE_INTERVAL + "' = "
                    + keepAliveInterval + " must be at least " + MIN_INTERVAL + " and less than '" + TTL + "' - '"
                    + SELF_FENCE_MARGIN + "' = " + fenceAfter + " (its default is a third of the ttl): lower it or the"
                    + " margin");
        }
    }

    /** The defaults: a lease of 10 s refreshed every 3.33 s, and a member that stops 8 s after its last refresh. */
    public static SessionConfig defaults() {
        return from(Map.of());
    }

    /** Reads the {@code session.*} keys of {@code properties}; unknown {@code session.*} keys are refused. */
    public static SessionConfig from(Map<String, String> properties) {
        Settings s = new Settings(properties);
        Duration ttl = s.duration(TTL, Duration.ofSeconds(10), MIN_TTL, MAX_TTL);
        SessionConfig c = new SessionConfig(ttl,
                s.duration(KEEPALIVE_INTERVAL, ttl.dividedBy(3), MIN_INTERVAL, ttl),
                s.duration(SELF_FENCE_MARGIN, Duration.ofSeconds(2), MIN_MARGIN, ttl));
        s.rejectUnknown(PREFIX);
        return c;
    }

    /** How long the member serves after the last refresh that succeeded was sent: {@code ttl - margin}. */
    public Duration fenceAfter() {
        return ttl.minus(selfFenceMargin);
    }

    /** How often the watchdog looks at the self-fence deadline: a quarter of the margin, at most 100 ms. */
    Duration watchdogTick() {
        Duration quarter = selfFenceMargin.dividedBy(4);
        return quarter.compareTo(MAX_WATCHDOG_TICK) < 0 ? quarter : MAX_WATCHDOG_TICK;
    }
}
