package io.tidelog.wal.pulsar;

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

/**
 * The {@code pulsar} backend: each pchannel is a persistent, non-partitioned topic on a Pulsar cluster, written by an
 * exclusive producer that the broker fences (the protocol is in {@link PulsarWal}), read by non-durable readers.
 *
 * <p><b>Durability point:</b> an append is acknowledged once the broker's receipt arrived: the entry holding it is in
 * the topic's ledger, on the ack quorum of its bookies. Many appends share one entry (see {@link ExclusiveWriter}).
 *
 * <p><b>Threads:</b> one Pulsar client per backend (its own I/O and callback threads, where append futures
 * complete); each scanner and each open uses a reader of its own on the caller's thread.
 */
public final class PulsarWalBackend implements WalBackend {
    public static final String NAME = "pulsar";

    private final PulsarClients clients;
    private final Set<PulsarWal> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    public PulsarWalBackend(PulsarWalConfig config) {
        this.clients = new PulsarClients(config);
    }

    @Override
    public String name() {
        return NAME;
    }

    public PulsarWalConfig config() {
        return clients.config();
    }

    /**
     * Opens a pchannel. Read-write creates the topic and its retention subscription if needed and claims the term at
     * the broker (see {@link PulsarWal}); read-only touches nothing.
     */
    @Override
    public Wal open(OpenOptions options) {
        checkOpen();
        String pchannel = options.pchannel();
        ExclusiveWriter writer = null;
        if (options.mode() == AccessMode.READ_WRITE) {
            // Each step is idempotent, so a lost connection (the client drops a whole one on some errors of any
            // producer on it) is tried again within the open's deadline rather than failing the open at once.
            TermFence.Claim claim = PulsarErrors.retryingTransient(clients.blockMillis(), () -> {
                // Created at the oldest record before anything is written: the broker keeps everything from now on.
                clients.retention(pchannel).closeAsync();
                return TermFence.claim(clients, pchannel, options.term());
            });
            writer = new ExclusiveWriter(pchannel, options.term(), clients, claim);
        }
        PulsarWal wal = new PulsarWal(pchannel, options.term(), options.mode(), clients, writer, open::remove);
        open.add(wal);
        if (closed) {
            wal.close();
            checkOpen();
        }
        return wal;
    }

    private void checkOpen() {
        if (closed) {
            throw StreamingException.onShutdown("the pulsar WAL backend is closed");
        }
    }

    /**
     * As a crash of the process would, for tests: every producer and reader is closed at once, with nothing flushed;
     * appends not yet acknowledged fail with {@code ON_SHUTDOWN} (outcome unknown).
     */
    public void crashForTesting() {
        closed = true;
        for (PulsarWal w : List.copyOf(open)) {
            w.crash();
        }
        open.clear();
        clients.crash();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<AutoCloseable> order = new ArrayList<>(open);
        order.add(clients);
        Closeables.closeAll(order);
    }
}
