package io.tidelog.wal.kafka;

import io.tidelog.common.MessageId;
import io.tidelog.wal.WalBackend;
import io.tidelog.wal.WalBackendConformanceTest;
import io.tidelog.wal.WalBackends;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * The WAL contract on a real broker in the JVM. The suite reuses pchannel names across its tests, so each test gets
 * topics and transactional ids of its own (a fresh prefix). Records are limited to 1 MiB so that the size-limit test
 * stays quick.
 */
class KafkaWalConformanceTest extends WalBackendConformanceTest {
    private static final AtomicInteger TESTS = new AtomicInteger();
    private static InJvmKafka kafka;
    private String prefix;

    @BeforeAll
    static void startBroker() throws Exception {
        kafka = InJvmKafka.start();
    }

    @AfterAll
    static void stopBroker() {
        kafka.close();
    }

    @BeforeEach
    void freshTopics() {
        prefix = "conformance-" + TESTS.incrementAndGet() + "-";
    }

    @Override
    protected String backendName() {
        return KafkaWalBackend.NAME;
    }

    @Override
    protected WalBackend openBackend() {
        return WalBackends.create(KafkaWalBackend.NAME, Map.of(
                KafkaWalConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers(),
                KafkaWalConfig.TOPIC_PREFIX, prefix,
                KafkaWalConfig.TRANSACTIONAL_ID_PREFIX, prefix,
                KafkaWalConfig.MAX_RECORD_BYTES, "1MiB",
                KafkaWalConfig.REQUEST_TIMEOUT, "10s"));
    }

    @Override
    protected WalBackend crashAndReopen(WalBackend backend) {
        ((KafkaWalBackend) backend).crashForTesting();
        return openBackend();
    }

    @Override
    protected void corruptRecord(String pchannel, MessageId id) {
        kafka.corruptRecord(prefix + pchannel, id.minor());
    }
}
