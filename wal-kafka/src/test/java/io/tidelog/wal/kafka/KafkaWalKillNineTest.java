package io.tidelog.wal.kafka;

import io.tidelog.wal.WalKillNineTest;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * kill -9 of a process appending to the kafka backend, three times at new terms: each kill leaves a transaction open
 * at the broker, which the next open aborts; every acknowledged record is read back with its id.
 */
class KafkaWalKillNineTest extends WalKillNineTest {
    private static InJvmKafka kafka;

    @BeforeAll
    static void startBroker() throws Exception {
        kafka = InJvmKafka.start();
    }

    @AfterAll
    static void stopBroker() {
        kafka.close();
    }

    @Override
    protected String backendName() {
        return KafkaWalBackend.NAME;
    }

    @Override
    protected Map<String, String> backendProperties() {
        return Map.of(
                KafkaWalConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers(),
                KafkaWalConfig.TOPIC_PREFIX, "kill-",
                KafkaWalConfig.TRANSACTIONAL_ID_PREFIX, "kill-",
                KafkaWalConfig.REQUEST_TIMEOUT, "10s");
    }
}
