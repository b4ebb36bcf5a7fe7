package io.tidelog.meta.embedded;

import io.tidelog.meta.MetaStore;
import io.tidelog.meta.MetaStoreConformanceTest;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

class MvStoreMetaStoreConformanceTest extends MetaStoreConformanceTest {
    /** Large enough that no live watcher of these tests falls behind compaction by accident. */
    static final int HISTORY = 500;

    @TempDir
    Path dir;

    EmbeddedMetaStoreConfig config() {
        return EmbeddedMetaStoreConfig.from(Map.of(
                EmbeddedMetaStoreConfig.DIR, dir.toString(),
                EmbeddedMetaStoreConfig.HISTORY_REVISIONS, Integer.toString(HISTORY),
                EmbeddedMetaStoreConfig.LEASE_CHECK_INTERVAL, "5ms"));
    }

    @Override
    protected String storeName() {
        return MvStoreMetaStore.NAME;
    }

    @Override
    protected MetaStore openStore() {
        return new MvStoreMetaStore(config(), clock);
    }

    @Override
    protected MetaStore crashAndReopen(MetaStore store) {
        ((MvStoreMetaStore) store).crashForTesting();
        return openStore();
    }

    /** The real mechanism: write until the bounded history has moved past {@code belowRevision}. */
    @Override
    protected void compactHistory(MetaStore store, long belowRevision) {
        byte[] filler = new byte[8];
        while (store.currentRevision() - HISTORY < belowRevision - 1) {
            store.put("compaction-filler/x", filler);
        }
    }
}
