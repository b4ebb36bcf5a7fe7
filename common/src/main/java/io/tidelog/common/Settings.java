package io.tidelog.common;

import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A typed, validating view over string properties, used by the configuration class of each component
 * to read its keys once. Every failure is {@code INVALID_ARGUMENT} naming the key and the value.
 *
 * <p>Sizes accept a plain byte count or a binary suffix ({@code 512KiB}, {@code 64MiB}, {@code 1GiB};
 * {@code 1TiB}; {@code k m g t} are accepted as the same binary units). Durations accept {@code ms s m h d}
 * suffixes or a plain number of milliseconds.
 */
public final class Settings {
    private final Map<String, String> properties;
    private final Set<String> read = new HashSet<>();

    public Settings(Map<String, String> properties) {
        this.properties = Collections.unmodifiableMap(new HashMap<>(properties));
    }

    public Map<String, String> asMap() {
        return properties;
    }

    public String string(String key, String defaultValue) {
        read.add(key);
        String v = properties.get(key);
        return v == null ? defaultValue : v.trim();
    }

    public String requiredString(String key) {
        String v = string(key, null);
        if (v == null || v.isEmpty()) {
            throw StreamingException.invalidArgument("configuration key '" + key + "' is required");
        }
        return v;
    }

    public boolean bool(String key, boolean defaultValue) {
        String v = string(key, null);
        if (v == null) {
            return defaultValue;
        }
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(v);
        }
        throw bad(key, v, "true or false");
    }

    public int integer(String key, int defaultValue, int min, int max) {
        long v = longValue(key, defaultValue, min, max);
        return (int) v;
    }

    public long longValue(String key, long defaultValue, long min, long max) {
        String v = string(key, null);
        long value;
        if (v == null) {
            value = defaultValue;
        } else {
            try {
                value = Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw bad(key, v, "an integer");
            }
        }
        return checkRange(key, value, min, max);
    }

    public long bytes(String key, long defaultValue, long min, long max) {
        String v = string(key, null);
        long value = v == null ? defaultValue : parseBytes(key, v);
        return checkRange(key, value, min, max);
    }

    public Duration duration(String key, Duration defaultValue, Duration min, Duration max) {
        String v = string(key, null);
        Duration value = v == null ? defaultValue : parseDuration(key, v);
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw StreamingException.invalidArgument("configuration key '" + key + "' = " + value
                    + " is out of range [" + min + ", " + max + "]");
        }
        return value;
    }

    /** Fails if a key starting with {@code prefix} was never read: a typo must not pass silently. */
    public void rejectUnknown(String prefix) {
        Set<String> unknown = new TreeSet<>();
        for (String k : properties.keySet()) {
            if (k.startsWith(prefix) && !read.contains(k)) {
                unknown.add(k);
            }
        }
        if (!unknown.isEmpty()) {
            throw StreamingException.invalidArgument("unknown configuration keys: " + unknown);
        }
    }

    private static long checkRange(String key, long value, long min, long max) {
        if (value < min || value > max) {
            throw StreamingException.invalidArgument("configuration key '" + key + "' = " + value
                    + " is out of range [" + min + ", " + max + "]");
        }
        return value;
    }

    static long parseBytes(String key, String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        String[][] suffixes = {{"kib", "1024"}, {"mib", "1048576"}, {"gib", "1073741824"}, {"tib", "1099511627776"},
            {"k", "1024"}, {"m", "1048576"}, {"g", "1073741824"}, {"t", "1099511627776"}, {"b", "1"}};
        for (String[] s : suffixes) {
            if (t.endsWith(s[0])) {
                unit = Long.parseLong(s[1]);
                t = t.substring(0, t.length() - s[0].length()).trim();
                break;
            }
        }
        try {
            return Math.multiplyExact(Long.parseLong(t), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw bad(key, text, "a size such as 1048576, 512KiB or 64MiB");
        }
    }

    static Duration parseDuration(String key, String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2).trim()));
            }
            if (t.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1).trim()));
            }
            if (t.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1).trim()));
            }
            if (t.endsWith("h")) {
                return Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1).trim()));
            }
            if (t.endsWith("d")) {
                return Duration.ofDays(Long.parseLong(t.substring(0, t.length() - 1).trim()));
            }
            return Duration.ofMillis(Long.parseLong(t));
        } catch (NumberFormatException e) {
            throw bad(key, text, "a duration such as 200ms, 10s, 5m, 1h or 3d");
        }
    }

    private static StreamingException bad(String key, String value, String expected) {
        return StreamingException.invalidArgument(
                "configuration key '" + key + "' = '" + value + "' is not " + expected);
    }
}
