package io.tidelog.wal.memory;

import io.tidelog.wal.WalBackend;
import io.tidelog.wal.WalBackendProvider;
import java.util.Map;

/** Registers the memory backend under the name {@code memory}. */
public final class MemoryWalBackendProvider implements WalBackendProvider {
    @Override
    public String name() {
        return MemoryWalBackend.NAME;
    }

    @Override
    public WalBackend create(Map<String, String> properties) {
        MemoryWalConfig config = MemoryWalConfig.from(properties);
        MemoryStorage storage = config.storageName() == null
                ? new MemoryStorage() : MemoryStorage.named(config.storageName());
        return new MemoryWalBackend(config, storage);
    }
}
