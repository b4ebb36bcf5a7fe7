package io.tidelog.meta;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps a lease alive: calls {@link MetaStore#keepAlive} every {@code interval} (a third of the time
 * to live is the usual choice, so two refreshes may fail before the lease expires) on a thread of its
 * own, until closed or until the lease is lost.
 *
 * <p>The lease is lost when a refresh finds it gone (expired or revoked) or fails with a
 * non-retriable error: then {@code onLost} runs once, on the keeper's thread, and refreshing stops. A
 * retriable failure ({@code INNER}, ...) is retried at the next tick. When the store closes
 * ({@code ON_SHUTDOWN}) the keeper stops without calling {@code onLost}: the owner closed the store.
 *
 * <p>Closing the keeper stops refreshing but does not revoke the lease (revoke it first if the keys
 * must go at once). After {@link #close()} returns (from another thread than the keeper's),
 * {@code onLost} is not running and never runs.
 */
public final class LeaseKeeper implements AutoCloseable {
    private final MetaStore store;
    private final long leaseId;
    private final Runnable onLost;
    private final ScheduledExecutorService timer;
    private final AtomicLong refreshes = new AtomicLong();
    private volatile Thread thread;
    private volatile boolean lost;
    private volatile boolean closed;

    private LeaseKeeper(MetaStore store, long leaseId, Runnable onLost) {
        this.store = store;
        this.leaseId = leaseId;
        this.onLost = onLost;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tidelog-lease-keeper-" + leaseId);
            t.setDaemon(true);
            thread = t;
            return t;
        });
    }

    /** Starts refreshing {@code leaseId} of {@code store} every {@code interval}; the first refresh is one interval away. */
    public static LeaseKeeper start(MetaStore store, long leaseId, Duration interval, Runnable onLost) {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(onLost, "onLost");
        if (leaseId <= 0) {
            throw StreamingException.invalidArgument("a lease id is positive, got " + leaseId);
        }
        if (interval == null || interval.isNegative() || interval.isZero()) {
            throw StreamingException.invalidArgument("the refresh interval must be positive, got " + interval);
        }
        LeaseKeeper keeper = new LeaseKeeper(store, leaseId, onLost);
        long nanos = interval.toNanos();
        keeper.timer.scheduleWithFixedDelay(keeper::refresh, nanos, nanos, TimeUnit.NANOSECONDS);
        return keeper;
    }

    public long leaseId() {
        return leaseId;
    }

    /** How many refreshes succeeded so far. */
    public long refreshes() {
        return refreshes.get();
    }

    /** Whether the lease was found lost (then {@code onLost} ran or is running). */
    public boolean isLost() {
        return lost;
    }

    private void refresh() {
        if (closed || lost) {
            return;
        }
        boolean alive;
        try {
            alive = store.keepAlive(leaseId);
        } catch (StreamingException e) {
            if (e.code() == ErrorCode.ON_SHUTDOWN) {
                closed = true;
                timer.shutdown();
                return;
            }
            if (e.isRetriable()) {
                return;
            }
            alive = false;
        }
        if (alive) {
            refreshes.incrementAndGet();
            return;
        }
        lost = true;
        timer.shutdown();
        if (!closed) {
            onLost.run();
        }
    }

    /** Stops refreshing; the lease is left to expire. Idempotent. */
    @Override
    public void close() {
        closed = true;
        timer.shutdown();
        if (Thread.currentThread() != thread) {
            boolean interrupted = false;
            while (true) {
                try {
                    if (timer.awaitTermination(1, TimeUnit.MINUTES)) {
                        break;
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
