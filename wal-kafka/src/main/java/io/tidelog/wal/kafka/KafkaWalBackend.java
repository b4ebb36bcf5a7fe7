package io.tidelog.wal.kafka;

import io.tidelog.common.Closeables;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.AccessMode;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;

/**
 * The {@code kafka} backend: each pchannel is a topic of one partition on a Kafka cluster, written by a transactional
 * producer that the broker fences (the protocol is in {@link KafkaWal}), read by {@code read_committed} consumers.
 *
 * <p><b>Durability point:</b> an append is acknowledged once the transaction holding it committed: its records
 * were replicated to {@code min.insync.replicas} ({@code acks=all}) and the commit decision is in the replicated
 * transaction log. Many appends share one transaction (see {@link TransactionalWriter}).
 *
 * <p><b>Threads:</b> one writer thread per pchannel open read-write (and the producer's own network thread); each
 * scanner and each open uses a consumer of its own on the caller's thread; one admin client per backend.
 */
public final class KafkaWalBackend implements WalBackend {
    public static final String NAME = "kafka";

    private final KafkaClients clients;
    private final WalTopics topics;
    private final Set<KafkaWal> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    public KafkaWalBackend(KafkaWalConfig config) {
        this.clients = new KafkaClients(config);
        this.topics = new WalTopics(clients);
    }

    @Override
    public String name() {
        return NAME;
    }

    public KafkaWalConfig config() {
        return clients.config();
    }

    /**
     * Opens a pchannel. Read-write creates its topic if needed and claims the term at the broker (see
     * {@link KafkaWal}); read-only touches nothing.
     */
    @Override
    public Wal open(OpenOptions options) {
        checkOpen();
        String pchannel = options.pchannel();
        TransactionalWriter writer = null;
        if (options.mode() == AccessMode.READ_WRITE) {
            topics.ensure(pchannel);
            TopicPartition partition = topics.partition(pchannel);
            Producer<byte[], byte[]> producer = TermFence.claim(clients, pchannel, options.term(), partition);
            writer = new TransactionalWriter(pchannel, options.term(), clients.config(), producer, offset -> {
                try (TermProbe probe = new TermProbe(clients, pchannel, partition)) {
                    return probe.isCommitted(offset);
                }
            });
        }
        KafkaWal wal = new KafkaWal(pchannel, options.term(), options.mode(), clients, topics, writer, open::remove);
        open.add(wal);
        if (closed) {
            wal.close();
            checkOpen();
        }
        return wal;
    }

    private void checkOpen() {
        if (closed) {
            throw StreamingException.onShutdown("the kafka WAL backend is closed");
        }
    }

    /**
     * As a crash of the process would, for tests: every producer and consumer is closed at once, with nothing
     * flushed or committed; appends not yet acknowledged fail with {@code ON_SHUTDOWN} (outcome unknown) and an open
     * transaction is left to the broker (the next open of the pchannel aborts it).
     */
    public void crashForTesting() {
        closed = true;
        for (KafkaWal w : List.copyOf(open)) {
            w.crash();
        }
        open.clear();
        topics.crash();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<AutoCloseable> order = new ArrayList<>(open);
        order.add(topics);
        Closeables.closeAll(order);
    }
}
