package io.tidelog.server;

import io.tidelog.common.StreamingException;
import io.tidelog.message.MessageLimits;
import io.tidelog.node.retention.RetentionConfig;
import io.tidelog.wal.WalBackends;
import io.tidelog.wal.local.LocalWalConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** The settings a server process gives its WAL backend, from the process's configuration (standalone and node). */
final class WalSettings {
    private WalSettings() {
    }

    /**
     * The selected backend's own keys ({@code wal.<backend>.*}), with the server defaults: the WAL's record limit
     * follows the message limit unless set (a message within the limit, once the node adds its fields, must always
     * fit); the local WAL keeps small segments; the objectstore WAL uses the object store of flushed segments
     * unless told otherwise. Keys of another backend are a mistake, not something to ignore.
     */
    static Map<String, String> of(String backend, Map<String, String> p, MessageLimits limits, int pchannelCount) {
        String prefix = "wal." + backend + ".";
        Set<String> stray = new TreeSet<>();
        for (String k : p.keySet()) {
            if (k.startsWith("wal.") && !k.startsWith(prefix) && !k.equals(WalBackends.BACKEND)
                    && !k.startsWith(RetentionConfig.PREFIX)) {
                stray.add(k);
            }
        }
        if (!stray.isEmpty()) {
            throw StreamingException.invalidArgument("configuration keys " + stray + " do not belong to the selected WAL"
                    + " backend '" + backend + "' (" + WalBackends.BACKEND + "); its keys start with " + prefix);
        }
        Map<String, String> w = ConfigKeys.only(p, prefix);
        w.putIfAbsent(prefix + "max.record.bytes", Integer.toString(limits.maxRecordBytes()));
        if (backend.equals("local") && !w.containsKey(LocalWalConfig.SEGMENT_BYTES)) {
            // Standalone keeps segments small (truncation frees whole segments; set the key for bulk
            // throughput), smaller still on a small disk, never too small for the largest record.
            long fitted = StandaloneDisk.segmentBytes(Path.of(w.get(LocalWalConfig.DIR)),
                    pchannelCount, StandaloneServer.STANDALONE_SEGMENT_BYTES, w);
            w.put(LocalWalConfig.SEGMENT_BYTES, io.tidelog.common.Settings.formatBytes(fitted));
        }
        if (backend.equals("objectstore") && !w.containsKey(prefix + "uri")) {
            w.put(prefix + "uri", p.get(StandaloneServer.OBJECT_STORE_URI));
            p.forEach((k, v) -> {
                if (k.startsWith("objectstore.s3.")) {
                    w.putIfAbsent(prefix + k.substring("objectstore.".length()), v);
                }
            });
        }
        return w;
    }

}
