package io.tidelog.server;

import io.tidelog.common.StreamingException;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.MetaStores;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Selecting one component's keys out of a process's configuration, and checking them. */
final class ConfigKeys {
    private ConfigKeys() {
    }

    /** The entries of {@code p} whose key starts with {@code prefix}, in a new mutable map. */
    static Map<String, String> only(Map<String, String> p, String prefix) {
        Map<String, String> out = new HashMap<>();
        p.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k, v);
            }
        });
        return out;
    }

    /**
     * Refuses keys under none of {@code prefixes} with {@code INVALID_ARGUMENT} naming them and the prefixes
     * {@code role} understands.
     */
    static void checkPrefixes(Map<String, String> p, Set<String> prefixes, String role) {
        Set<String> unknown = new TreeSet<>();
        for (String k : p.keySet()) {
            if (prefixes.stream().noneMatch(k::startsWith)) {
                unknown.add(k);
            }
        }
        if (!unknown.isEmpty()) {
            throw StreamingException.invalidArgument("unknown configuration keys for " + role + ": " + unknown
                    + " (known prefixes: " + new TreeSet<>(prefixes) + ")");
        }
    }

    /**
     * The meta store of a cluster member from its {@code meta.*} keys: etcd ({@code meta.etcd.*}) unless
     * {@code meta.store} names another (tests).
     */
    static MetaStore clusterMetaStore(Map<String, String> p) {
        Map<String, String> settings = only(p, "meta.");
        String store = settings.containsKey("meta.etcd.endpoints") ? "etcd" : settings.getOrDefault("meta.store", "etcd");
        settings.remove("meta.store");
        return MetaStores.create(store, settings);
    }
}
