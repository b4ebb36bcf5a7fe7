package io.tidelog.meta.embedded;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.common.Threads;
import io.tidelog.meta.Watch;
import io.tidelog.meta.WatchEvent;
import io.tidelog.meta.WatchListener;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReadWriteLock;

/**
 * The store's single watch dispatcher thread. Every watch is a cursor over the durable history
 * ({@code history} map of {@link KvState}): its next revision. When the writer publishes a new durable
 * revision, or a watch is added, the dispatcher takes turns over the watches, delivering at most
 * {@link #REVISIONS_PER_TURN} revisions to each per turn (so one watch replaying a long history does
 * not hold up the others for long), until every watch has caught up; then it sleeps until woken.
 *
 * <p>A watch whose next revision was compacted away, before or during its delivery, ends with
 * {@code OUT_OF_RANGE}: compaction moves {@link KvState#compactedRevision()} before it removes
 * entries, and the dispatcher checks it before each delivery. History entries are read under the
 * store's read lock (a turn's entries at once), listeners are called outside it.
 */
final class WatchDispatcher implements Runnable {
    static final int REVISIONS_PER_TURN = 256;

    private final KvState state;
    private final ReadWriteLock lock;
    private final Thread thread;
    private final List<DispatchedWatch> watches = new CopyOnWriteArrayList<>();
    private final Object signal = new Object();
    private boolean signalled;
    private volatile boolean stopping;
    private StreamingException stopReason;
    private boolean notifyOnStop;

    WatchDispatcher(KvState state, ReadWriteLock lock) {
        this.state = state;
        this.lock = lock;
        this.thread = new Thread(this, "tidelog-meta-watch");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    Thread thread() {
        return thread;
    }

    Watch add(String prefix, long fromRevision, WatchListener listener) {
        DispatchedWatch w = new DispatchedWatch(this, prefix, fromRevision, listener);
        synchronized (signal) {
            if (stopping) {
                throw StreamingException.onShutdown("the meta store is closed");
            }
            if (fromRevision <= state.compactedRevision()) {
                throw outOfRange(fromRevision);
            }
            watches.add(w);
            signalled = true;
            signal.notifyAll();
        }
        return w;
    }

    /** A new durable revision was published. */
    void wake() {
        synchronized (signal) {
            signalled = true;
            signal.notifyAll();
        }
    }

    /**
     * Stops the thread and waits for it; with {@code notify}, every open watch first gets
     * {@code reason} through its listener (on the dispatcher thread). Idempotent.
     */
    void stop(StreamingException reason, boolean notify) {
        synchronized (signal) {
            if (!stopping) {
                stopping = true;
                stopReason = reason;
                notifyOnStop = notify;
                signal.notifyAll();
            }
        }
        if (Thread.currentThread() == thread || !thread.isAlive()) {
            return;
        }
        Threads.joinUninterruptibly(thread);
    }

    @Override
    public void run() {
        boolean behind = false;
        while (true) {
            synchronized (signal) {
                while (!behind && !signalled && !stopping) {
                    try {
                        signal.wait();
                    } catch (InterruptedException e) {
                        stopping = true;
                    }
                }
                signalled = false;
                if (stopping) {
                    break;
                }
            }
            behind = false;
            for (DispatchedWatch w : watches) {
                if (stopping) {
                    break;
                }
                if (w.isClosed()) {
                    watches.remove(w);
                } else {
                    try {
                        behind |= deliver(w);
                    } catch (RuntimeException e) {
                        w.fail(StreamingException.from(e));
                    }
                }
            }
        }
        if (notifyOnStop) {
            watches.forEach(w -> w.fail(stopReason));
        }
        watches.clear();
    }

    /** Delivers up to one turn of revisions to {@code w}; returns whether it is still behind. */
    private boolean deliver(DispatchedWatch w) {
        long durable = state.durableRevision();
        long from = w.nextRevision();
        if (from > durable) {
            return false;
        }
        long to = Math.min(durable, from + REVISIONS_PER_TURN - 1);
        List<byte[]> entries = new ArrayList<>((int) (to - from + 1));
        lock.readLock().lock();
        try {
            if (!state.isOpen()) {
                return false; // the file could not be opened again after a failed commit; woken when it is
            }
            for (long r = from; r <= to && r > state.compactedRevision(); r++) {
                entries.add(state.historyEntry(r));
            }
        } finally {
            lock.readLock().unlock();
        }
        for (long r = from; r <= to; r++) {
            byte[] entry = r - from < entries.size() ? entries.get((int) (r - from)) : null;
            if (r <= state.compactedRevision()) {
                w.fail(outOfRange(r));
                return false;
            }
            if (entry == null) {
                w.fail(StreamingException.corrupted("meta store history has no entry for revision " + r));
                return false;
            }
            List<WatchEvent> events = KvCodec.decodeEvents(r, entry, w.prefix());
            if (!events.isEmpty() && !w.deliver(events)) {
                return false;
            }
            w.advanceTo(r + 1);
        }
        return to < durable;
    }

    private StreamingException outOfRange(long revision) {
        return new StreamingException(ErrorCode.OUT_OF_RANGE, "the history at revision " + revision
                + " was compacted (history is kept after revision " + state.compactedRevision()
                + "); read the current state and watch from its revision + 1");
    }
}
