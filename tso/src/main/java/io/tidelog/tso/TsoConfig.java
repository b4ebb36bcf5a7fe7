package io.tidelog.tso;

import io.tidelog.common.Settings;
import io.tidelog.common.StreamingException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Configuration of the timestamp oracle; each key beside its default, validated once.
 *
 * @param window {@code tso.window} (default 3s, range 1ms to 1h): how far ahead of the timestamps issued
 *               the oracle saves its high-water mark. A larger window saves less often; after a restart
 *               the oracle may jump ahead of the clock by up to this much.
 */
public record TsoConfig(Duration window) {
    public static final String PREFIX = "tso.";
    public static final String WINDOW_KEY = PREFIX + "window";
    public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(3);
    static final Duration MIN_WINDOW = Duration.ofMillis(1);
    static final Duration MAX_WINDOW = Duration.ofHours(1);

    public TsoConfig {
        Objects.requireNonNull(window, "window");
        if (window.compareTo(MIN_WINDOW) < 0 || window.compareTo(MAX_WINDOW) > 0) {
            throw StreamingException.invalidArgument("configuration key '" + WINDOW_KEY + "' = " + window
                    + " is out of range [" + MIN_WINDOW + ", " + MAX_WINDOW + "]");
        }
    }

    public static TsoConfig defaults() {
        return new TsoConfig(DEFAULT_WINDOW);
    }

    /** Reads the {@code tso.*} keys; unknown keys under that prefix are rejected. */
    public static TsoConfig from(Map<String, String> properties) {
        Settings s = new Settings(properties);
        Duration window = s.duration(WINDOW_KEY, DEFAULT_WINDOW, MIN_WINDOW, MAX_WINDOW);
        s.rejectUnknown(PREFIX);
        return new TsoConfig(window);
    }
}
