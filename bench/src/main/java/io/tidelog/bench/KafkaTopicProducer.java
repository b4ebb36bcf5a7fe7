package io.tidelog.bench;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A plain Kafka producer of partition 0 of one topic, as an application writes it: {@code acks=all}, idempotence on
 * (the client's default), no compression, no key, the tuning given (linger and batch size), the client's defaults
 * otherwise. A send completes on the producer's I/O thread once the broker acknowledged the record.
 */
final class KafkaTopicProducer implements ByteWindowSender.Target, AutoCloseable {
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final String topic;
    private final Producer<byte[], byte[]> producer;

    private KafkaTopicProducer(String topic, Producer<byte[], byte[]> producer) {
        this.topic = topic;
        this.producer = producer;
    }

    /**
     * Opens a producer of {@code topic} on {@code bootstrap}.
     *
     * @param tuning producer settings beyond the fixed ones (e.g. {@code linger.ms}, {@code batch.size})
     */
    static KafkaTopicProducer open(String bootstrap, String topic, String clientId, Map<String, Object> tuning) {
        return new KafkaTopicProducer(topic, new KafkaProducer<>(config(bootstrap, clientId, tuning),
                new ByteArraySerializer(), new ByteArraySerializer()));
    }

    /** The producer's configuration: {@code tuning}, then the settings every producer of the bench has. */
    static Map<String, Object> config(String bootstrap, String clientId, Map<String, Object> tuning) {
        Map<String, Object> p = new HashMap<>(tuning);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
        return p;
    }

    @Override
    public CompletableFuture<?> send(byte[] payload) {
        CompletableFuture<Long> f = new CompletableFuture<>();
        producer.send(new ProducerRecord<>(topic, 0, null, payload), (md, e) -> {
            if (e != null) {
                f.completeExceptionally(e);
            } else {
                f.complete(md.offset());
            }
        });
        return f;
    }

    @Override
    public void close() {
        producer.close(CLOSE_TIMEOUT);
    }
}
