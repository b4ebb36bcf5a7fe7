package io.tidelog.meta.embedded;

import io.tidelog.common.StreamingException;
import io.tidelog.meta.Watch;
import io.tidelog.meta.WatchEvent;
import io.tidelog.meta.WatchListener;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One watch of the {@link WatchDispatcher}. Its listener is only called on the dispatcher thread,
 * under the watch's delivery lock, so {@link #close()} from another thread can wait for a call in
 * progress and no call starts after it.
 */
final class DispatchedWatch implements Watch {
    private static final Logger LOG = LoggerFactory.getLogger(DispatchedWatch.class);

    private final WatchDispatcher dispatcher;
    private final String prefix;
    private final WatchListener listener;
    private final ReentrantLock delivering = new ReentrantLock();
    private volatile long nextRevision;
    private volatile boolean closed;

    DispatchedWatch(WatchDispatcher dispatcher, String prefix, long fromRevision, WatchListener listener) {
        this.dispatcher = dispatcher;
        this.prefix = prefix;
        this.nextRevision = fromRevision;
        this.listener = listener;
    }

    @Override
    public String prefix() {
        return prefix;
    }

    @Override
    public long nextRevision() {
        return nextRevision;
    }

    /** Dispatcher thread: every revision before {@code revision} was delivered. */
    void advanceTo(long revision) {
        nextRevision = revision;
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    /** Dispatcher thread: hands events to the listener; false if the watch is (or just got) closed. */
    boolean deliver(List<WatchEvent> events) {
        delivering.lock();
        try {
            if (closed) {
                return false;
            }
            listener.onEvents(Collections.unmodifiableList(events));
            return true;
        } catch (Throwable t) {
            closed = true;
            LOG.warn("a meta store watch listener on '{}' threw; the watch is closed", prefix, t);
            notifyError(StreamingException.inner("the watch listener threw: " + t, t));
            return false;
        } finally {
            delivering.unlock();
        }
    }

    /** Dispatcher thread: ends the watch with an error, unless it is closed already. */
    void fail(StreamingException error) {
        delivering.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            notifyError(error);
        } finally {
            delivering.unlock();
        }
    }

    private void notifyError(StreamingException error) {
        try {
            listener.onError(error);
        } catch (Throwable t) {
            LOG.warn("a meta store watch listener on '{}' threw from onError", prefix, t);
        }
    }

    @Override
    public void close() {
        closed = true;
        if (Thread.currentThread() != dispatcher.thread()) {
            delivering.lock();
            delivering.unlock();
        }
    }

    @Override
    public String toString() {
        return "Watch[" + prefix + " from " + nextRevision + (closed ? ", closed" : "") + "]";
    }
}
