package io.tidelog.meta;

import io.tidelog.common.StreamingException;
import java.util.List;

/**
 * Receives the events of a {@link Watch}. Called on the store's watch dispatcher thread, one call at
 * a time per store: a listener must not block (hand work to another thread if it is slow), because
 * every watch of the store waits for it.
 */
@FunctionalInterface
public interface WatchListener {

    /**
     * The next events of the watch: in revision order and, within a revision, in the order the writes
     * were made. A call never splits a revision (the events of one transaction arrive together) and
     * carries at least one event; it may carry several revisions.
     */
    void onEvents(List<WatchEvent> events);

    /**
     * The watch ended for a reason other than its own {@link Watch#close()}: {@code OUT_OF_RANGE} when
     * the history it needed next was compacted (resume from a fresh read), {@code ON_SHUTDOWN} when the
     * store closed, {@code INNER} when the listener threw. Called at most once, after the last
     * {@link #onEvents}; no call follows it.
     */
    default void onError(StreamingException error) {
    }
}
