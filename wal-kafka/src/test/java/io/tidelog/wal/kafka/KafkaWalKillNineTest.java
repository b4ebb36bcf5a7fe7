package io.tidelog.wal.kafka;

import io.tidelog.wal.WalKillNineTest;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * kill -9 of a process appending to the kafka backend, three times at new terms: each kill leaves a transaction open
 * at the broker, which the next open aborts; every acknowledged record is read back with its id.
 */
class KafkaWalKillNineTest extends WalKillNineTest {
    @RegisterExtension
    static final InJvmKafka KAFKA = new InJvmKafka();

    @Override
    protected String backendName() {
        return KafkaWalBackend.NAME;
    }

    @Override
    protected Map<String, String> backendProperties() {
        return KAFKA.walProperties("kill-");
    }
}
