package io.tidelog.wal;

import io.tidelog.common.StreamingException;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The registry of WAL backends on the class path, by name. */
public final class WalBackends {
    /**
     * The configuration key that selects the backend by name ({@code local}, {@code objectstore}, {@code kafka},
     * {@code pulsar}, {@code memory}).
     */
    public static final String BACKEND = "wal.backend";
    /** The backend used when {@link #BACKEND} is not set. */
    public static final String DEFAULT_BACKEND = "local";

    private WalBackends() {
    }

    /**
     * The backend {@code properties} select with {@link #BACKEND} (or {@link #DEFAULT_BACKEND}), checked to be on
     * the class path; {@code INVALID_ARGUMENT} naming the known ones otherwise.
     */
    public static String selected(Map<String, String> properties) {
        String name = properties.getOrDefault(BACKEND, DEFAULT_BACKEND).trim();
        if (!providers().containsKey(name)) {
            throw StreamingException.invalidArgument("configuration key '" + BACKEND + "' = '" + name
                    + "' names no WAL backend; available: " + providers().keySet());
        }
        return name;
    }

    /** Every provider on the class path, by name. */
    public static Map<String, WalBackendProvider> providers() {
        Map<String, WalBackendProvider> byName = new TreeMap<>();
        for (WalBackendProvider p : ServiceLoader.load(WalBackendProvider.class)) {
            WalBackendProvider previous = byName.putIfAbsent(p.name(), p);
            if (previous != null) {
                throw new IllegalStateException("two WAL backends named " + p.name() + ": "
                        + previous.getClass().getName() + " and " + p.getClass().getName());
            }
        }
        return byName;
    }

    /** Creates the backend registered as {@code name}; {@code INVALID_ARGUMENT} if there is none. */
    public static WalBackend create(String name, Map<String, String> properties) {
        WalBackendProvider p = providers().get(name);
        if (p == null) {
            throw StreamingException.invalidArgument(
                    "no WAL backend named '" + name + "'; available: " + providers().keySet());
        }
        return p.create(properties);
    }
}
