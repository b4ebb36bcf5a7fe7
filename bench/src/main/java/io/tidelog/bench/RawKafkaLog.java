package io.tidelog.bench;

import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.AccessMode;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalScanner;
import io.tidelog.wal.kafka.KafkaWalConfig;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The baseline of {@code wal-kafka}: a plain producer of the Kafka client writing a topic as an application
 * would, with {@code acks=all} and idempotence on but no transactions, behind the {@link Wal} interface so that
 * the same load drivers run both sides ({@link WindowedAppenders}, the open loop of {@link WalLatencyBench}).
 *
 * <p>Everything but the transactions is what the kafka backend does, from the same {@link KafkaWalConfig}: the
 * topic has one partition, the configured replication, retention off, unclean election off and room for the
 * largest record; the producer the writer's batch size (1 MiB), a buffer of {@code buffer.max.bytes}, the same
 * deadlines and the user's {@code wal.kafka.producer.*} settings; truncation is {@code deleteRecords}. Appends
 * complete on the producer's I/O thread with the record's offset as {@code 0:offset}. Reading is not supported.
 */
final class RawKafkaLog implements Wal {
    /** The kafka backend's producer batch size. */
    static final int BATCH_BYTES = 1 << 20;
    /** What a record batch adds to a record, as the backend reckons when it sizes {@code max.message.bytes}. */
    static final int RECORD_OVERHEAD_BYTES = 1024;

    private final KafkaWalConfig config;
    private final Admin admin;
    private final TopicPartition partition;
    private final Producer<byte[], byte[]> producer;

    private RawKafkaLog(KafkaWalConfig config, Admin admin, TopicPartition partition, Producer<byte[], byte[]> producer) {
        this.config = config;
        this.admin = admin;
        this.partition = partition;
        this.producer = producer;
    }

    /** Creates {@code topic} with {@code admin} and opens a producer of it. */
    static RawKafkaLog create(KafkaWalConfig config, Admin admin, String topic) throws Exception {
        Map<String, String> topicConfig = new HashMap<>(Map.of(
                TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(config.maxRecordBytes() + RECORD_OVERHEAD_BYTES),
                TopicConfig.RETENTION_MS_CONFIG, "-1",
                TopicConfig.RETENTION_BYTES_CONFIG, "-1",
                TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG, "false"));
        config.minInsyncReplicas().ifPresent(n -> topicConfig.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG,
                Integer.toString(n)));
        Optional<Short> replicas = config.replicationFactor() > 0 ? Optional.of(config.replicationFactor())
                : Optional.empty();
        admin.createTopics(List.of(new NewTopic(topic, Optional.of(1), replicas).configs(topicConfig))).all()
                .get(timeout(config).toMillis(), TimeUnit.MILLISECONDS);
        return new RawKafkaLog(config, admin, new TopicPartition(topic, 0), producer(config));
    }

    private static Duration timeout(KafkaWalConfig config) {
        return config.requestTimeout().multipliedBy(2);
    }

    private static Producer<byte[], byte[]> producer(KafkaWalConfig config) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, BATCH_BYTES);
        p.putAll(config.producerOverrides());
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "tidelog-bench-raw");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) config.requestTimeout().toMillis());
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) timeout(config).toMillis());
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout(config).toMillis());
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Math.max(1 << 20, config.maxRecordBytes() + RECORD_OVERHEAD_BYTES));
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, config.bufferMaxBytes());
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    @Override
    public String pchannel() {
        return partition.topic();
    }

    @Override
    public long term() {
        return 0;
    }

    @Override
    public AccessMode accessMode() {
        return AccessMode.READ_WRITE;
    }

    @Override
    public int maxRecordBytes() {
        return config.maxRecordBytes();
    }

    @Override
    public CompletableFuture<MessageId> append(ByteBuffer record) {
        byte[] value = new byte[record.remaining()];
        record.duplicate().get(value);
        CompletableFuture<MessageId> f = new CompletableFuture<>();
        try {
            producer.send(new ProducerRecord<>(partition.topic(), partition.partition(), null, value), (md, e) -> {
                if (e != null) {
                    f.completeExceptionally(StreamingException.inner("the raw producer's send failed", e));
                } else {
                    f.complete(MessageId.of(0, md.offset()));
                }
            });
        } catch (RuntimeException e) {
            f.completeExceptionally(StreamingException.inner("the raw producer's send failed", e));
        }
        return f;
    }

    @Override
    public WalScanner read(DeliverPolicy policy) {
        throw new UnsupportedOperationException("the raw producer baseline only appends");
    }

    /** Not answered: the baseline only appends. */
    @Override
    public boolean isNew() {
        throw new UnsupportedOperationException("the raw producer baseline only appends");
    }

    /** Deletes the records before {@code upTo}, as the backend truncates. */
    @Override
    public void truncate(MessageId upTo) {
        try {
            admin.deleteRecords(Map.of(partition, RecordsToDelete.beforeOffset(upTo.minor()))).all()
                    .get(timeout(config).toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StreamingException.inner("interrupted while truncating " + partition, e);
        } catch (Exception e) {
            throw StreamingException.inner("could not truncate " + partition, e);
        }
    }

    @Override
    public void close() {
        producer.close(timeout(config));
    }
}
