package io.tidelog.wal.kafka;

import io.tidelog.wal.WalBackend;
import io.tidelog.wal.WalBackendProvider;
import java.util.Map;

/** Registers the kafka backend under the name {@code kafka}. */
public final class KafkaWalBackendProvider implements WalBackendProvider {
    @Override
    public String name() {
        return KafkaWalBackend.NAME;
    }

    @Override
    public WalBackend create(Map<String, String> properties) {
        return new KafkaWalBackend(KafkaWalConfig.from(properties));
    }
}
