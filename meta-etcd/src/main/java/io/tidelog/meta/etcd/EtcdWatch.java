package io.tidelog.meta.etcd;

import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.tidelog.common.Backoff;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.Watch;
import io.tidelog.meta.WatchDelivery;
import io.tidelog.meta.WatchEvent;
import io.tidelog.meta.WatchListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One watch: one etcd watch stream over its prefix, and what the stream received that the listener has not yet.
 *
 * <pre>
 *   stream (gRPC threads)                         dispatcher thread
 *   events ──▶ received batches ─────────────────▶ listener.onEvents, nextRevision = last + 1
 *   resumeRevision = last received + 1
 *   stream breaks ──▶ retry at now + backoff ────▶ a new stream from resumeRevision (no gap, no repeat)
 *   canceled for compaction ──▶ end ─────────────▶ listener.onError(OUT_OF_RANGE), after what came before
 * </pre>
 *
 * <p>etcd sends the events of one revision in one response, so a batch (one response) never splits a revision.
 * The stream state is guarded by this object's monitor. The listener is called on the dispatcher thread only,
 * through a {@link WatchDelivery}, so a {@link #close()} from another thread waits for a call in progress and no
 * call starts after it.
 */
final class EtcdWatch implements Watch {
    private static final Logger LOG = LoggerFactory.getLogger(EtcdWatch.class);

    /** What one response of the stream carried, and how many listener calls had returned when it came. */
    record Batch(List<WatchEvent> events, long firstRevision, long lastRevision, long callsBefore) {
    }

    /** The batches received since the last take, and the end of the watch that followed them, if any. */
    record Received(List<Batch> batches, StreamingException end) {
    }

    private final EtcdWatchDispatcher dispatcher;
    private final KeySpace keys;
    private final String prefix;
    private final WatchDelivery delivery;
    private volatile long nextRevision;

    private final Backoff retries = new Backoff(Duration.ofMillis(50), Duration.ofSeconds(2));
    private final List<Batch> received = new ArrayList<>();
    private long resumeRevision;
    private StreamingException end;
    private ClientCallStreamObserver<WatchRequest> stream;
    private int generation;
    private long retryAtNanos;
    private boolean lostLogged;

    EtcdWatch(EtcdWatchDispatcher dispatcher, KeySpace keys, String prefix, long fromRevision, WatchListener listener) {
        this.dispatcher = dispatcher;
        this.keys = keys;
        this.prefix = prefix;
        this.delivery = new WatchDelivery(prefix, listener);
        this.nextRevision = fromRevision;
        this.resumeRevision = fromRevision;
        this.retryAtNanos = System.nanoTime();
    }

    @Override
    public String prefix() {
        return prefix;
    }

    @Override
    public long nextRevision() {
        return nextRevision;
    }

    @Override
    public boolean isClosed() {
        return delivery.isClosed();
    }

    // ------------------------------------------------------------ the stream (dispatcher and gRPC threads)

    /** Dispatcher thread: opens a stream from where the last one stopped if there is none and its retry is due. */
    synchronized void connectIfDue(long nowNanos) {
        if (isClosed() || end != null || stream != null || nowNanos - retryAtNanos < 0) {
            return;
        }
        int g = ++generation;
        dispatcher.connection().reconnectNowIfDown();
        dispatcher.connection().watchStream().watch(new ClientResponseObserver<WatchRequest, WatchResponse>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<WatchRequest> requests) {
                stream = requests;
            }

            @Override
            public void onNext(WatchResponse response) {
                received(g, response);
            }

            @Override
            public void onError(Throwable t) {
                broken(g, Status.fromThrowable(t).toString());
            }

            @Override
            public void onCompleted() {
                broken(g, "etcd ended the stream");
            }
        });
        stream.onNext(WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder()
                .setKey(keys.key(prefix)).setRangeEnd(keys.rangeEnd(prefix)).setStartRevision(resumeRevision)).build());
    }

    /** When the next stream may be opened, if one is wanted; {@link Long#MAX_VALUE} otherwise. */
    synchronized long retryAtNanos() {
        return isClosed() || end != null || stream != null ? Long.MAX_VALUE : retryAtNanos;
    }

    private void received(int g, WatchResponse response) {
        synchronized (this) {
            if (isClosed() || g != generation || !(response.getCanceled() || response.getEventsCount() > 0)) {
                return;
            }
            if (response.getCanceled()) {
                cancelStream();
                if (response.getCompactRevision() != 0) {
                    end = new StreamingException(ErrorCode.OUT_OF_RANGE, "the watch of '" + prefix + "' needs revision "
                            + resumeRevision + " next, which etcd compacted (its history starts at revision "
                            + response.getCompactRevision() + "); read the current state and watch from its revision + 1");
                } else {
                    retryLater("etcd cancelled the watch: " + response.getCancelReason());
                }
            } else {
                add(response);
            }
        }
        dispatcher.wake();
    }

    /** Holding the monitor: keeps the events of a response for the dispatcher. */
    private void add(WatchResponse response) {
        List<WatchEvent> events = new ArrayList<>(response.getEventsCount());
        try {
            response.getEventsList().forEach(e -> events.add(keys.event(e)));
        } catch (StreamingException e) {
            cancelStream();
            end = e;
            return;
        }
        long last = events.get(events.size() - 1).revision();
        received.add(new Batch(events, events.get(0).revision(), last, dispatcher.completedCalls()));
        resumeRevision = last + 1;
        retries.reset();
        lostLogged = false;
    }

    private void broken(int g, String why) {
        synchronized (this) {
            if (isClosed() || g != generation) {
                return;
            }
            stream = null;
            retryLater(why);
        }
        dispatcher.wake();
    }

    /** Holding the monitor: the stream is gone; a new one opens after the backoff. */
    private void retryLater(String why) {
        stream = null;
        long delay = retries.nextNanos();
        retryAtNanos = System.nanoTime() + delay;
        if (!lostLogged) {
            lostLogged = true;
            LOG.warn("the etcd watch of '{}' lost its stream ({}); resuming from revision {}", prefix, why,
                    resumeRevision);
        } else {
            LOG.debug("the etcd watch of '{}' is still without a stream ({}); next try in {} ms", prefix, why,
                    delay / 1_000_000);
        }
    }

    /** Holding the monitor, or at the end: cuts the stream, whose late callbacks are then ignored. */
    private void cancelStream() {
        ClientCallStreamObserver<WatchRequest> s = stream;
        stream = null;
        generation++;
        if (s != null) {
            s.cancel("the watch is closed or ended", null);
        }
    }

    /** Dispatcher thread: what was received since the last take. */
    synchronized Received take() {
        List<Batch> batches = received.isEmpty() ? List.of() : List.copyOf(received);
        received.clear();
        StreamingException e = end;
        end = null;
        return new Received(batches, e);
    }

    // ------------------------------------------------------------ the listener (dispatcher thread)

    /** Hands {@code events} to the listener; false if the watch is (or just got) closed. */
    boolean deliver(List<WatchEvent> events, long lastRevision) {
        if (!delivery.deliver(events)) {
            cancel();
            return false;
        }
        nextRevision = lastRevision + 1;
        return true;
    }

    /** Ends the watch with {@code error} through its listener, unless it is closed already. */
    void fail(StreamingException error) {
        delivery.fail(error);
        cancel();
    }

    @Override
    public void close() {
        delivery.close(dispatcher.isDispatcherThread());
        cancel();
    }

    private synchronized void cancel() {
        cancelStream();
    }

    @Override
    public String toString() {
        return "EtcdWatch[" + prefix + " from " + nextRevision + (isClosed() ? ", closed" : "") + "]";
    }
}
