package io.tidelog.meta.testing;

import io.tidelog.testing.Await;

import io.tidelog.common.StreamingException;
import io.tidelog.meta.WatchEvent;
import io.tidelog.meta.WatchListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * A watch listener that records what it is given: the events, each call's size (so tests can check
 * that a revision is never split), the error, and whether any call came from more than one thread.
 */
public final class RecordingListener implements WatchListener {
    private final List<WatchEvent> events = new ArrayList<>();
    private final List<List<WatchEvent>> calls = new ArrayList<>();
    private StreamingException error;
    private Thread caller;
    private boolean manyThreads;
    private boolean callAfterError;

    @Override
    public synchronized void onEvents(List<WatchEvent> batch) {
        noteThread();
        if (error != null) {
            callAfterError = true;
        }
        calls.add(List.copyOf(batch));
        events.addAll(batch);
    }

    @Override
    public synchronized void onError(StreamingException e) {
        noteThread();
        if (error != null) {
            callAfterError = true;
        }
        error = e;
    }

    private void noteThread() {
        if (caller == null) {
            caller = Thread.currentThread();
        } else if (caller != Thread.currentThread()) {
            manyThreads = true;
        }
    }

    public synchronized List<WatchEvent> events() {
        return List.copyOf(events);
    }

    public synchronized List<List<WatchEvent>> calls() {
        return List.copyOf(calls);
    }

    public synchronized int size() {
        return events.size();
    }

    public synchronized StreamingException error() {
        return error;
    }

    public synchronized boolean calledFromManyThreads() {
        return manyThreads;
    }

    public synchronized boolean calledAfterError() {
        return callAfterError;
    }

    public synchronized Thread caller() {
        return caller;
    }

    /** Waits until at least {@code n} events arrived; returns them. */
    public List<WatchEvent> awaitEvents(int n, Duration timeout) {
        Await.until(n + " watch events arrived (have " + size() + ")", timeout, () -> size() >= n);
        return events();
    }

    /** Waits until an event matching {@code p} arrived. */
    public void awaitEvent(String what, Duration timeout, Predicate<WatchEvent> p) {
        Await.until(what, timeout, () -> events().stream().anyMatch(p));
    }

    public void awaitError(Duration timeout) {
        Await.until("the watch reported an error", timeout, () -> error() != null);
    }
}
