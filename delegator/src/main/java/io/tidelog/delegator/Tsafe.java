package io.tidelog.delegator;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The time tick up to which a pchannel's delegators have applied its log: every message at or below it is visible
 * to their queries, none above. Queries wait here for it to reach their guarantee.
 *
 * <p>Threads: {@link #advance} by the one thread that applies the log (the owner); {@link #get} and {@link #await}
 * from any thread. Waiters are completed on the owner thread, outside this object's monitor, or on the timer for a
 * deadline; their continuations must not block.
 */
final class Tsafe {
    private volatile long value;
    /** Waiters by the time tick they wait for, lowest first. Guarded by this. */
    private final PriorityQueue<Waiter> waiters = new PriorityQueue<>((a, b) -> Long.compare(a.timeTick, b.timeTick));
    /** Whether anyone waits: lets {@link #advance} skip the monitor. */
    private volatile boolean waiting;
    private StreamingException closed;

    private record Waiter(long timeTick, CompletableFuture<Long> done) {
    }

    /** The time tick applied so far (0 before the first message). */
    long get() {
        return value;
    }

    /** Whether a query waits. */
    boolean hasWaiters() {
        return waiting;
    }

    /** By the owner: every message up to {@code timeTick} is applied. Never goes back. */
    void advance(long timeTick) {
        if (timeTick <= value) {
            return;
        }
        value = timeTick;
        if (!waiting) {
            return;
        }
        java.util.List<Waiter> ready = new java.util.ArrayList<>();
        synchronized (this) {
            Waiter w;
            while ((w = waiters.peek()) != null && w.timeTick <= timeTick) {
                ready.add(waiters.poll());
            }
            waiting = !waiters.isEmpty();
        }
        ready.forEach(w -> w.done.complete(timeTick));
    }

    /**
     * Completes with the applied time tick once it is at least {@code timeTick}; fails with {@code TIMEOUT} after
     * {@code timeoutNanos}, or with the close reason.
     */
    CompletableFuture<Long> await(long timeTick, long timeoutNanos, ScheduledExecutorService timer, String what) {
        long now = value;
        if (now >= timeTick) {
            return CompletableFuture.completedFuture(now);
        }
        CompletableFuture<Long> done = new CompletableFuture<>();
        Waiter w = new Waiter(timeTick, done);
        synchronized (this) {
            if (closed != null) {
                return CompletableFuture.failedFuture(closed);
            }
            waiters.add(w);
            waiting = true;
        }
        // advance() may have passed timeTick between the first read and the registration.
        now = value;
        if (now >= timeTick) {
            remove(w);
            done.complete(now);
            return done;
        }
        var timeout = timer.schedule(() -> {
            if (remove(w)) {
                done.completeExceptionally(new StreamingException(ErrorCode.TIMEOUT, what + ": the data reached time tick "
                        + value + ", not the guarantee " + timeTick + ", within "
                        + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms"));
            }
        }, timeoutNanos, TimeUnit.NANOSECONDS);
        done.whenComplete((t, e) -> timeout.cancel(false));
        return done;
    }

    private synchronized boolean remove(Waiter w) {
        boolean removed = waiters.remove(w);
        waiting = !waiters.isEmpty();
        return removed;
    }

    /** Fails every waiter, now and later, with {@code reason}. */
    void close(StreamingException reason) {
        java.util.List<Waiter> failed;
        synchronized (this) {
            closed = reason;
            failed = new java.util.ArrayList<>(waiters);
            waiters.clear();
            waiting = false;
        }
        failed.forEach(w -> w.done.completeExceptionally(reason));
    }
}
