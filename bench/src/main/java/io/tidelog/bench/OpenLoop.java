package io.tidelog.bench;

import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * An open-loop load generator at a fixed rate, and the recorder of its latencies.
 *
 * <p>Operation {@code i} has the intended send time {@code start + i / rate}, a fixed grid that does
 * not move when the system is slow. The sender waits for each intended time (parking, then spinning
 * the last {@value #SPIN_NANOS} ns for precision) and issues the operation; when it is already late
 * (a previous synchronous operation took long, or the scheduler did not run it) it issues at once,
 * still with the original intended time. Latency is recorded as {@code completion - intended}.
 *
 * <p>Why: a closed loop that measures from the actual send time hides every stall behind the one
 * operation that suffered it (coordinated omission); measuring from the grid charges each operation
 * the full time it would have waited behind the stall, as a real client at that rate would have.
 *
 * <p>Threads: {@link #run} is called by one sender thread; {@link #recordCompletion} may be called from
 * any thread, concurrently with the sender. {@link #latencies()} is read after all completions.
 */
final class OpenLoop {
    /**
     * Spun, not parked, before each intended time. Short: at 10,000 operations a second a longer spin would keep the
     * sender on a core all the time, a core the systems measured on a 2-core machine then lack; a park that wakes
     * late only makes the operation late, which its latency (from the intended time) then includes.
     */
    static final long SPIN_NANOS = 10_000;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    /** Time and waiting, so that schedule tests can run on a fake clock. */
    interface Clock {
        long nanoTime();

        /** Returns at or soon after {@code deadline} (never before). */
        void parkUntil(long deadline);

        /** The JVM's monotonic clock; parks, then spins the final stretch. */
        Clock SYSTEM = new Clock() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public void parkUntil(long deadline) {
                long left = deadline - System.nanoTime();
                while (left > SPIN_NANOS) {
                    LockSupport.parkNanos(left - SPIN_NANOS);
                    left = deadline - System.nanoTime();
                }
                while (System.nanoTime() - deadline < 0) {
                    Thread.onSpinWait();
                }
            }
        };
    }

    /** Issues operation {@code index}, whose intended send time is {@code intendedNanos}. */
    @FunctionalInterface
    interface Operation {
        void issue(long index, long intendedNanos) throws Exception;
    }

    private final long ratePerSecond;
    private final Clock clock;
    private final Recorder recorder = new Recorder(3);
    private long maxSendLagNanos;

    OpenLoop(long ratePerSecond, Clock clock) {
        if (ratePerSecond <= 0) {
            throw new IllegalArgumentException("rate must be positive, got " + ratePerSecond);
        }
        this.ratePerSecond = ratePerSecond;
        this.clock = clock;
    }

    /** How many operations a run of {@code seconds} issues at {@code ratePerSecond}: at least one. */
    static long operationsIn(double seconds, long ratePerSecond) {
        return Math.max(1, Math.round(seconds * ratePerSecond));
    }

    /** The intended send time of operation {@code index} after {@code start}, exact and drift-free. */
    long intendedTime(long start, long index) {
        return start + (index / ratePerSecond) * NANOS_PER_SECOND
                + (index % ratePerSecond) * NANOS_PER_SECOND / ratePerSecond;
    }

    /**
     * Issues {@code count} operations on the grid starting now. Returns when the last one was issued
     * (not completed).
     */
    void run(long count, Operation op) throws Exception {
        long start = clock.nanoTime();
        for (long i = 0; i < count; i++) {
            long intended = intendedTime(start, i);
            if (clock.nanoTime() - intended < 0) {
                clock.parkUntil(intended);
            }
            maxSendLagNanos = Math.max(maxSendLagNanos, clock.nanoTime() - intended);
            op.issue(i, intended);
        }
    }

    /** Records the latency of an operation that completes now. */
    void recordCompletion(long intendedNanos) {
        recorder.recordValue(Math.max(0, clock.nanoTime() - intendedNanos));
    }

    /** The latencies recorded since the previous call, in nanoseconds. */
    Histogram latencies() {
        return recorder.getIntervalHistogram();
    }

    /** The latest the sender issued any operation after its intended time, in nanoseconds. */
    long maxSendLagNanos() {
        return maxSendLagNanos;
    }
}
