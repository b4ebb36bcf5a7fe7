package io.tidelog.server;

import java.util.HashMap;
import java.util.Map;

/** Selecting one component's keys out of a process's configuration. */
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
}
