package io.tidelog.wal.objectstore;

import io.tidelog.objectstore.s3.S3ProxyServer;
import java.util.HashMap;
import java.util.Map;

/** Settings the tests share. */
final class ObjectStoreWalTesting {
    private ObjectStoreWalTesting() {
    }

    /**
     * Small blocks and segments, so that block sealing, segment rolling and truncation happen in every test,
     * and a short flush interval, so that tests appending one record at a time stay quick.
     */
    static Map<String, String> smallBlocks(String uri) {
        Map<String, String> p = new HashMap<>();
        p.put(ObjectStoreWalConfig.URI, uri);
        p.put(ObjectStoreWalConfig.BLOCK_MAX_BYTES, "64KiB");
        p.put(ObjectStoreWalConfig.SEGMENT_MAX_BYTES, "256KiB");
        p.put(ObjectStoreWalConfig.MAX_RECORD_BYTES, "128KiB");
        p.put(ObjectStoreWalConfig.BUFFER_MAX_BYTES, "8MiB");
        p.put(ObjectStoreWalConfig.FLUSH_INTERVAL, "2ms");
        return p;
    }

    /** The settings that reach {@code server}, as this backend's keys ({@code wal.objectstore.s3.*}). */
    static Map<String, String> s3Settings(S3ProxyServer server) {
        Map<String, String> p = new HashMap<>();
        server.settings().forEach((k, v) -> p.put(ObjectStoreWalConfig.PREFIX + k.substring("objectstore.".length()), v));
        return p;
    }
}
