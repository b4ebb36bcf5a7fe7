package io.tidelog.server;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Standalone servers of tests: as {@link StandaloneServer#start}, on a free HTTP port unless the test names one. */
final class TestStandalone {
    private TestStandalone() {
    }

    static StandaloneServer start(Path dataDir, Map<String, String> properties) {
        Map<String, String> p = new HashMap<>(properties);
        p.putIfAbsent(HttpConfig.PORT, "0");
        return StandaloneServer.start(dataDir, p);
    }
}
