package io.tidelog.meta;

import io.tidelog.common.StreamingException;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The registry of meta stores on the class path, by name. */
public final class MetaStores {
    private MetaStores() {
    }

    /** Every provider on the class path, by name. */
    public static Map<String, MetaStoreProvider> providers() {
        Map<String, MetaStoreProvider> byName = new TreeMap<>();
        for (MetaStoreProvider p : ServiceLoader.load(MetaStoreProvider.class)) {
            MetaStoreProvider previous = byName.putIfAbsent(p.name(), p);
            if (previous != null) {
                throw new IllegalStateException("two meta stores named " + p.name() + ": "
                        + previous.getClass().getName() + " and " + p.getClass().getName());
            }
        }
        return byName;
    }

    /** Opens the store registered as {@code name}; {@code INVALID_ARGUMENT} if there is none. */
    public static MetaStore create(String name, Map<String, String> properties) {
        Map<String, MetaStoreProvider> providers = providers();
        MetaStoreProvider p = providers.get(name);
        if (p == null) {
            throw StreamingException.invalidArgument(
                    "no meta store named '" + name + "'; available: " + providers.keySet());
        }
        return p.create(properties);
    }
}
