package io.tidelog.meta.embedded;

import io.tidelog.common.StreamingException;
import io.tidelog.meta.Compare;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaKeys;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.Op;
import io.tidelog.meta.Range;
import io.tidelog.meta.TxnResult;
import io.tidelog.meta.Watch;
import io.tidelog.meta.WatchListener;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * The embedded meta store ({@code embedded}): one H2 MVStore file in a data directory, for standalone
 * deployments. Implements the {@link MetaStore} contract; here is how.
 *
 * <p><b>Write path and durability point.</b> Every write is queued to the store's single writer thread
 * ({@link GroupCommitWriter}), which applies all queued writes in order, then commits them as one
 * MVStore chunk and fsyncs the file ({@code MVStore.commit()} alone only hands the chunk to the OS;
 * {@code MVStore.sync()} forces it), and only then returns to the callers: concurrent writers share
 * one fsync (group commit). MVStore's auto-commit is disabled so that no partial batch ever reaches
 * the file; an MVStore chunk is written whole or, torn by a crash, ignored on open. Reads wait for a
 * batch's fsync (a read-write lock), so no read sees a write that a crash could still undo.
 *
 * <p><b>Watches</b> are served from the durable history by one dispatcher thread
 * ({@link WatchDispatcher}). The history keeps the latest
 * {@link EmbeddedMetaStoreConfig#historyRevisions()} revisions, across restarts.
 *
 * <p><b>Leases.</b> Their ids and times to live are durable; their deadlines live in memory and are
 * judged by the injected clock. The writer thread revokes expired leases at least every
 * {@link EmbeddedMetaStoreConfig#leaseCheckInterval()}. On open, every lease in the file is in effect
 * again with its full time to live from the open.
 *
 * <p><b>Threads.</b> Two, owned by the store: {@code tidelog-meta-writer} and
 * {@code tidelog-meta-watch}. One process (one store) owns a directory at a time; a second open fails
 * with {@code INVALID_ARGUMENT}.
 */
public final class MvStoreMetaStore implements MetaStore {
    public static final String NAME = "embedded";

    private final EmbeddedMetaStoreConfig config;
    private final LeaseTable leases;
    private final KvState state;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final WatchDispatcher dispatcher;
    private final GroupCommitWriter writer;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** Opens the store with the system clock. */
    public MvStoreMetaStore(EmbeddedMetaStoreConfig config) {
        this(config, InstantSource.system());
    }

    /** Opens the store; {@code clock} judges lease deadlines (tests inject a manual one). */
    public MvStoreMetaStore(EmbeddedMetaStoreConfig config, InstantSource clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.leases = new LeaseTable(Objects.requireNonNull(clock, "clock"));
        this.state = KvState.open(config, leases);
        this.dispatcher = new WatchDispatcher(state, lock);
        this.writer = new GroupCommitWriter(state, config.dir(), leases, lock, dispatcher,
                config.leaseCheckInterval().toNanos());
        dispatcher.start();
        writer.start();
    }

    public EmbeddedMetaStoreConfig config() {
        return config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Optional<KeyValue> get(String key) {
        MetaKeys.requireKey(key);
        return read(() -> state.get(key));
    }

    @Override
    public Range range(String prefix, int limit) {
        MetaStore.validateRange(prefix, limit);
        return read(() -> state.range(prefix, limit));
    }

    @Override
    public long put(String key, byte[] value, long leaseId) {
        MetaStore.validatePut(key, value, leaseId);
        byte[] copy = value.clone();
        return writer.submit(s -> s.put(key, copy, leaseId));
    }

    @Override
    public boolean delete(String key) {
        MetaKeys.requireKey(key);
        return writer.submit(s -> s.delete(key));
    }

    @Override
    public int deletePrefix(String prefix) {
        MetaStore.validateDeletePrefix(prefix);
        return writer.submit(s -> s.deletePrefix(prefix));
    }

    @Override
    public TxnResult txn(List<Compare> compares, List<Op> onSuccess, List<Op> onFailure) {
        MetaStore.validateTxn(compares, onSuccess, onFailure);
        List<Compare> c = List.copyOf(compares);
        List<Op> success = List.copyOf(onSuccess);
        List<Op> failure = List.copyOf(onFailure);
        return writer.submit(s -> s.txn(c, success, failure));
    }

    @Override
    public long currentRevision() {
        writer.checkAccepting();
        return state.durableRevision();
    }

    @Override
    public Watch watch(String prefix, long fromRevision, WatchListener listener) {
        MetaStore.validateWatch(prefix, fromRevision, listener);
        writer.checkAccepting();
        return dispatcher.add(prefix, fromRevision, listener);
    }

    @Override
    public long grantLease(Duration ttl) {
        if (ttl == null || ttl.toMillis() < 1) {
            throw StreamingException.invalidArgument("a lease lives at least 1ms, got " + ttl);
        }
        long millis = ttl.toMillis();
        return writer.submit(s -> s.grantLease(millis));
    }

    @Override
    public boolean keepAlive(long leaseId) {
        writer.checkAccepting();
        return leases.keepAlive(leaseId);
    }

    @Override
    public boolean revokeLease(long leaseId) {
        writer.checkAccepting();
        return leaseId > 0 && writer.submit(s -> s.revokeLease(leaseId, false));
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        writer.stop(false);
        dispatcher.stop(StreamingException.onShutdown("the meta store is closed"), true);
        lock.writeLock().lock();
        try {
            state.close();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Simulates a crash of the process: queued writes fail unapplied, nothing more is written, watches
     * end silently, and the file lock is released so that a new store can open the directory.
     */
    void crashForTesting() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        writer.stop(true);
        dispatcher.stop(StreamingException.onShutdown("the meta store crashed"), false);
        lock.writeLock().lock();
        try {
            state.closeImmediately();
        } finally {
            lock.writeLock().unlock();
        }
    }

    private <T> T read(Supplier<T> read) {
        lock.readLock().lock();
        try {
            writer.checkAccepting();
            return read.get();
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "MvStoreMetaStore[" + config.file() + "]";
    }
}
