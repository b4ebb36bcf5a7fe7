package io.tidelog.wal.kafka;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Builds the Kafka clients of one backend from its configuration: the settings the backend's contract depends on
 * (durability, isolation, deadlines) are set here and cannot be overridden ({@link KafkaWalConfig} refuses them);
 * everything else a user gives under {@code wal.kafka.producer.*}, {@code consumer.*} or {@code admin.*} is passed
 * through. Every client gets a distinct {@code client.id} naming what it serves.
 */
final class KafkaClients {
    /** Bytes a record batch of one record adds to the record's payload: batch header, record framing, our headers. */
    static final int RECORD_OVERHEAD_BYTES = 1024;
    /** Record bytes one transaction gathers at most (a larger record goes alone): what one commit carries. */
    static final int TRANSACTION_MAX_BYTES = 8 << 20;
    /** The producer's batch size: large, so that a transaction of many small records is a few produce requests. */
    private static final int BATCH_BYTES = 1 << 20;

    private final KafkaWalConfig config;
    /** Numbers client ids in the JVM: two clients with one id would share their metrics. */
    private static final AtomicLong SEQUENCE = new AtomicLong();

    KafkaClients(KafkaWalConfig config) {
        this.config = config;
    }

    KafkaWalConfig config() {
        return config;
    }

    /**
     * The transactional producer of a pchannel at a term: {@code acks=all} and idempotence (implied by
     * transactions), every blocking call and every record bounded by the configured deadlines.
     */
    Producer<byte[], byte[]> producer(String pchannel, long term) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, BATCH_BYTES);
        p.putAll(config.producerOverrides());
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId("writer", pchannel, term));
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, config.transactionalId(pchannel));
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) config.requestTimeout().toMillis());
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) config.blockTimeout().toMillis());
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, config.blockTimeout().toMillis());
        p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) config.transactionTimeout().toMillis());
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Math.max(1 << 20, config.maxMessageBytes()));
        long largestTransaction = Math.max(TRANSACTION_MAX_BYTES, config.maxMessageBytes());
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Math.max(32L << 20, 2 * largestTransaction));
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /**
     * A consumer of committed records only ({@code read_committed}), with no group and no committed offsets (the
     * caller assigns and seeks), that never creates a topic and checks every batch's CRC.
     */
    Consumer<byte[], byte[]> consumer(String purpose, String pchannel) {
        Map<String, Object> c = new HashMap<>(config.consumerOverrides());
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId(purpose, pchannel, -1));
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString());
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        c.put(ConsumerConfig.CHECK_CRCS_CONFIG, true);
        c.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) config.requestTimeout().toMillis());
        c.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) config.blockTimeout().toMillis());
        return new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    Admin admin() {
        Map<String, Object> a = new HashMap<>(config.adminOverrides());
        a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        a.put(AdminClientConfig.CLIENT_ID_CONFIG, clientId("admin", "", -1));
        a.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) config.requestTimeout().toMillis());
        a.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) config.blockTimeout().toMillis());
        return Admin.create(a);
    }

    private String clientId(String purpose, String pchannel, long term) {
        return "tidelog-wal-" + purpose + (pchannel.isEmpty() ? "" : "-" + pchannel) + (term >= 0 ? "-t" + term : "")
                + "-" + SEQUENCE.incrementAndGet();
    }
}
