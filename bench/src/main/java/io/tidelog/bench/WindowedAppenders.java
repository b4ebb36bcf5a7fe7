package io.tidelog.bench;

import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.Wal;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Closed-loop load of many concurrent producers on one pchannel: {@code threads} appender threads,
 * each keeping up to {@code window} appends outstanding (a semaphore per thread, a permit returned by
 * each completion), appending the same record of {@code recordBytes} random bytes.
 *
 * <p>Why threads with windows: the goal (G1) is 32 in-process producers, and each producer is a thread
 * with its own contention on the backend's append path, as gRPC handler threads would be. A single
 * outstanding append per producer would cap the bytes in flight at 32 records, too few to fill a 1 MiB
 * group commit with small records, so the benchmark would measure the producers' round trips instead
 * of the backend. The default window gives the producers together about four batches in flight: a full
 * batch is always waiting while one is being synced, yet the backlog stays far below any sensible
 * back-pressure bound.
 *
 * <p>While running, the coordinating thread truncates the log behind the acknowledged records so that
 * disk (or heap) use stays bounded, as a checkpointing node would.
 */
final class WindowedAppenders {
    /** Truncate once at least this many payload bytes were acknowledged since the last truncation. */
    static final long TRUNCATE_EVERY_BYTES = 32L << 20;
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long DRAIN_TIMEOUT_SECONDS = 60;

    /** What one sample measured, payload bytes only (framing excluded). */
    record Throughput(double bytesPerSecond, double recordsPerSecond) {
        double megabytesPerSecond() {
            return bytesPerSecond / 1e6;
        }
    }

    private final Wal wal;
    private final int threads;
    private final int window;
    private final int recordBytes;
    private final int run;
    private final LongAdder acked = new LongAdder();
    private final AtomicReference<MessageId> lastAcked = new AtomicReference<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean running;

    WindowedAppenders(Wal wal, int threads, int window, int recordBytes) {
        this(wal, threads, window, recordBytes, 1);
    }

    /**
     * @param run records per append: 1 appends each record alone ({@link Wal#append}); more append runs of that
     *            many with {@link Wal#appendBatch}, as a streaming node appends the plain messages of a produce
     *            request (the window is rounded up to whole runs)
     */
    WindowedAppenders(Wal wal, int threads, int window, int recordBytes, int run) {
        if (run < 1) {
            throw new IllegalArgumentException("run must be >= 1, got " + run);
        }
        this.wal = wal;
        this.threads = threads;
        this.run = run;
        this.window = (window + run - 1) / run * run;
        this.recordBytes = recordBytes;
    }

    /**
     * The default window per appender: about {@code 4 * batchBytes} in flight over all appenders, at
     * least one record each.
     */
    static int defaultWindow(long batchBytes, int appenders, int recordBytes) {
        long perAppender = 4 * batchBytes / ((long) appenders * recordBytes);
        return (int) Math.max(1, Math.min(perAppender, 1 << 16));
    }

    /**
     * Starts the appenders, lets them ramp up and the backend settle for {@code rampNanos}, measures
     * the acknowledged records over the next {@code nanos}, then stops and waits for every outstanding
     * append.
     *
     * @throws StreamingException the first append failure, with how many records had been acknowledged
     */
    Throughput measure(long rampNanos, long nanos) throws InterruptedException {
        running = true;
        List<Thread> started = new ArrayList<>(threads);
        List<Semaphore> windows = new ArrayList<>(threads);
        byte[] payload = new byte[recordBytes];
        ThreadLocalRandom.current().nextBytes(payload);
        for (int t = 0; t < threads; t++) {
            Semaphore permits = new Semaphore(window);
            windows.add(permits);
            Thread th = new Thread(() -> appendLoop(permits, ByteBuffer.wrap(payload.clone())), "bench-appender-" + t);
            th.setDaemon(true);
            started.add(th);
            th.start();
        }
        Throughput result;
        try {
            long truncatedAt = tickUntil(System.nanoTime() + rampNanos, 0);
            long a0 = acked.sum();
            long t0 = System.nanoTime();
            tickUntil(t0 + nanos, truncatedAt);
            long a1 = acked.sum();
            long t1 = System.nanoTime();
            double seconds = (t1 - t0) / 1e9;
            result = new Throughput((a1 - a0) * (double) recordBytes / seconds, (a1 - a0) / seconds);
        } finally {
            running = false;
            drain(started, windows);
        }
        checkFailure();
        return result;
    }

    private void appendLoop(Semaphore permits, ByteBuffer record) {
        try {
            while (running) {
                permits.acquire(run);
                if (!running) {
                    permits.release(run);
                    return;
                }
                if (run > 1) {
                    appendRun(permits, record);
                    continue;
                }
                record.clear();
                wal.append(record).whenComplete((id, error) -> {
                    if (error != null) {
                        failure.compareAndSet(null, error);
                        running = false;
                    } else {
                        acked.increment();
                        lastAcked.accumulateAndGet(id, (a, b) -> a == null || b.isAfter(a) ? b : a);
                    }
                    permits.release();
                });
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failure.compareAndSet(null, e);
            running = false;
        }
    }

    private void appendRun(Semaphore permits, ByteBuffer record) {
        wal.appendBatch(new Wal.RecordBatch() {
            @Override
            public int count() {
                return run;
            }

            @Override
            public int size(int i) {
                return recordBytes;
            }

            @Override
            public void write(int i, ByteBuffer out) {
                out.put(record.duplicate().clear());
            }
        }).whenComplete((ids, error) -> {
            if (error != null) {
                failure.compareAndSet(null, error);
                running = false;
            } else {
                acked.add(run);
                MessageId last = ids[ids.length - 1];
                lastAcked.accumulateAndGet(last, (a, b) -> a == null || b.isAfter(a) ? b : a);
            }
            permits.release(run);
        });
    }

    /** Truncates behind the acknowledged records until {@code deadline}; returns the acked count truncated at. */
    private long tickUntil(long deadline, long truncatedAt) {
        long left;
        while ((left = deadline - System.nanoTime()) > 0 && running) {
            LockSupport.parkNanos(Math.min(left, TICK_NANOS));
            long now = acked.sum();
            MessageId upTo = lastAcked.get();
            if (upTo != null && (now - truncatedAt) * recordBytes >= TRUNCATE_EVERY_BYTES) {
                wal.truncate(upTo);
                truncatedAt = now;
            }
        }
        return truncatedAt;
    }

    private void checkFailure() {
        Throwable f = failure.get();
        if (f != null) {
            StreamingException e = StreamingException.from(f);
            throw new StreamingException(e.code(), "append to backend failed after " + acked.sum()
                    + " acknowledged records: " + e.detail(), f);
        }
    }

    /**
     * Waits for the appender threads to leave their loops, then for every outstanding append: all
     * permits back. A thread blocked on a full window is woken by the completions it waits for.
     */
    private void drain(List<Thread> started, List<Semaphore> windows) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DRAIN_TIMEOUT_SECONDS);
        for (int t = 0; t < started.size(); t++) {
            Thread th = started.get(t);
            th.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            boolean drained = !th.isAlive() && windows.get(t).tryAcquire(window,
                    Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (!drained) {
                throw new IllegalStateException("appends still outstanding " + DRAIN_TIMEOUT_SECONDS
                        + " s after the appenders stopped: the backend does not complete its futures");
            }
        }
    }
}
