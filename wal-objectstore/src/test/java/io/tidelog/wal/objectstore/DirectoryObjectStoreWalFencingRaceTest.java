package io.tidelog.wal.objectstore;

import io.tidelog.wal.WalFencingRaceTest;
import java.util.Map;

/** Two processes racing on one pchannel of the objectstore backend over a shared directory. */
class DirectoryObjectStoreWalFencingRaceTest extends WalFencingRaceTest {
    @Override
    protected String backendName() {
        return ObjectStoreWalBackend.NAME;
    }

    @Override
    protected Map<String, String> backendProperties() {
        return ObjectStoreWalTesting.smallBlocks("file:" + scratch.resolve("store"));
    }
}
