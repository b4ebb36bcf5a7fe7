package io.tidelog.wal.pulsar;

import io.tidelog.wal.WalBackend;
import io.tidelog.wal.WalBackendProvider;
import java.util.Map;

/** Registers the pulsar backend under the name {@code pulsar}. */
public final class PulsarWalBackendProvider implements WalBackendProvider {
    @Override
    public String name() {
        return PulsarWalBackend.NAME;
    }

    @Override
    public WalBackend create(Map<String, String> properties) {
        return new PulsarWalBackend(PulsarWalConfig.from(properties));
    }
}
