package io.tidelog.wal.kafka;

import io.tidelog.wal.WalFencingRaceTest;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two processes racing on one pchannel of the kafka backend: a child JVM appends at term T through the broker in this
 * JVM while this process opens the pchannel at a newer term, then kills the child. The suite's 20 seeded rounds, each
 * starting a JVM and a transactional producer.
 */
class KafkaWalFencingRaceTest extends WalFencingRaceTest {
    @RegisterExtension
    static final InJvmKafka KAFKA = new InJvmKafka();

    @Override
    protected String backendName() {
        return KafkaWalBackend.NAME;
    }

    @Override
    protected Map<String, String> backendProperties() {
        return KAFKA.walProperties("race-");
    }
}
