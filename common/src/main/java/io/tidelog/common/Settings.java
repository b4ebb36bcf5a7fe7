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
    /**
     * Told of every key a configuration reads, with the value it uses and whether that is the default
     * ({@code tidelog config show} lists a process's keys this way, without a registry of its own).
     */
    public interface Reads {
        void read(String key, String value, boolean isDefault);
    }

    /** The observer of the reads on this thread, if any; see {@link #observing}. */
    private static final ThreadLocal<Reads> OBSERVER = new ThreadLocal<>();

    private final Map<String, String> properties;
    private final Set<String> read = new HashSet<>();

    public Settings(Map<String, String> properties) {
        this.properties = Collections.unmodifiableMap(new HashMap<>(properties));
    }

    public Map<String, String> asMap() {
        return properties;
    }

    /** Runs {@code reading} (which builds configurations) and tells {@code reads} of every key read on this thread. */
    public static <T> T observing(Reads reads, java.util.function.Supplier<T> reading) {
        Reads before = OBSERVER.get();
        OBSERVER.set(reads);
        try {
            return reading.get();
        } finally {
            OBSERVER.set(before);
        }
    }

    private void observe(String key, String defaultText) {
        Reads r = OBSERVER.get();
        if (r != null) {
            String v = properties.get(key);
            r.read(key, v == null ? (defaultText == null ? "" : defaultText) : v.trim(), v == null);
        }
    }

    public String string(String key, String defaultValue) {
        return string(key, defaultValue, defaultValue);
    }

    private String string(String key, String defaultValue, String defaultText) {
        read.add(key);
        observe(key, defaultText);
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
        String v = string(key, null, Boolean.toString(defaultValue));
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
        String v = string(key, null, Long.toString(defaultValue));
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
        String v = string(key, null, formatBytes(defaultValue));
        long value = v == null ? defaultValue : parseBytes(key, v);
        return checkRange(key, value, min, max);
    }

    public Duration duration(String key, Duration defaultValue, Duration min, Duration max) {
        String v = string(key, null, formatDuration(defaultValue));
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

    /** A size as a key takes it: the largest binary unit that divides it ({@code 64MiB}), else bytes. */
    public static String formatBytes(long bytes) {
        String[] units = {"TiB", "GiB", "MiB", "KiB"};
        for (int i = 0; i < units.length; i++) {
            long unit = 1L << (10 * (units.length - i));
            if (bytes != 0 && bytes % unit == 0) {
                return bytes / unit + units[i];
            }
        }
        return Long.toString(bytes);
    }

    /** A duration as a key takes it: the largest unit that divides it ({@code 10m}, {@code 200ms}). */
    public static String formatDuration(Duration d) {
        long ms = d.toMillis();
        long[] units = {86_400_000L, 3_600_000L, 60_000L, 1_000L};
        String[] names = {"d", "h", "m", "s"};
        for (int i = 0; i < units.length; i++) {
            if (ms != 0 && ms % units[i] == 0) {
                return ms / units[i] + names[i];
            }
        }
        return ms + "ms";
    }

    private static StreamingException bad(String key, String value, String expected) {
        return StreamingException.invalidArgument(
                "configuration key '" + key + "' = '" + value + "' is not " + expected);
    }
}
