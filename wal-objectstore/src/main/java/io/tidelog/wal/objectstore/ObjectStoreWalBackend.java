package io.tidelog.wal.objectstore;

import io.tidelog.common.Closeables;
import io.tidelog.common.StreamingException;
import io.tidelog.objectstore.ObjectStore;
import io.tidelog.objectstore.ObjectStores;
import io.tidelog.wal.AccessMode;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalBackend;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code objectstore} backend: a WAL with no disk of its own, written straight to an object store
 * ({@code file:DIR} or {@code s3://bucket/prefix}) in blocks, fenced by the store's conditional create alone.
 * {@link TermClaim} states the layout and the protocol; {@link BlockWriter} the write path.
 *
 * <p><b>Durability point:</b> an append is acknowledged once the block holding it, and every block before it,
 * was created in the store (the store's own durability: {@code fsync} of file and directory, or S3's
 * acknowledgement). PUTs per second depend on the bytes appended (one per {@code block.max.bytes}, or one per
 * {@code flush.interval} when fewer arrive), never on how many vchannels share the pchannel.
 *
 * <p><b>Threads:</b> one writer thread per pchannel open read-write, and a shared pool that runs the store's
 * blocking calls (block PUTs, fetches ahead, the claims of an open).
 */
public final class ObjectStoreWalBackend implements WalBackend {
    public static final String NAME = "objectstore";

    private final ObjectStoreWalConfig config;
    private final ObjectStore store;
    private final boolean ownsStore;
    private final ExecutorService io;
    private final Map<String, LogSignal> signals = new ConcurrentHashMap<>();
    private final Set<ObjectStoreWal> open = ConcurrentHashMap.newKeySet();
    private final SecureRandom random = new SecureRandom();
    private volatile boolean closed;

    public ObjectStoreWalBackend(ObjectStoreWalConfig config) {
        this(config, ObjectStores.open(config.uri(), config.storeSettings()), true);
    }

    /** Over a store the caller owns (it stays open when the backend closes). */
    public ObjectStoreWalBackend(ObjectStoreWalConfig config, ObjectStore store) {
        this(config, store, false);
    }

    private ObjectStoreWalBackend(ObjectStoreWalConfig config, ObjectStore store, boolean ownsStore) {
        this.config = config;
        this.store = store;
        this.ownsStore = ownsStore;
        this.io = Executors.newCachedThreadPool(daemon("wal-objectstore-io"));
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Where the log is, for logs and status. */
    public String describe() {
        return store.describe();
    }

    @Override
    public Wal open(OpenOptions options) {
        if (closed) {
            throw StreamingException.onShutdown("the objectstore WAL backend is closed");
        }
        String pchannel = options.pchannel();
        LogSignal signal = signals.computeIfAbsent(pchannel, p -> new LogSignal());
        ObjectStoreWal[] holder = new ObjectStoreWal[1];
        Runnable onClose = () -> open.remove(holder[0]);
        ObjectStoreWal wal;
        if (options.mode() == AccessMode.READ_ONLY) {
            wal = new ObjectStoreWal(pchannel, options.term(), AccessMode.READ_ONLY, config, store, io, signal, null,
                    new ConcurrentSkipListMap<>(), onClose);
        } else {
            long writerId = random.nextLong();
            TermClaim.Start start = new TermClaim(store, pchannel, options.term(), writerId,
                    config.flushParallelism(), io).claim();
            NavigableMap<Long, Long> segments = new ConcurrentSkipListMap<>();
            BlockWriter writer = new BlockWriter(pchannel, options.term(), writerId, config, store, io, signal,
                    start.segment(), segments);
            wal = new ObjectStoreWal(pchannel, options.term(), AccessMode.READ_WRITE, config, store, io, signal, writer,
                    segments, onClose);
            ObjectStoreWal opened = wal;
            // The sizes of the segments before this term's, for status, and the leftovers of a truncation a crash
            // cut short: one listing of the whole log, off the open's path.
            io.execute(() -> {
                try {
                    NavigableMap<Long, WalLayout.SegmentListing> listed = WalLayout.list(store, pchannel);
                    listed.headMap(start.segment(), false).forEach((n, l) -> segments.putIfAbsent(n, l.bytes()));
                    opened.deleteBelowMark(listed.keySet());
                } catch (RuntimeException e) {
                    // status stays partial; the next open tries again
                }
            });
        }
        holder[0] = wal;
        open.add(wal);
        return wal;
    }

    /** As a crash of the process would: every log stops at once, nothing accepted is finished. For tests. */
    public void crashForTesting() {
        closed = true;
        for (ObjectStoreWal w : List.copyOf(open)) {
            w.crash();
        }
        open.clear();
        io.shutdownNow();
        if (ownsStore) {
            store.close();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Closeables.closeAll(List.copyOf(open));
        io.shutdown();
        try {
            if (!io.awaitTermination(30, TimeUnit.SECONDS)) {
                io.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            io.shutdownNow();
        }
        if (ownsStore) {
            store.close();
        }
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
