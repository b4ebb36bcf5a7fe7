package io.tidelog.wal.objectstore;

import io.tidelog.wal.WalKillNineTest;
import java.util.Map;

/** kill -9 of a process appending to the objectstore backend over a directory. */
class DirectoryObjectStoreWalKillNineTest extends WalKillNineTest {
    @Override
    protected String backendName() {
        return ObjectStoreWalBackend.NAME;
    }

    @Override
    protected Map<String, String> backendProperties() {
        return ObjectStoreWalTesting.smallBlocks("file:" + scratch.resolve("store"));
    }
}
