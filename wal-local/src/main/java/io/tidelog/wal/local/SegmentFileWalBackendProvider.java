package io.tidelog.wal.local;

import io.tidelog.wal.WalBackend;
import io.tidelog.wal.WalBackendProvider;
import java.util.Map;

/** Registers the local backend under the name {@code local}. */
public final class SegmentFileWalBackendProvider implements WalBackendProvider {
    @Override
    public String name() {
        return SegmentFileWalBackend.NAME;
    }

    @Override
    public WalBackend create(Map<String, String> properties) {
        return new SegmentFileWalBackend(LocalWalConfig.from(properties));
    }
}
