package io.tidelog.node;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.tso.TimestampAllocator;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pchannels a streaming node serves, each at one term.
 *
 * <p>{@link #open} at a term closes the pchannel's WAL of an older term first, then opens the backend
 * read-write at the new term (which fences every older writer, here or on another node) and starts a
 * {@link StreamingWal}. A request carrying an older term than the one served is stale:
 * {@code IGNORED_OPERATION}. Lookups check the term: {@code CHANNEL_NOT_EXIST} if the pchannel is not
 * served here, {@code UNMATCHED_CHANNEL_TERM} if it is served at another term.
 *
 * <p>Threads: one ticker thread ({@code node-timetick}) calls {@link StreamingWal#tick()} on every
 * open WAL each {@code node.timetick.interval}; one checkpointing thread ({@code node-checkpoint}) persists
 * their recovery state when due ({@link StreamingWal#checkpointIfDue()}), so a slow recovery store never
 * delays time ticks. Opens and removes are serialised.
 */
public final class WalManager implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WalManager.class);

    private final WalBackend backend;
    private final TimestampAllocator tso;
    private final NodeConfig config;
    private final Function<String, List<WalExtension>> extensions;
    private final RecoveryStore recovery;
    private final Retention retention;
    private final Map<String, StreamingWal> wals = new TreeMap<>();
    private final ScheduledExecutorService ticker;
    private final ScheduledExecutorService checkpointer;
    private boolean closed;

    /** A node without recovery storage: every open replays the whole log. */
    public WalManager(WalBackend backend, TimestampAllocator tso, NodeConfig config,
                      Function<String, List<WalExtension>> extensions) {
        this(backend, tso, config, extensions, RecoveryStore.NONE);
    }

    /** A node that truncates its WALs right below their checkpoints. */
    public WalManager(WalBackend backend, TimestampAllocator tso, NodeConfig config,
                      Function<String, List<WalExtension>> extensions, RecoveryStore recovery) {
        this(backend, tso, config, extensions, recovery, Retention.untilCheckpoint());
    }

    /**
     * @param extensions the extensions of a pchannel's WAL, made anew for every open (every term)
     * @param recovery   where the pchannels' recovery state is persisted
     * @param retention  how long the WALs keep their messages, and the durable subscriptions they honour
     */
    public WalManager(WalBackend backend, TimestampAllocator tso, NodeConfig config,
                      Function<String, List<WalExtension>> extensions, RecoveryStore recovery, Retention retention) {
        this.backend = backend;
        this.retention = retention;
        this.tso = tso;
        this.config = config;
        this.extensions = extensions;
        this.recovery = recovery;
        this.ticker = daemon("node-timetick");
        this.checkpointer = daemon("node-checkpoint");
        long every = config.timeTickInterval().toNanos();
        ticker.scheduleAtFixedRate(this::tickAll, every, every, TimeUnit.NANOSECONDS);
        if (recovery != RecoveryStore.NONE) {
            checkpointer.scheduleWithFixedDelay(this::checkpointAll, every, every, TimeUnit.NANOSECONDS);
        }
    }

    private static ScheduledExecutorService daemon(String name) {
        return Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Serves {@code pchannel} at {@code term}; returns the WAL already serving it at that term. */
    public synchronized StreamingWal open(String pchannel, long term) {
        if (closed) {
            throw StreamingException.onShutdown("the node is shutting down");
        }
        StreamingWal current = wals.get(pchannel);
        if (current != null) {
            if (current.term() > term) {
                throw new StreamingException(ErrorCode.IGNORED_OPERATION, "pchannel " + pchannel
                        + " is served at term " + current.term() + "; open at older term " + term + " ignored");
            }
            if (current.term() == term && current.isAvailable()) {
                return current;
            }
            wals.remove(pchannel);
            current.close();
        }
        long started = System.nanoTime();
        Wal wal = backend.open(OpenOptions.readWrite(pchannel, term));
        StreamingWal streaming;
        try {
            streaming = StreamingWal.start(wal, tso, config, extensions.apply(pchannel), recovery, retention);
        } catch (RuntimeException e) {
            wal.close();
            throw e;
        }
        wals.put(pchannel, streaming);
        LOG.info("pchannel {} open at term {} in {} ms", pchannel, term,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return streaming;
    }

    /** Stops serving {@code pchannel} if it is served at {@code term} or older; idempotent. */
    public synchronized void remove(String pchannel, long term) {
        StreamingWal current = wals.get(pchannel);
        if (current != null && current.term() <= term) {
            wals.remove(pchannel);
            current.close();
            LOG.info("pchannel {} at term {} removed", pchannel, current.term());
        }
    }

    /**
     * The WAL serving {@code pchannel}, checked against {@code term} (0: any).
     *
     * @throws StreamingException {@code CHANNEL_NOT_EXIST}, {@code UNMATCHED_CHANNEL_TERM}
     */
    public synchronized StreamingWal get(String pchannel, long term) {
        StreamingWal w = wals.get(pchannel);
        if (w == null) {
            throw new StreamingException(ErrorCode.CHANNEL_NOT_EXIST, "pchannel " + pchannel + " is not served by this node");
        }
        if (term != 0 && w.term() != term) {
            throw new StreamingException(ErrorCode.UNMATCHED_CHANNEL_TERM, "pchannel " + pchannel
                    + " is served at term " + w.term() + ", not " + term);
        }
        return w;
    }

    public synchronized List<WalStatus> status() {
        List<WalStatus> out = new ArrayList<>();
        for (StreamingWal w : wals.values()) {
            out.add(w.status());
        }
        return out;
    }

    private synchronized List<StreamingWal> serving() {
        return new ArrayList<>(wals.values());
    }

    private void checkpointAll() {
        for (StreamingWal w : serving()) {
            try {
                w.checkpointIfDue();
            } catch (RuntimeException e) {
                LOG.warn("checkpoint of {} failed: {}", w.pchannel(), e.toString());
            }
        }
    }

    private void tickAll() {
        for (StreamingWal w : serving()) {
            try {
                w.tick();
            } catch (RuntimeException e) {
                LOG.warn("time tick of {} failed: {}", w.pchannel(), e.toString());
            }
        }
    }

    /** Stops the ticker, then closes every WAL (each finishes its accepted appends). */
    @Override
    public void close() {
        List<StreamingWal> open;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            open = new ArrayList<>(wals.values());
            wals.clear();
        }
        for (ScheduledExecutorService s : List.of(ticker, checkpointer)) {
            s.shutdownNow();
            try {
                s.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (StreamingWal w : open) {
            try {
                w.close();
            } catch (RuntimeException e) {
                LOG.warn("closing {} failed: {}", w.pchannel(), e.toString());
            }
        }
    }
}
