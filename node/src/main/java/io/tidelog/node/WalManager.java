package io.tidelog.node;

import io.tidelog.common.Backoff;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.node.recovery.RecoveryStore;
import io.tidelog.node.retention.Retention;
import io.tidelog.tso.TimestampAllocator;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
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
 * {@link StreamingWal}. An open at an older term than the one served is refused with
 * {@code UNMATCHED_CHANNEL_TERM} (the coordinator then takes a newer term). Lookups check the term: {@code CHANNEL_NOT_EXIST} if the pchannel is not
 * served here, {@code UNMATCHED_CHANNEL_TERM} if it is served at another term.
 *
 * <p><b>Reopening.</b> A WAL that failed for any reason but a fence ({@link StreamingWal#failure()}: a full
 * disk, an append of unknown outcome) is closed and opened again by the node at the same term, which is
 * recovery from the log (the backend repairs its tail, then {@link StreamingWal#start} replays from the
 * checkpoint), first {@code node.reopen.backoff} after it failed, then with doubling pauses up to
 * {@code node.reopen.max.backoff}, until it serves again or the pchannel is removed or opened at another term.
 * Meanwhile lookups return the failed WAL, whose appends fail at once with the reason, and {@link #status()}
 * says why it is unavailable and how reopening goes. Logged: the failure (by the WAL), each new reason a
 * reopen fails with, and when it serves again.
 *
 * <p>Threads: one ticker thread ({@code node-timetick}) calls {@link StreamingWal#tick()} on every
 * open WAL each {@code node.timetick.interval}; one checkpointing thread ({@code node-checkpoint}) persists
 * their recovery state when due ({@link StreamingWal#checkpointIfDue()}), so a slow recovery store never
 * delays time ticks; one reopening thread ({@code node-reopen}) looks for failed WALs every
 * {@value #REOPEN_CHECK_MILLIS} ms and reopens them. Opens, removes and reopens of one pchannel are serialised by
 * that pchannel's lock, the only locks here, never two held at once: an open that recovers a long log holds back
 * no other pchannel. Lookups, status and the other threads read the map of WALs (a concurrent map, each entry
 * written only under its pchannel's lock) without them.
 */
public final class WalManager implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WalManager.class);
    static final long REOPEN_CHECK_MILLIS = 100;

    private final WalBackend backend;
    private final TimestampAllocator tso;
    private final NodeConfig config;
    private final Function<String, List<WalExtension>> extensions;
    private final RecoveryStore recovery;
    private final Retention retention;
    private final WalMetrics.Factory metrics;
    /** The WAL serving each pchannel; each entry written under its pchannel's lock, read anywhere. */
    private final ConcurrentNavigableMap<String, StreamingWal> wals = new ConcurrentSkipListMap<>();
    /** One lock per pchannel ever opened here, serialising its opens, removes and reopens. */
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    /** Failed WALs being reopened, by pchannel; each entry under its pchannel's lock. */
    private final Map<String, Reopening> reopening = new ConcurrentHashMap<>();
    /** What {@link #status()} says about each of them; written under the pchannel's lock, read anywhere. */
    private final Map<String, String> reopenProgress = new ConcurrentHashMap<>();
    private final ScheduledExecutorService ticker;
    private final ScheduledExecutorService checkpointer;
    private final ScheduledExecutorService reopener;
    private volatile boolean closed;

    /** A failed WAL waiting to be reopened: when to try next, and how the tries went. Under its pchannel's lock. */
    private static final class Reopening {
        final StreamingWal failed;
        final long sinceNanos;
        final Backoff pauses;
        long nextNanos;
        int attempts;
        StreamingException last;

        Reopening(StreamingWal failed, long now, Backoff pauses) {
            this.failed = failed;
            this.sinceNanos = now;
            this.pauses = pauses;
            this.nextNanos = now + pauses.nextNanos();
        }
    }

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
        this(backend, tso, config, extensions, recovery, retention, WalMetrics.Factory.NONE);
    }

    /**
     * @param extensions the extensions of a pchannel's WAL, made anew for every open (every term)
     * @param recovery   where the pchannels' recovery state is persisted
     * @param retention  how long the WALs keep their messages, and the durable subscriptions they honour
     * @param metrics    what each pchannel's WAL reports its appends to, in every term
     */
    public WalManager(WalBackend backend, TimestampAllocator tso, NodeConfig config,
                      Function<String, List<WalExtension>> extensions, RecoveryStore recovery, Retention retention,
                      WalMetrics.Factory metrics) {
        this.metrics = metrics;
        this.backend = backend;
        this.retention = retention;
        this.tso = tso;
        this.config = config;
        this.extensions = extensions;
        this.recovery = recovery;
        this.ticker = daemon("node-timetick");
        this.checkpointer = daemon("node-checkpoint");
        this.reopener = daemon("node-reopen");
        long every = config.timeTickInterval().toNanos();
        ticker.scheduleAtFixedRate(this::tickAll, every, every, TimeUnit.NANOSECONDS);
        reopener.scheduleWithFixedDelay(this::reopenFailed, REOPEN_CHECK_MILLIS, REOPEN_CHECK_MILLIS, TimeUnit.MILLISECONDS);
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

    private Object lockOf(String pchannel) {
        return locks.computeIfAbsent(pchannel, p -> new Object());
    }

    /**
     * Serves {@code pchannel} at {@code term}; returns the WAL already serving it at that term (a second open at
     * the term waits for the first and returns its WAL).
     *
     * @throws StreamingException {@code UNMATCHED_CHANNEL_TERM} if a newer term is served here; the backend's
     *         error if the open fails ({@code CHANNEL_FENCED} if the storage holds a newer term)
     */
    public StreamingWal open(String pchannel, long term) {
        synchronized (lockOf(pchannel)) {
            checkOpen();
            StreamingWal current = wals.get(pchannel);
            if (current != null) {
                if (current.term() > term) {
                    throw new StreamingException(ErrorCode.UNMATCHED_CHANNEL_TERM, "pchannel " + pchannel
                            + " is served at term " + current.term() + ", newer than " + term);
                }
                if (current.term() == term && (current.isAvailable() || reopenable(current))) {
                    return current; // a failed one is being reopened at this term already
                }
                forget(pchannel);
                current.close();
            }
            long started = System.nanoTime();
            StreamingWal streaming = start(pchannel, term);
            if (closed) { // close() went by while this recovered: it waits for this lock, then finds nothing
                streaming.close();
                checkOpen();
            }
            wals.put(pchannel, streaming);
            LOG.info("pchannel {} open at term {} in {} ms", pchannel, term,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            return streaming;
        }
    }

    private void checkOpen() {
        if (closed) {
            throw StreamingException.onShutdown("the node is shutting down");
        }
    }

    /** Opens the backend read-write at {@code term} and starts serving it (recovery from the log). Under the pchannel's lock. */
    private StreamingWal start(String pchannel, long term) {
        Wal wal = backend.open(OpenOptions.readWrite(pchannel, term));
        try {
            return StreamingWal.start(wal, tso, config, extensions.apply(pchannel), recovery, retention,
                    metrics.forPchannel(pchannel));
        } catch (RuntimeException e) {
            wal.close();
            throw e;
        }
    }

    private static boolean reopenable(StreamingWal w) {
        StreamingException failure = w.failure();
        return failure != null && !failure.isFenced();
    }

    /** Stops serving {@code pchannel} if it is served at {@code term} or older; idempotent. */
    public void remove(String pchannel, long term) {
        synchronized (lockOf(pchannel)) {
            StreamingWal current = wals.get(pchannel);
            if (current != null && current.term() <= term) {
                forget(pchannel);
                current.close();
                LOG.info("pchannel {} at term {} removed", pchannel, current.term());
            }
        }
    }

    /**
     * Stops serving every pchannel, whatever its term: what a node does when it lost its session, since the
     * coordinator may be moving its pchannels already. Each WAL finishes the appends it accepted (the storage fences
     * them if a newer term opened). An open in progress is waited for; its caller must remove what it opened if the
     * reason to serve it ended meanwhile (node control checks the session after each open). The manager stays open.
     *
     * @return the pchannels that were served
     */
    public List<String> removeAll() {
        List<String> removed = new ArrayList<>();
        for (StreamingWal w : serving()) {
            synchronized (lockOf(w.pchannel())) {
                StreamingWal current = wals.get(w.pchannel());
                if (current != null) {
                    forget(w.pchannel());
                    current.close();
                    removed.add(w.pchannel());
                    LOG.info("pchannel {} at term {} removed", w.pchannel(), current.term());
                }
            }
        }
        return removed;
    }

    /** Under the pchannel's lock. */
    private void forget(String pchannel) {
        wals.remove(pchannel);
        reopening.remove(pchannel);
        reopenProgress.remove(pchannel);
    }

    /** On the reopening thread: reopens every failed WAL whose pause is over. */
    private void reopenFailed() {
        for (StreamingWal w : wals.values()) {
            if (reopenable(w)) {
                try {
                    reopen(w);
                } catch (RuntimeException e) {
                    LOG.error("pchannel {}: reopening failed unexpectedly", w.pchannel(), e);
                }
            }
        }
    }

    /** Test support: one look for failed WALs on the caller's thread, as the reopening thread does. */
    void reopenFailedForTesting() {
        reopenFailed();
    }

    private void reopen(StreamingWal failed) {
        synchronized (lockOf(failed.pchannel())) {
            reopenUnderLock(failed);
        }
    }

    private void reopenUnderLock(StreamingWal failed) {
        String pchannel = failed.pchannel();
        if (closed || wals.get(pchannel) != failed) {
            return; // removed, or opened at another term, meanwhile
        }
        long now = System.nanoTime();
        Reopening r = reopening.computeIfAbsent(pchannel,
                p -> new Reopening(failed, now, new Backoff(config.reopenBackoff(), config.reopenMaxBackoff())));
        if (now - r.nextNanos < 0) {
            reopenProgress.put(pchannel, progress(r, now));
            return;
        }
        failed.close();
        r.attempts++;
        try {
            StreamingWal fresh = start(pchannel, failed.term());
            forget(pchannel);
            wals.put(pchannel, fresh);
            LOG.info("pchannel {} term {} serves again: reopened after {} ms unavailable ({} attempts)", pchannel,
                    failed.term(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - r.sinceNanos), r.attempts);
        } catch (RuntimeException e) {
            failedAgain(r, StreamingException.from(e));
        }
    }

    /** A reopen failed: try again after a longer pause, or give the pchannel up if a newer term owns it. */
    private void failedAgain(Reopening r, StreamingException why) {
        String pchannel = r.failed.pchannel();
        if (why.isFenced()) {
            forget(pchannel);
            LOG.info("pchannel {} term {}: not reopened, a newer term owns it ({}); no longer served here", pchannel,
                    r.failed.term(), why.getMessage());
            return;
        }
        if (r.last == null || r.last.code() != why.code()) {
            LOG.warn("pchannel {} term {}: reopening failed: {}; retrying with pauses up to {}", pchannel,
                    r.failed.term(), why.getMessage(), config.reopenMaxBackoff());
        }
        long now = System.nanoTime();
        r.last = why;
        r.nextNanos = now + r.pauses.nextNanos();
        reopenProgress.put(pchannel, progress(r, now));
    }

    private static String progress(Reopening r, long now) {
        String next = "next attempt in " + Math.max(0, TimeUnit.NANOSECONDS.toMillis(r.nextNanos - now)) + " ms";
        if (r.attempts == 0) {
            return "reopening it: " + next;
        }
        return "reopening it: " + r.attempts + " attempt" + (r.attempts == 1 ? "" : "s") + " failed, the last with "
                + (r.last.code() == r.failed.failure().code() ? r.last.code() : r.last.getMessage()) + "; " + next;
    }

    /**
     * The WAL serving {@code pchannel}, checked against {@code term} (0: any).
     *
     * @throws StreamingException {@code CHANNEL_NOT_EXIST}, {@code UNMATCHED_CHANNEL_TERM}
     */
    public StreamingWal get(String pchannel, long term) {
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

    /** Every pchannel served, by name; a failed one says why it is unavailable and how reopening it goes. */
    public List<WalStatus> status() {
        List<WalStatus> out = new ArrayList<>();
        for (StreamingWal w : wals.values()) {
            WalStatus s = w.status();
            String progress = reopenProgress.get(w.pchannel());
            out.add(progress == null || s.unavailableReason() == null ? s
                    : s.withUnavailableReason(s.unavailableReason() + "; " + progress));
        }
        return out;
    }

    private List<StreamingWal> serving() {
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

    /**
     * Stops the ticker, then closes every WAL (each finishes its accepted appends); an open in progress finishes
     * first and its WAL is closed with the others.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        List<StreamingWal> open = new ArrayList<>();
        for (String pchannel : new ArrayList<>(locks.keySet())) {
            synchronized (lockOf(pchannel)) {
                StreamingWal w = wals.remove(pchannel);
                if (w != null) {
                    open.add(w);
                }
                reopening.remove(pchannel);
                reopenProgress.remove(pchannel);
            }
        }
        for (ScheduledExecutorService s : List.of(reopener, ticker, checkpointer)) {
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
