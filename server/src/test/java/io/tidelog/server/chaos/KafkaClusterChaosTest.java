package io.tidelog.server.chaos;

import io.tidelog.wal.kafka.InJvmKafka;
import io.tidelog.wal.kafka.KafkaWalConfig;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link ClusterChaosTest}, shorter, with the WAL on Kafka (a real broker in this JVM, which the node processes reach
 * over its socket; each pchannel a topic whose transactional producer fences the writer of an older term).
 */
class KafkaClusterChaosTest extends ClusterChaosTest {
    @RegisterExtension
    static final InJvmKafka KAFKA = new InJvmKafka();
    static final String PREFIX = "chaos-";

    @Override
    Map<String, String> walSettings() {
        return Map.of(KafkaWalConfig.BOOTSTRAP_SERVERS, KAFKA.bootstrapServers(), KafkaWalConfig.TOPIC_PREFIX, PREFIX,
                KafkaWalConfig.TRANSACTIONAL_ID_PREFIX, PREFIX);
    }

    @Override
    String walBackend() {
        return "kafka";
    }

    @Override
    Duration chaosFor() {
        return Duration.ofSeconds(50);
    }
}
