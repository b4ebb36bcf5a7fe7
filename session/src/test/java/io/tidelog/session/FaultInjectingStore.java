package io.tidelog.session;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.Compare;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.Op;
import io.tidelog.meta.Range;
import io.tidelog.meta.TxnResult;
import io.tidelog.meta.Watch;
import io.tidelog.meta.WatchEvent;
import io.tidelog.meta.WatchListener;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A meta store that passes every call to another one, but can fail what a member's connection to the store can
 * lose: refreshes (as a store that does not answer: {@code TIMEOUT}, or as a lease found gone), reads and new
 * watches, and open watches (ended with {@code OUT_OF_RANGE}, as after a compaction). Closing it does not close the
 * store it wraps.
 */
final class FaultInjectingStore implements MetaStore {
    private final MetaStore store;
    private final CopyOnWriteArrayList<BreakableWatch> watches = new CopyOnWriteArrayList<>();
    private final AtomicInteger watchesOpened = new AtomicInteger();
    private volatile boolean failKeepAlives;
    private volatile boolean leasesGone;
    private volatile boolean failReads;
    private volatile Runnable beforeKeepAliveAnswer = () -> { };

    FaultInjectingStore(MetaStore store) {
        this.store = store;
    }

    /** Refreshes fail with {@code TIMEOUT} (true) or pass again (false). */
    void failKeepAlives(boolean fail) {
        failKeepAlives = fail;
    }

    /** Refreshes answer that the lease does not exist. */
    void leasesGone() {
        leasesGone = true;
    }

    /** Reads and new watches fail with {@code TIMEOUT} (true) or pass again (false). */
    void failReads(boolean fail) {
        failReads = fail;
    }

    /** Runs between a refresh being passed on and its answer being returned (a slow answer, on a manual clock). */
    void beforeKeepAliveAnswer(Runnable r) {
        beforeKeepAliveAnswer = r;
    }

    /** Ends every open watch with {@code OUT_OF_RANGE}, as if the history it needed next had been compacted. */
    void breakWatches() {
        for (BreakableWatch w : watches) {
            w.breakWith(new StreamingException(ErrorCode.OUT_OF_RANGE, "injected: the watch's history was compacted"));
        }
    }

    /** How many watches were opened through this store. */
    int watchesOpened() {
        return watchesOpened.get();
    }

    @Override
    public String name() {
        return store.name();
    }

    @Override
    public Optional<KeyValue> get(String key) {
        readable();
        return store.get(key);
    }

    @Override
    public Range range(String prefix, int limit) {
        readable();
        return store.range(prefix, limit);
    }

    @Override
    public long put(String key, byte[] value, long leaseId) {
        return store.put(key, value, leaseId);
    }

    @Override
    public boolean delete(String key) {
        return store.delete(key);
    }

    @Override
    public int deletePrefix(String prefix) {
        return store.deletePrefix(prefix);
    }

    @Override
    public TxnResult txn(List<Compare> compares, List<Op> onSuccess, List<Op> onFailure) {
        return store.txn(compares, onSuccess, onFailure);
    }

    @Override
    public long currentRevision() {
        return store.currentRevision();
    }

    @Override
    public Watch watch(String prefix, long fromRevision, WatchListener listener) {
        readable();
        BreakableWatch w = new BreakableWatch(listener);
        w.inner = store.watch(prefix, fromRevision, w);
        watches.add(w);
        watchesOpened.incrementAndGet();
        return w;
    }

    @Override
    public long grantLease(Duration ttl) {
        return store.grantLease(ttl);
    }

    @Override
    public boolean keepAlive(long leaseId) {
        if (failKeepAlives) {
            throw new StreamingException(ErrorCode.TIMEOUT, "injected: the store did not answer the refresh");
        }
        if (leasesGone) {
            return false;
        }
        boolean alive = store.keepAlive(leaseId);
        beforeKeepAliveAnswer.run();
        return alive;
    }

    @Override
    public boolean revokeLease(long leaseId) {
        return store.revokeLease(leaseId);
    }

    @Override
    public void close() {
        watches.forEach(BreakableWatch::close);
    }

    private void readable() {
        if (failReads) {
            throw new StreamingException(ErrorCode.TIMEOUT, "injected: the store did not answer the read");
        }
    }

    private final class BreakableWatch implements Watch, WatchListener {
        private final WatchListener listener;
        private final AtomicBoolean ended = new AtomicBoolean();
        private volatile Watch inner;

        BreakableWatch(WatchListener listener) {
            this.listener = listener;
        }

        @Override
        public void onEvents(List<WatchEvent> events) {
            if (!ended.get()) {
                listener.onEvents(events);
            }
        }

        @Override
        public void onError(StreamingException error) {
            if (!ended.getAndSet(true)) {
                watches.remove(this);
                listener.onError(error);
            }
        }

        void breakWith(StreamingException error) {
            inner.close();
            onError(error);
        }

        @Override
        public String prefix() {
            return inner.prefix();
        }

        @Override
        public long nextRevision() {
            return inner.nextRevision();
        }

        @Override
        public boolean isClosed() {
            return ended.get() || inner.isClosed();
        }

        @Override
        public void close() {
            ended.set(true);
            watches.remove(this);
            inner.close();
        }
    }
}
