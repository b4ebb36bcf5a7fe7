package io.tidelog.client;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * What every producer and consumer of one client shares: options, the executor that runs gRPC callbacks and
 * completes futures, the timer, the channels, the coordinators (which one leads) and the assignment watch.
 *
 * <p>Timer tasks only hand work to the executor ({@link #schedule}), so no user callback ever runs on the
 * timer thread.
 */
record ClientContext(ClientConfig config, Executor executor, ScheduledExecutorService timer, NodeChannels channels,
        Coordinators coordinators, AssignmentWatcher assignments) {

    /** Runs {@code task} on the executor; on the calling thread if the executor is shut down. */
    void dispatch(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            task.run();
        }
    }

    /** Runs {@code task} on the executor after {@code delayNanos}; {@code null} if the client is closing. */
    ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
        try {
            return timer.schedule(() -> dispatch(task), delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    static void cancel(ScheduledFuture<?> f) {
        if (f != null) {
            f.cancel(false);
        }
    }
}
