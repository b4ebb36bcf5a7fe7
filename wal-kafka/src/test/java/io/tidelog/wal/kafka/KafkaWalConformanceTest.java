package io.tidelog.wal.kafka;

import io.tidelog.common.MessageId;
import io.tidelog.wal.WalBackend;
import io.tidelog.wal.WalBackendConformanceTest;
import io.tidelog.wal.WalBackends;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The WAL contract on a real broker in the JVM. The suite reuses pchannel names across its tests, so each test gets
 * topics and transactional ids of its own (a fresh prefix). Records are limited to 1 MiB so that the size-limit test
 * stays quick.
 */
class KafkaWalConformanceTest extends WalBackendConformanceTest {
    @RegisterExtension
    static final InJvmKafka KAFKA = new InJvmKafka();
    private static final AtomicInteger TESTS = new AtomicInteger();
    private String prefix;

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
        Map<String, String> properties = new HashMap<>(KAFKA.walProperties(prefix));
        properties.put(KafkaWalConfig.MAX_RECORD_BYTES, "1MiB");
        return WalBackends.create(KafkaWalBackend.NAME, properties);
    }

    @Override
    protected WalBackend crashAndReopen(WalBackend backend) {
        ((KafkaWalBackend) backend).crashForTesting();
        return openBackend();
    }

    @Override
    protected void corruptRecord(String pchannel, MessageId id) {
        KAFKA.corruptRecord(prefix + pchannel, id.minor());
    }
}
