package io.tidelog.bench;

import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.AccessMode;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalScanner;
import io.tidelog.wal.pulsar.PulsarWalConfig;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.MessageIdAdv;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Schema;

/**
 * The baseline of {@code wal-pulsar}: a plain producer of the Pulsar client writing a topic as an application would
 * (shared access, no term, no properties, no back-pressure of its own), behind the {@link Wal} interface so that the
 * same load drivers run both sides ({@link WindowedAppenders}, the open loop of {@link WalLatencyBench}).
 *
 * <p>What the pulsar backend's producer shares with it, from the same {@link PulsarWalConfig}: the batching
 * ({@code batch.max.bytes}, {@code batch.max.records}, {@code batch.delay}), the send deadline and the user's
 * {@code wal.pulsar.producer.*} settings. Appends complete on the client's threads with {@code ledger:entry}.
 * Reading is not supported; truncation is a no-op (a topic with no subscription keeps nothing past a ledger).
 */
final class RawPulsarLog implements Wal {
    private final PulsarWalConfig config;
    private final PulsarClient client;
    private final Producer<byte[]> producer;
    private final String topic;

    private RawPulsarLog(PulsarWalConfig config, PulsarClient client, Producer<byte[]> producer, String topic) {
        this.config = config;
        this.client = client;
        this.producer = producer;
        this.topic = topic;
    }

    /** A client of its own and a producer of {@code persistent://<tenant>/<namespace>/<topic>}. */
    static RawPulsarLog create(PulsarWalConfig config, String topic) throws Exception {
        String full = "persistent://" + config.tenant() + "/" + config.namespace() + "/" + topic;
        PulsarClient client = PulsarClient.builder().serviceUrl(config.serviceUrl())
                .operationTimeout((int) config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .memoryLimit(0, org.apache.pulsar.client.api.SizeUnit.BYTES).build();
        try {
            var b = client.newProducer(Schema.BYTES).loadConf(new java.util.HashMap<>(config.producerOverrides()))
                    .topic(full)
                    .sendTimeout((int) config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
                    .blockIfQueueFull(true)
                    .maxPendingMessages(0)
                    .enableBatching(!config.batchDelay().isZero());
            if (!config.batchDelay().isZero()) {
                b.batchingMaxBytes(config.batchMaxBytes()).batchingMaxMessages(config.batchMaxRecords())
                        .batchingMaxPublishDelay(config.batchDelay().toNanos() / 1000, TimeUnit.MICROSECONDS);
            }
            return new RawPulsarLog(config, client, b.create(), full);
        } catch (Exception e) {
            client.close();
            throw e;
        }
    }

    @Override
    public String pchannel() {
        return topic;
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
        return producer.sendAsync(value).handle((id, e) -> {
            if (e != null) {
                throw StreamingException.inner("the raw producer's send failed", e);
            }
            MessageIdAdv a = (MessageIdAdv) id;
            return MessageId.of(a.getLedgerId(), a.getEntryId());
        });
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

    /** Nothing to do: with no subscription the broker keeps no record past its ledger. */
    @Override
    public void truncate(MessageId upTo) {
    }

    @Override
    public void close() {
        try {
            producer.close();
            client.close();
        } catch (org.apache.pulsar.client.api.PulsarClientException e) {
            throw StreamingException.inner("could not close the raw producer", e);
        }
    }
}
