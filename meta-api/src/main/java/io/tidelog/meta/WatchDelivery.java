package io.tidelog.meta;

import io.tidelog.common.StreamingException;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener end of one watch, for stores to build their {@link Watch} on: it hands the listener events and at
 * most one error, and keeps the promise of {@link Watch#close()}.
 *
 * <p>Every listener call is made on the store's dispatcher thread, under this object's lock, so a {@link #close}
 * from another thread waits for a call in progress, and no call starts after it. A listener that throws from
 * {@link WatchListener#onEvents} ends its watch with {@code INNER} (carrying what it threw); what it throws from
 * {@link WatchListener#onError} is logged and dropped. Thread-safe.
 */
public final class WatchDelivery {
    private static final Logger LOG = LoggerFactory.getLogger(WatchDelivery.class);

    private final String prefix;
    private final WatchListener listener;
    private final ReentrantLock calling = new ReentrantLock();
    private volatile boolean closed;

    public WatchDelivery(String prefix, WatchListener listener) {
        this.prefix = prefix;
        this.listener = listener;
    }

    /** Whether the watch ended: closed, failed, or its listener threw. */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Dispatcher thread: hands {@code events} (whole revisions, in order) to the listener. Returns false, having
     * called nothing, if the watch is closed, and false if the listener threw (the watch then ended).
     */
    public boolean deliver(List<WatchEvent> events) {
        calling.lock();
        try {
            if (closed) {
                return false;
            }
            listener.onEvents(Collections.unmodifiableList(events));
            return true;
        } catch (Throwable t) {
            LOG.warn("a meta store watch listener on '{}' threw; the watch is closed", prefix, t);
            end(StreamingException.inner("the watch listener threw: " + t, t));
            return false;
        } finally {
            calling.unlock();
        }
    }

    /** Dispatcher thread: ends the watch with {@code error} through its listener, unless it ended already. */
    public void fail(StreamingException error) {
        calling.lock();
        try {
            if (!closed) {
                end(error);
            }
        } finally {
            calling.unlock();
        }
    }

    private void end(StreamingException error) {
        closed = true;
        try {
            listener.onError(error);
        } catch (Throwable t) {
            LOG.warn("a meta store watch listener on '{}' threw from onError", prefix, t);
        }
    }

    /**
     * Ends the watch without a listener call. Unless called on the dispatcher thread (from the listener itself),
     * waits for a listener call in progress. Idempotent.
     */
    public void close(boolean onDispatcherThread) {
        closed = true;
        if (!onDispatcherThread) {
            calling.lock();
            calling.unlock();
        }
    }
}
