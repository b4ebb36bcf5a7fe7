package io.tidelog.wal.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaWalConfigTest {
    private static Map<String, String> with(String... keyValues) {
        Map<String, String> m = new HashMap<>();
        m.put(KafkaWalConfig.BOOTSTRAP_SERVERS, "127.0.0.1:9092");
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    private static void assertRejectedNaming(Map<String, String> properties, String key) {
        assertThatThrownBy(() -> KafkaWalConfig.from(properties))
                .isInstanceOfSatisfying(StreamingException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains(key);
                });
    }

    @Test
    void defaultsAreThoseTheJavadocStates() {
        KafkaWalConfig c = KafkaWalConfig.from(with());
        assertThat(c.topicPrefix()).isEqualTo("tidelog-wal-");
        assertThat(c.transactionalIdPrefix()).isEqualTo("tidelog-wal-");
        assertThat(c.replicationFactor()).isEqualTo((short) -1);
        assertThat(c.minInsyncReplicas()).isEmpty();
        assertThat(c.maxRecordBytes()).isEqualTo(16 << 20);
        assertThat(c.bufferMaxBytes()).isEqualTo(64L << 20);
        assertThat(c.appendTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.blockTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.transactionTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.topic("p-1")).isEqualTo("tidelog-wal-p-1");
        assertThat(c.transactionalId("p-1")).isEqualTo("tidelog-wal-p-1");
    }

    @Test
    void clientSettingsArePassedThroughCheckedByTheClientsOwnDefinition() {
        KafkaWalConfig c = KafkaWalConfig.from(with(
                "wal.kafka.producer.compression.type", "lz4",
                "wal.kafka.consumer.fetch.max.wait.ms", "100",
                "wal.kafka.admin.retries", "3"));
        assertThat(c.producerOverrides()).containsEntry("compression.type", "lz4");
        assertThat(c.consumerOverrides()).containsEntry("fetch.max.wait.ms", "100");
        assertThat(c.adminOverrides()).containsEntry("retries", "3");
    }

    @Test
    void aMissingBootstrapIsRejectedNamingTheKey() {
        Map<String, String> none = new HashMap<>(with());
        none.remove(KafkaWalConfig.BOOTSTRAP_SERVERS);
        assertRejectedNaming(none, "wal.kafka.bootstrap.servers");
    }

    @Test
    void anUnknownKeyIsRejectedNamingIt() {
        assertRejectedNaming(with("wal.kafka.buffer.max.byte", "1MiB"), "wal.kafka.buffer.max.byte");
    }

    @Test
    void badValuesAreRejectedNamingTheKey() {
        assertRejectedNaming(with(KafkaWalConfig.MAX_RECORD_BYTES, "65MiB"), KafkaWalConfig.MAX_RECORD_BYTES);
        assertRejectedNaming(with(KafkaWalConfig.REQUEST_TIMEOUT, "500ms"), KafkaWalConfig.REQUEST_TIMEOUT);
        assertRejectedNaming(with(KafkaWalConfig.APPEND_TIMEOUT, "soon"), KafkaWalConfig.APPEND_TIMEOUT);
        assertRejectedNaming(with(KafkaWalConfig.REPLICATION_FACTOR, "0"), KafkaWalConfig.REPLICATION_FACTOR);
        assertRejectedNaming(with(KafkaWalConfig.TOPIC_PREFIX, "wal/"), KafkaWalConfig.TOPIC_PREFIX);
        assertRejectedNaming(with(KafkaWalConfig.TOPIC_PREFIX, "x".repeat(KafkaWalConfig.MAX_PREFIX_LENGTH + 1)),
                KafkaWalConfig.TOPIC_PREFIX);
    }

    @Test
    void moreInsyncReplicasThanReplicasIsRejectedNamingBothKeys() {
        assertThatThrownBy(() -> KafkaWalConfig.from(with(KafkaWalConfig.REPLICATION_FACTOR, "2",
                KafkaWalConfig.MIN_INSYNC_REPLICAS, "3")))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.getMessage())
                        .contains(KafkaWalConfig.MIN_INSYNC_REPLICAS).contains(KafkaWalConfig.REPLICATION_FACTOR));
    }

    @Test
    void aClientSettingTheClientDoesNotKnowIsRejectedNamingTheKey() {
        assertRejectedNaming(with("wal.kafka.producer.lingerms", "5"), "wal.kafka.producer.lingerms");
        assertRejectedNaming(with("wal.kafka.consumer.acks", "all"), "wal.kafka.consumer.acks");
    }

    @Test
    void aClientSettingWithABadValueIsRejectedNamingTheKey() {
        assertRejectedNaming(with("wal.kafka.producer.linger.ms", "soon"), "wal.kafka.producer.linger.ms");
        assertRejectedNaming(with("wal.kafka.producer.compression.type", "zip"), "wal.kafka.producer.compression.type");
    }

    @Test
    void clientSettingsTheContractDependsOnCannotBeOverridden() {
        assertRejectedNaming(with("wal.kafka.producer.acks", "1"), "wal.kafka.producer.acks");
        assertRejectedNaming(with("wal.kafka.producer.transactional.id", "mine"), "wal.kafka.producer.transactional.id");
        assertRejectedNaming(with("wal.kafka.producer.delivery.timeout.ms", "1000"),
                "wal.kafka.producer.delivery.timeout.ms");
        assertRejectedNaming(with("wal.kafka.consumer.isolation.level", "read_uncommitted"),
                "wal.kafka.consumer.isolation.level");
        assertRejectedNaming(with("wal.kafka.consumer.group.id", "g"), "wal.kafka.consumer.group.id");
        assertRejectedNaming(with("wal.kafka.admin.bootstrap.servers", "elsewhere:9092"),
                "wal.kafka.admin.bootstrap.servers");
    }
}
