package io.tidelog.meta.etcd;

import io.etcd.jetcd.api.RangeRequest;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.common.Threads;
import io.tidelog.meta.Watch;
import io.tidelog.meta.WatchEvent;
import io.tidelog.meta.WatchListener;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's single watch dispatcher thread ({@code tidelog-meta-etcd-watch}): the only caller of listeners, and
 * the only opener of watch streams.
 *
 * <p><b>Exactly once, in order.</b> Each watch has its own etcd watch stream (see {@link EtcdWatch}). Events arrive
 * on gRPC's threads, are kept per watch, and are handed to the listener here, all that arrived since its last call
 * in one call, in revision order. A stream that breaks (etcd restarted, a member went away) is opened again, after
 * a backoff, from the revision after the last event received, so nothing is missed and nothing repeated; the
 * listener sees no error for it.
 *
 * <p><b>Compaction.</b> etcd cancels a stream whose next revision it compacted: the watch ends with
 * {@code OUT_OF_RANGE} once the events before it are delivered. And events that had to wait here (a listener call
 * returned after they arrived) are delivered only while etcd still holds their revision, asked with one read: so a
 * listener that falls behind compaction ends with {@code OUT_OF_RANGE}, as with every store, instead of being fed
 * from this client's copy. Should etcd not answer that read, the events are delivered: they are etcd's history, and
 * a watch must not stall on it.
 */
final class EtcdWatchDispatcher implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(EtcdWatchDispatcher.class);

    private final EtcdConnection connection;
    private final KeySpace keys;
    private final Thread thread;
    private final List<EtcdWatch> watches = new CopyOnWriteArrayList<>();
    private final Object signal = new Object();
    private boolean signalled;
    private boolean stopping;
    private StreamingException stopReason;
    /** Listener calls that returned so far; written by the dispatcher thread only. */
    private volatile long completedCalls;

    EtcdWatchDispatcher(EtcdConnection connection, KeySpace keys) {
        this.connection = connection;
        this.keys = keys;
        this.thread = new Thread(this, "tidelog-meta-etcd-watch");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    EtcdConnection connection() {
        return connection;
    }

    boolean isDispatcherThread() {
        return Thread.currentThread() == thread;
    }

    long completedCalls() {
        return completedCalls;
    }

    Watch add(String prefix, long fromRevision, WatchListener listener) {
        EtcdWatch w = new EtcdWatch(this, keys, prefix, fromRevision, listener);
        synchronized (signal) {
            if (stopping) {
                throw StreamingException.onShutdown("the etcd meta store is closed");
            }
            watches.add(w);
        }
        wake();
        return w;
    }

    /**
     * Fails with {@code OUT_OF_RANGE} if etcd compacted its history at {@code revision}: a watch from there would
     * miss changes. A revision etcd has not reached yet is fine. Other failures of the read are thrown as they are.
     */
    void requireHistory(long revision) {
        try {
            connection.read("read the history at revision " + revision, () -> connection.kv().range(
                    RangeRequest.newBuilder().setKey(keys.key("")).setRevision(revision).setCountOnly(true).build()));
        } catch (StreamingException e) {
            if (e.code() == ErrorCode.OUT_OF_RANGE && e.detail().contains("compacted")) {
                throw new StreamingException(ErrorCode.OUT_OF_RANGE, "etcd compacted the history at revision "
                        + revision + " (" + e.detail() + "); read the current state and watch from its revision + 1", e);
            }
            if (e.code() != ErrorCode.OUT_OF_RANGE) {
                throw e;
            }
            // etcd's other OUT_OF_RANGE: a future revision, where a watch waits for the store to get there
        }
    }

    /** A watch has something new: events, a broken stream, its end. */
    void wake() {
        synchronized (signal) {
            signalled = true;
            signal.notifyAll();
        }
    }

    /**
     * Stops the thread and waits for it (unless called on it); every open watch first gets {@code reason} through
     * its listener. Idempotent.
     */
    void stop(StreamingException reason) {
        synchronized (signal) {
            if (!stopping) {
                stopping = true;
                stopReason = reason;
                signal.notifyAll();
            }
        }
        if (!isDispatcherThread()) {
            Threads.joinUninterruptibly(thread);
        }
    }

    @Override
    public void run() {
        while (awaitWork()) {
            long now = System.nanoTime();
            for (EtcdWatch w : watches) {
                if (w.isClosed()) {
                    watches.remove(w);
                    w.close();
                    continue;
                }
                try {
                    w.connectIfDue(now);
                    serve(w);
                } catch (RuntimeException e) {
                    w.fail(StreamingException.from(e));
                }
            }
        }
        watches.forEach(w -> w.fail(stopReason));
        watches.clear();
    }

    /** Waits until woken or a broken stream is due again; false once stopping. */
    private boolean awaitWork() {
        synchronized (signal) {
            while (!signalled && !stopping) {
                long due = Long.MAX_VALUE;
                for (EtcdWatch w : watches) {
                    due = Math.min(due, w.retryAtNanos());
                }
                long wait = due == Long.MAX_VALUE ? Long.MAX_VALUE : due - System.nanoTime();
                if (wait <= 0) {
                    break;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(signal, wait);
                } catch (InterruptedException e) {
                    stopping = true;
                }
            }
            signalled = false;
            return !stopping;
        }
    }

    private void serve(EtcdWatch w) {
        EtcdWatch.Received r = w.take();
        if (!r.batches().isEmpty()) {
            EtcdWatch.Batch first = r.batches().get(0);
            if (first.callsBefore() < completedCalls && compacted(first.firstRevision())) {
                w.fail(new StreamingException(ErrorCode.OUT_OF_RANGE, "the watch of '" + w.prefix() + "' fell behind:"
                        + " etcd compacted revision " + first.firstRevision() + " before it was delivered; read the"
                        + " current state and watch from its revision + 1"));
                return;
            }
            List<WatchEvent> events = new ArrayList<>();
            r.batches().forEach(b -> events.addAll(b.events()));
            long last = r.batches().get(r.batches().size() - 1).lastRevision();
            boolean delivered = !isStopping() && w.deliver(events, last);
            completedCalls++;
            if (!delivered) {
                return;
            }
        }
        if (r.end() != null) {
            w.fail(r.end());
        }
    }

    private boolean compacted(long revision) {
        try {
            requireHistory(revision);
            return false;
        } catch (StreamingException e) {
            if (e.code() != ErrorCode.OUT_OF_RANGE) {
                LOG.debug("could not ask etcd whether revision {} is compacted; delivering it: {}", revision,
                        e.getMessage());
            }
            return e.code() == ErrorCode.OUT_OF_RANGE;
        }
    }

    private boolean isStopping() {
        synchronized (signal) {
            return stopping;
        }
    }
}
