package io.tidelog.bench;

import io.tidelog.common.StreamingException;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * The saturated load of {@code vs-kafka}, the same for every system it drives: one sender thread sends the same
 * payload asynchronously, back to back, as long as the bytes in flight (sent, not yet acknowledged) stay within a
 * window; each acknowledgement gives its bytes back. The system's client does all batching and pipelining itself,
 * as it would for an application that writes as fast as the log takes it.
 *
 * <p>{@link #measure} counts the acknowledgements that arrive within the measured interval, and reads the CPU
 * meters at its start and its end. Only acknowledged sends count; a failed send stops the load and fails the
 * measurement, naming the system.
 *
 * <p>Threads: {@link #measure} is called by one thread at a time; it starts the sender thread and returns once
 * that thread left and every send was answered. Acknowledgements arrive on the clients' threads.
 */
final class ByteWindowSender {
    /** How long {@link #measure} waits for the sends still in flight after the load stopped. */
    static final long DRAIN_TIMEOUT_SECONDS = 60;

    /** One system as the load sees it: an asynchronous send, complete once the system acknowledged it. */
    @FunctionalInterface
    interface Target {
        CompletableFuture<?> send(byte[] payload);
    }

    /** A CPU clock: the CPU seconds some process has used so far (a {@link ProcessCpu}). */
    @FunctionalInterface
    interface CpuMeter {
        double seconds() throws IOException;
    }

    /**
     * One measured interval.
     *
     * @param messages         sends acknowledged within the interval
     * @param seconds          the interval's length
     * @param payloadBytes     bytes of each message's payload
     * @param serverCpuSeconds CPU seconds the server process used within the interval; {@code NaN} when unknown
     * @param clientCpuSeconds CPU seconds the client process (the bench JVM) used within the interval
     */
    record Saturated(long messages, double seconds, int payloadBytes, double serverCpuSeconds,
                     double clientCpuSeconds) {
        double messagesPerSecond() {
            return messages / seconds;
        }

        double megabytesPerSecond() {
            return messages * (double) payloadBytes / 1e6 / seconds;
        }

        /** Acknowledged payload MB per CPU second of server and client together; {@code NaN} without the server's. */
        double megabytesPerCpuSecond() {
            return messages * (double) payloadBytes / 1e6 / (serverCpuSeconds + clientCpuSeconds);
        }
    }

    private final String name;
    private final Target target;
    private final byte[] payload;
    private final int windowBytes;

    /**
     * @param name        the system, for errors
     * @param windowBytes the most payload bytes in flight, at least one payload
     */
    ByteWindowSender(String name, Target target, byte[] payload, int windowBytes) {
        if (payload.length < 1 || windowBytes < payload.length) {
            throw new IllegalArgumentException("the window (" + windowBytes + " bytes) must hold one payload ("
                    + payload.length + " bytes)");
        }
        this.name = name;
        this.target = target;
        this.payload = payload;
        this.windowBytes = windowBytes;
    }

    /**
     * Runs the load for {@code rampNanos} (filling the window, discarded), then counts the acknowledgements and the
     * CPU the meters see over the next {@code nanos}, then stops the load and waits for every send in flight.
     *
     * @param server the server's CPU meter, or null when it cannot be read (an external broker)
     * @param client the client's CPU meter
     */
    Saturated measure(long rampNanos, long nanos, CpuMeter server, CpuMeter client) throws IOException,
            InterruptedException {
        Load load = new Load();
        Thread sender = new Thread(load::sendLoop, "bench-window-sender");
        sender.setDaemon(true);
        sender.start();
        Saturated result;
        try {
            load.sleepWhileRunning(rampNanos);
            double server0 = server == null ? Double.NaN : server.seconds();
            double client0 = client.seconds();
            long acked0 = load.acked.sum();
            long t0 = System.nanoTime();
            load.sleepWhileRunning(nanos);
            long acked1 = load.acked.sum();
            long t1 = System.nanoTime();
            double server1 = server == null ? Double.NaN : server.seconds();
            double client1 = client.seconds();
            result = new Saturated(acked1 - acked0, (t1 - t0) / 1e9, payload.length, server1 - server0,
                    client1 - client0);
        } finally {
            load.running = false;
            load.drain(sender);
        }
        Throwable f = load.failure.get();
        if (f != null) {
            StreamingException e = StreamingException.from(f);
            throw new StreamingException(e.code(), "a send to " + name + " failed after " + load.acked.sum()
                    + " acknowledged sends: " + e.detail(), f);
        }
        return result;
    }

    /** The state of one {@link #measure}: the window, the count, the first failure. */
    private final class Load {
        final Semaphore window = new Semaphore(windowBytes);
        final LongAdder acked = new LongAdder();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        volatile boolean running = true;

        void sendLoop() {
            try {
                while (running) {
                    window.acquire(payload.length);
                    if (!running) {
                        window.release(payload.length);
                        return;
                    }
                    send();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void send() {
            CompletableFuture<?> f;
            try {
                f = target.send(payload);
            } catch (RuntimeException e) {
                fail(e);
                window.release(payload.length);
                return;
            }
            f.whenComplete((ack, error) -> {
                if (error != null) {
                    fail(error);
                } else {
                    acked.increment();
                }
                window.release(payload.length);
            });
        }

        private void fail(Throwable error) {
            failure.compareAndSet(null, error);
            running = false;
        }

        void sleepWhileRunning(long nanos) throws InterruptedException {
            long deadline = System.nanoTime() + nanos;
            long left;
            while (running && (left = deadline - System.nanoTime()) > 0) {
                TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(10)));
            }
        }

        /** Waits for the sender to leave its loop, then for every byte of the window to come back. */
        void drain(Thread sender) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DRAIN_TIMEOUT_SECONDS);
            sender.join(TimeUnit.SECONDS.toMillis(DRAIN_TIMEOUT_SECONDS));
            boolean drained = !sender.isAlive()
                    && window.tryAcquire(windowBytes, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (!drained) {
                throw new IllegalStateException("sends to " + name + " still unanswered " + DRAIN_TIMEOUT_SECONDS
                        + " s after the load stopped");
            }
        }
    }
}
