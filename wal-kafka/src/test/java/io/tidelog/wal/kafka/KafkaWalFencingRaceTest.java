package io.tidelog.wal.kafka;

import io.tidelog.wal.WalFencingRaceTest;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Two processes racing on one pchannel of the kafka backend: a child JVM appends at term T through the broker in this
 * JVM while this process opens the pchannel at a newer term, then kills the child. Fewer rounds than the suite's
 * default: each round starts a JVM and a transactional producer.
 */
class KafkaWalFencingRaceTest extends WalFencingRaceTest {
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
                KafkaWalConfig.TOPIC_PREFIX, "race-",
                KafkaWalConfig.TRANSACTIONAL_ID_PREFIX, "race-",
                KafkaWalConfig.REQUEST_TIMEOUT, "10s");
    }

    @Override
    protected int rounds() {
        return 6;
    }
}
