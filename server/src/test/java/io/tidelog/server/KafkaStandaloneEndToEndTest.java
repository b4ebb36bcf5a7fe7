package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.kafka.InJvmKafka;
import io.tidelog.wal.kafka.KafkaWalConfig;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link StandaloneEndToEndTest} with the WAL on Kafka ({@code --wal kafka}, a real broker in this JVM that the
 * server process reaches over its socket): the same kill -9, restart and history checks. The kill leaves the
 * pchannels' transactions open at the broker; the restarted server's opens abort them. Each test has topics of its
 * own (a new data directory on a log another server wrote would start from that log's terms).
 */
class KafkaStandaloneEndToEndTest extends StandaloneEndToEndTest {
    @RegisterExtension
    static final InJvmKafka KAFKA = new InJvmKafka();
    private static final AtomicInteger TESTS = new AtomicInteger();

    /** One per test (JUnit makes an instance per test), the same across the test's restart. */
    private final String prefix = "e2e-" + TESTS.incrementAndGet() + "-";

    @Test
    void aNewDataDirectoryRefusesTopicsAnotherServerWrote() {
        Map<String, String> p = Map.of("server.port", "0", "coord.pchannel.count", "2", "wal.backend", "kafka",
                KafkaWalConfig.BOOTSTRAP_SERVERS, KAFKA.bootstrapServers(), KafkaWalConfig.TOPIC_PREFIX, prefix,
                KafkaWalConfig.TRANSACTIONAL_ID_PREFIX, prefix);
        TestStandalone.start(dir.resolve("first"), p).close();
        assertThatThrownBy(() -> TestStandalone.start(dir.resolve("second"), p))
                .isInstanceOfSatisfying(StreamingException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains("data directory is new").contains("wal.kafka.topic.prefix");
                });
        TestStandalone.start(dir.resolve("first"), p).close();
    }

    @Override
    protected List<String> walArgs() {
        return List.of("--wal", "kafka",
                "-c", KafkaWalConfig.BOOTSTRAP_SERVERS + "=" + KAFKA.bootstrapServers(),
                "-c", KafkaWalConfig.TOPIC_PREFIX + "=" + prefix,
                "-c", KafkaWalConfig.TRANSACTIONAL_ID_PREFIX + "=" + prefix);
    }
}
