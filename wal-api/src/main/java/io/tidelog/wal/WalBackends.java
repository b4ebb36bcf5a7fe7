package io.tidelog.wal;

import io.tidelog.common.StreamingException;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The registry of WAL backends on the class path, by name. */
public final class WalBackends {
    private WalBackends() {
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
