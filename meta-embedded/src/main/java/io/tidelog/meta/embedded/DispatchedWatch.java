package io.tidelog.meta.embedded;

import io.tidelog.common.StreamingException;
import io.tidelog.meta.Watch;
import io.tidelog.meta.WatchDelivery;
import io.tidelog.meta.WatchEvent;
import io.tidelog.meta.WatchListener;
import java.util.List;

/**
 * One watch of the {@link WatchDispatcher}: a cursor over the history (its next revision) and its listener's
 * {@link WatchDelivery}, whose lock lets {@link #close()} from another thread wait for a call in progress.
 */
final class DispatchedWatch implements Watch {
    private final WatchDispatcher dispatcher;
    private final String prefix;
    private final WatchDelivery delivery;
    private volatile long nextRevision;

    DispatchedWatch(WatchDispatcher dispatcher, String prefix, long fromRevision, WatchListener listener) {
        this.dispatcher = dispatcher;
        this.prefix = prefix;
        this.nextRevision = fromRevision;
        this.delivery = new WatchDelivery(prefix, listener);
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
        return delivery.isClosed();
    }

    /** Dispatcher thread: hands events to the listener; false if the watch is (or just got) closed. */
    boolean deliver(List<WatchEvent> events) {
        return delivery.deliver(events);
    }

    /** Dispatcher thread: ends the watch with an error, unless it is closed already. */
    void fail(StreamingException error) {
        delivery.fail(error);
    }

    @Override
    public void close() {
        delivery.close(Thread.currentThread() == dispatcher.thread());
    }

    @Override
    public String toString() {
        return "Watch[" + prefix + " from " + nextRevision + (isClosed() ? ", closed" : "") + "]";
    }
}
