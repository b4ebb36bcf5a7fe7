package io.tidelog.wal.pulsar;

import io.tidelog.common.StreamingException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.ProducerAccessMode;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.api.SubscriptionType;

/**
 * The Pulsar client of one backend (one connection pool, shared by its pchannels) and its admin REST calls; every
 * creation of a producer, reader or consumer waits at most {@link PulsarWalConfig#blockTimeout()}.
 */
final class PulsarClients implements AutoCloseable {
    /** The durable subscription that holds every pchannel's records until the WAL truncates them. */
    static final String RETENTION_SUBSCRIPTION = "tidelog-wal-retention";

    private final PulsarWalConfig config;
    private final PulsarClient client;
    private final AdminRest admin;

    PulsarClients(PulsarWalConfig config) {
        this.config = config;
        try {
            long timeoutMs = config.requestTimeout().toMillis();
            this.client = PulsarClient.builder()
                    .serviceUrl(config.serviceUrl())
                    .operationTimeout((int) timeoutMs, TimeUnit.MILLISECONDS)
                    .connectionTimeout((int) timeoutMs, TimeUnit.MILLISECONDS)
                    .lookupTimeout((int) timeoutMs, TimeUnit.MILLISECONDS)
                    .memoryLimit(0, org.apache.pulsar.client.api.SizeUnit.BYTES)
                    .build();
        } catch (PulsarClientException e) {
            throw StreamingException.invalidArgument("configuration key '" + PulsarWalConfig.SERVICE_URL + "': cannot"
                    + " create a Pulsar client (" + e.getMessage() + ")");
        }
        this.admin = new AdminRest(config);
    }

    PulsarWalConfig config() {
        return config;
    }

    AdminRest admin() {
        return admin;
    }

    long blockMillis() {
        return config.blockTimeout().toMillis();
    }

    /**
     * The pchannel's exclusive producer: creating it fences every other producer of the topic at the broker
     * ({@link ProducerAccessMode#ExclusiveWithFencing}), which refuses them from then on.
     */
    Producer<byte[]> exclusiveProducer(String pchannel, String producerName) {
        Map<String, Object> overrides = new HashMap<>(config.producerOverrides());
        var b = client.newProducer(Schema.BYTES)
                .loadConf(overrides)
                .topic(config.topic(pchannel))
                .producerName(producerName)
                .accessMode(ProducerAccessMode.ExclusiveWithFencing)
                .sendTimeout((int) config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .blockIfQueueFull(false)
                .maxPendingMessages(0)
                .enableChunking(false);
        if (config.batchDelay().isZero()) {
            b.enableBatching(false);
        } else {
            b.enableBatching(true)
                    .batchingMaxBytes(config.batchMaxBytes())
                    .batchingMaxMessages(config.batchMaxRecords())
                    .batchingMaxPublishDelay(config.batchDelay().toNanos() / 1000, TimeUnit.MICROSECONDS);
        }
        return PulsarErrors.await(b.createAsync(), blockMillis(), "open an exclusive producer on pchannel " + pchannel);
    }

    /** A non-durable reader of the pchannel from {@code start}. */
    Reader<byte[]> reader(String pchannel, MessageId start, boolean inclusive) {
        var b = client.newReader(Schema.BYTES).topic(config.topic(pchannel)).startMessageId(start)
                .receiverQueueSize(1000);
        if (inclusive) {
            b.startMessageIdInclusive();
        }
        return PulsarErrors.await(b.createAsync(), blockMillis(), "read pchannel " + pchannel);
    }

    /**
     * A consumer of the pchannel's retention subscription, which it creates (with the topic) at the oldest record if
     * missing. It receives nothing (no queue): it only moves the subscription.
     */
    Consumer<byte[]> retention(String pchannel) {
        return PulsarErrors.await(client.newConsumer(Schema.BYTES).topic(config.topic(pchannel))
                .subscriptionName(RETENTION_SUBSCRIPTION)
                .subscriptionType(SubscriptionType.Failover)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                .receiverQueueSize(0)
                .subscribeAsync(), blockMillis(), "subscribe to pchannel " + pchannel);
    }

    @Override
    public void close() {
        try {
            client.closeAsync().get(blockMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            shutdownQuietly();
        }
    }

    /** As in a crash: connections dropped at once. */
    void crash() {
        shutdownQuietly();
    }

    private void shutdownQuietly() {
        try {
            client.shutdown();
        } catch (PulsarClientException e) {
            // nothing more can be done: the process is told the client is gone
        }
    }
}
