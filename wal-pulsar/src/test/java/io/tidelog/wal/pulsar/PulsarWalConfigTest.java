package io.tidelog.wal.pulsar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.WalBackends;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PulsarWalConfigTest {
    private static Map<String, String> with(String... keyValues) {
        Map<String, String> m = new HashMap<>();
        m.put(PulsarWalConfig.SERVICE_URL, "pulsar://127.0.0.1:6650");
        m.put(PulsarWalConfig.ADMIN_URL, "http://127.0.0.1:8080");
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    private static void assertRejectedNaming(Map<String, String> properties, String key) {
        assertThatThrownBy(() -> PulsarWalConfig.from(properties))
                .isInstanceOfSatisfying(StreamingException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains(key);
                });
    }

    @Test
    void defaultsAreThoseTheJavadocStates() {
        PulsarWalConfig c = PulsarWalConfig.from(with());
        assertThat(c.tenant()).isEqualTo("public");
        assertThat(c.namespace()).isEqualTo("default");
        assertThat(c.topicPrefix()).isEqualTo("tidelog-wal-");
        assertThat(c.maxRecordBytes()).isEqualTo(4 << 20);
        assertThat(c.batchMaxBytes()).isEqualTo(1 << 20);
        assertThat(c.batchMaxRecords()).isEqualTo(4096);
        assertThat(c.batchDelay()).isEqualTo(Duration.ofMillis(1));
        assertThat(c.bufferMaxBytes()).isEqualTo(64L << 20);
        assertThat(c.appendTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.blockTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.producerOverrides()).isEmpty();
        assertThat(c.topic("p-1")).isEqualTo("persistent://public/default/tidelog-wal-p-1");
        assertThat(c.adminPath("p-1")).isEqualTo("/admin/v2/persistent/public/default/tidelog-wal-p-1");
    }

    @Test
    void theBackendIsSelectedByItsNameAndChecksItsSettingsThere() {
        assertThat(WalBackends.providers()).containsKey("pulsar");
        Map<String, String> bad = with(PulsarWalConfig.BATCH_DELAY, "soon");
        bad.put(WalBackends.BACKEND, "pulsar");
        assertThatThrownBy(() -> WalBackends.create(WalBackends.selected(bad), bad))
                .isInstanceOfSatisfying(StreamingException.class,
                        e -> assertThat(e.getMessage()).contains(PulsarWalConfig.BATCH_DELAY));
    }

    @Test
    void missingUrlsAreRejectedNamingTheKey() {
        Map<String, String> noService = with();
        noService.remove(PulsarWalConfig.SERVICE_URL);
        assertRejectedNaming(noService, PulsarWalConfig.SERVICE_URL);
        Map<String, String> noAdmin = with();
        noAdmin.remove(PulsarWalConfig.ADMIN_URL);
        assertRejectedNaming(noAdmin, PulsarWalConfig.ADMIN_URL);
    }

    @Test
    void malformedUrlsAreRejectedNamingTheKey() {
        assertRejectedNaming(with(PulsarWalConfig.SERVICE_URL, "http://127.0.0.1:6650"), PulsarWalConfig.SERVICE_URL);
        assertRejectedNaming(with(PulsarWalConfig.SERVICE_URL, "127.0.0.1:6650"), PulsarWalConfig.SERVICE_URL);
        assertRejectedNaming(with(PulsarWalConfig.ADMIN_URL, "pulsar://127.0.0.1:8080"), PulsarWalConfig.ADMIN_URL);
        assertRejectedNaming(with(PulsarWalConfig.ADMIN_URL, "http//nohost"), PulsarWalConfig.ADMIN_URL);
    }

    @Test
    void anUnknownKeyIsRejectedNamingIt() {
        assertRejectedNaming(with("wal.pulsar.buffer.max.byte", "1MiB"), "wal.pulsar.buffer.max.byte");
    }

    @Test
    void badValuesAreRejectedNamingTheKey() {
        assertRejectedNaming(with(PulsarWalConfig.MAX_RECORD_BYTES, "65MiB"), PulsarWalConfig.MAX_RECORD_BYTES);
        assertRejectedNaming(with(PulsarWalConfig.REQUEST_TIMEOUT, "500ms"), PulsarWalConfig.REQUEST_TIMEOUT);
        assertRejectedNaming(with(PulsarWalConfig.APPEND_TIMEOUT, "soon"), PulsarWalConfig.APPEND_TIMEOUT);
        assertRejectedNaming(with(PulsarWalConfig.BATCH_MAX_RECORDS, "0"), PulsarWalConfig.BATCH_MAX_RECORDS);
        assertRejectedNaming(with(PulsarWalConfig.BATCH_MAX_RECORDS, Integer.toString(1 << 20)),
                PulsarWalConfig.BATCH_MAX_RECORDS);
        assertRejectedNaming(with(PulsarWalConfig.BATCH_DELAY, "2s"), PulsarWalConfig.BATCH_DELAY);
        assertRejectedNaming(with(PulsarWalConfig.TOPIC_PREFIX, "wal/"), PulsarWalConfig.TOPIC_PREFIX);
        assertRejectedNaming(with(PulsarWalConfig.TENANT, ""), PulsarWalConfig.TENANT);
        assertRejectedNaming(with(PulsarWalConfig.NAMESPACE, "a/b"), PulsarWalConfig.NAMESPACE);
    }

    @Test
    void producerSettingsArePassedThroughCheckedByTheClientsOwnLoader() {
        PulsarWalConfig c = PulsarWalConfig.from(with("wal.pulsar.producer.compressionType", "LZ4"));
        assertThat(c.producerOverrides()).containsEntry("compressionType", "LZ4");
        assertRejectedNaming(with("wal.pulsar.producer.compressionType", "ZIP"), "wal.pulsar.producer.compressionType");
        assertRejectedNaming(with("wal.pulsar.producer.compresionType", "LZ4"), "wal.pulsar.producer.compresionType");
    }

    @Test
    void producerSettingsTheContractDependsOnCannotBeOverridden() {
        for (String name : new String[] {"accessMode", "producerName", "sendTimeoutMs", "batchingEnabled",
                "chunkingEnabled", "blockIfQueueFull", "topicName"}) {
            assertRejectedNaming(with("wal.pulsar.producer." + name, "x"), "wal.pulsar.producer." + name);
        }
    }

    @Test
    void idsKeepPulsarsOrderOfLedgerEntryAndBatchIndex() {
        MessageId a = PulsarIds.of(new org.apache.pulsar.client.impl.BatchMessageIdImpl(7, 3, -1, 5));
        MessageId b = PulsarIds.of(new org.apache.pulsar.client.impl.BatchMessageIdImpl(7, 3, -1, 6));
        MessageId c = PulsarIds.of(new org.apache.pulsar.client.impl.MessageIdImpl(7, 4, -1));
        MessageId d = PulsarIds.of(new org.apache.pulsar.client.impl.MessageIdImpl(8, 0, -1));
        assertThat(a).isLessThan(b);
        assertThat(b).isLessThan(c);
        assertThat(c).isLessThan(d);
        assertThat(PulsarIds.ledger(b)).isEqualTo(7);
        assertThat(PulsarIds.entry(b)).isEqualTo(3);
        assertThat(PulsarIds.entryOf(b)).isEqualTo(new org.apache.pulsar.client.impl.MessageIdImpl(7, 3, -1));
    }
}
