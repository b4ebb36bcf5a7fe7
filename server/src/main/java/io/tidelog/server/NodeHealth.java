package io.tidelog.server;

import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import io.tidelog.message.GrpcErrors;
import io.tidelog.proto.Heartbeat;
import io.tidelog.proto.HeartbeatsRequest;
import io.tidelog.proto.NodeControlGrpc;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The leader's fast failure detector for one node session: a {@code Heartbeats} stream from the node. The node is
 * down as soon as the stream breaks or stays silent for {@code timeout} (about a second; a SIGSTOPped node keeps its
 * connection but stops beating), and up again at its next beat on a new stream. The node's session lease would tell
 * the same only after {@code session.ttl} (10 s); storage fencing makes acting on the faster signal safe: a node
 * declared down by mistake loses its pchannels at new terms, and its writes at the old ones fail.
 *
 * <p>The listener hears the first verdict whichever it is (a node that never beats is down after the timeout), then
 * every change.
 *
 * <p>Threads: the stream's callbacks (gRPC threads) and the watchdog ({@code timer}) change the state under this
 * object's monitor; the listener is called outside it, at most once per transition, and must not block.
 */
final class NodeHealth implements AutoCloseable {
    /** Transitions of the node's health; called outside any lock, must not block. */
    interface Listener {
        void onUp();

        void onDown(String why);

        /** Every heartbeat of the node while it is up, after {@link #onUp}. */
        void onBeat(Heartbeat beat);
    }

    private final NodeControlGrpc.NodeControlStub stub;
    private final long sessionId;
    private final Duration interval;
    private final Duration timeout;
    private final ScheduledExecutorService timer;
    private final Listener listener;
    /** Under the monitor. Whether the listener heard anything yet: the first verdict, up or down, is always told. */
    private boolean told;
    private boolean up;
    private long lastBeatNanos;
    /** The last beat of the current stream; null while the node is down. */
    private Heartbeat lastBeat;
    private Context.CancellableContext stream;
    private long generation;
    private boolean closed;
    /** Between a broken stream and the next one: the watchdog has nothing to watch. */
    private boolean reopening;
    private ScheduledFuture<?> watchdog;

    NodeHealth(Channel channel, long sessionId, Duration interval, Duration timeout, ScheduledExecutorService timer,
               Listener listener) {
        this.stub = NodeControlGrpc.newStub(channel);
        this.sessionId = sessionId;
        this.interval = interval;
        this.timeout = timeout;
        this.timer = timer;
        this.listener = listener;
    }

    /** Opens the stream and starts the watchdog; the first beat reports the node up. */
    NodeHealth start() {
        synchronized (this) {
            long every = Math.max(1, interval.toNanos() / 2);
            watchdog = timer.scheduleWithFixedDelay(this::check, every, every, TimeUnit.NANOSECONDS);
        }
        open();
        return this;
    }

    synchronized boolean isUp() {
        return up;
    }

    /** What the node said in its last heartbeat (the pchannels it serves, their WALs); null while it is down. */
    synchronized Heartbeat lastBeat() {
        return lastBeat;
    }

    private void open() {
        long gen;
        Context.CancellableContext ctx;
        synchronized (this) {
            if (closed) {
                return;
            }
            gen = ++generation;
            reopening = false;
            ctx = Context.current().withCancellation();
            stream = ctx;
            lastBeatNanos = System.nanoTime();
        }
        HeartbeatsRequest request = HeartbeatsRequest.newBuilder().setSessionId(sessionId)
                .setIntervalMillis((int) Math.max(1, interval.toMillis())).build();
        ctx.run(() -> stub.heartbeats(request, new StreamObserver<>() {
            @Override
            public void onNext(Heartbeat beat) {
                beat(gen, beat);
            }

            @Override
            public void onError(Throwable t) {
                broken(gen, "its heartbeats broke: " + GrpcErrors.fromThrowable(t, "node").getMessage());
            }

            @Override
            public void onCompleted() {
                broken(gen, "its heartbeats ended");
            }
        }));
    }

    private void beat(long gen, Heartbeat beat) {
        boolean cameUp;
        synchronized (this) {
            if (gen != generation || closed) {
                return;
            }
            lastBeatNanos = System.nanoTime();
            lastBeat = beat;
            cameUp = !up;
            up = true;
            told = true;
        }
        if (cameUp) {
            listener.onUp();
        }
        listener.onBeat(beat);
    }

    private void broken(long gen, String why) {
        boolean wentDown;
        synchronized (this) {
            if (gen != generation || closed || reopening) {
                return;
            }
            wentDown = up || !told;
            up = false;
            lastBeat = null;
            told = true;
            reopening = true;
            generation++; // this stream is over: its late callbacks are ignored
        }
        if (wentDown) {
            listener.onDown(why);
        }
        reopenLater();
    }

    /** On the timer: a stream silent for longer than the timeout counts as broken. */
    private void check() {
        Context.CancellableContext silent = null;
        long gen;
        synchronized (this) {
            if (closed || reopening || System.nanoTime() - lastBeatNanos <= timeout.toNanos()) {
                return;
            }
            silent = stream;
            gen = generation;
        }
        broken(gen, "no heartbeat for " + timeout.toMillis() + " ms");
        if (silent != null) {
            silent.cancel(null);
        }
    }

    private void reopenLater() {
        try {
            timer.schedule(this::open, Math.max(1, interval.toNanos()), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // the timer stopped: closing
        }
    }

    @Override
    public void close() {
        Context.CancellableContext s;
        synchronized (this) {
            closed = true;
            s = stream;
            if (watchdog != null) {
                watchdog.cancel(false);
            }
        }
        if (s != null) {
            s.cancel(null);
        }
    }
}
