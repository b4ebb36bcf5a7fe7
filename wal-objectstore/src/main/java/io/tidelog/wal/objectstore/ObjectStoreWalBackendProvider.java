package io.tidelog.wal.objectstore;

import io.tidelog.wal.WalBackend;
import io.tidelog.wal.WalBackendProvider;
import java.util.Map;

/** Registers the {@code objectstore} backend. */
public final class ObjectStoreWalBackendProvider implements WalBackendProvider {
    @Override
    public String name() {
        return ObjectStoreWalBackend.NAME;
    }

    @Override
    public WalBackend create(Map<String, String> properties) {
        return new ObjectStoreWalBackend(ObjectStoreWalConfig.from(properties));
    }
}
