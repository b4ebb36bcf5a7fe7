package io.tidelog.bench;

import io.tidelog.client.StreamingClient;
import io.tidelog.common.StreamingException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Closed-loop load over gRPC: {@code producers} threads, each keeping up to {@code window} appends
 * outstanding (a semaphore per thread, a permit returned by each acknowledgement), each sending
 * {@code RAW} messages of {@code payloadBytes} random bytes to the vchannels in turn, so that every
 * pchannel gets the same share. Producer {@code i} uses client {@code i mod clients}.
 *
 * <p>Only acknowledged (durable) appends count; a failed append stops the run and is reported.
 */
final class GrpcProducers {
    private static final long DRAIN_TIMEOUT_SECONDS = 60;

    private final List<StreamingClient> clients;
    private final List<String> vchannels;
    private final int producers;
    private final int window;
    private final int payloadBytes;
    private final LongAdder acked = new LongAdder();
    private final Recorder latencies = new Recorder(3);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean running;
    private Histogram lastLatencies = new Histogram(3);

    GrpcProducers(List<StreamingClient> clients, List<String> vchannels, int producers, int window, int payloadBytes) {
        this.clients = List.copyOf(clients);
        this.vchannels = List.copyOf(vchannels);
        this.producers = producers;
        this.window = window;
        this.payloadBytes = payloadBytes;
    }

    /**
     * The default window per producer: about four 1 MiB group commits in flight per pchannel over all
     * producers (the {@code wal-throughput} rule, per pchannel), but never more than the client can hold
     * for one pchannel ({@code maxInFlightPerPchannel + maxQueuedPerPchannel} per client). Producers send to
     * every pchannel in turn, yet when one pchannel stalls (a slow fdatasync) their windows drain into it;
     * beyond that bound the client fails appends at once with {@code RESOURCE_EXHAUSTED}.
     */
    static int defaultWindow(long batchBytes, int pchannels, int producers, int payloadBytes, int clients) {
        long perProducer = 4 * batchBytes * pchannels / ((long) producers * payloadBytes);
        long clientRoom = (long) (StreamingClient.Builder.DEFAULT_MAX_IN_FLIGHT + StreamingClient.Builder.DEFAULT_MAX_QUEUED)
                * clients / producers;
        return (int) Math.max(1, Math.min(Math.min(perProducer, clientRoom), 1 << 16));
    }

    /**
     * Starts the producers, lets them ramp up for {@code rampNanos}, counts the acknowledged appends over
     * the next {@code nanos}, then stops and waits for every outstanding append.
     */
    WindowedAppenders.Throughput measure(long rampNanos, long nanos) throws InterruptedException {
        running = true;
        List<Thread> started = new ArrayList<>(producers);
        List<Semaphore> windows = new ArrayList<>(producers);
        byte[] payload = new byte[payloadBytes];
        ThreadLocalRandom.current().nextBytes(payload);
        for (int t = 0; t < producers; t++) {
            Semaphore permits = new Semaphore(window);
            windows.add(permits);
            StreamingClient client = clients.get(t % clients.size());
            int first = t;
            Thread th = new Thread(() -> produceLoop(client, permits, payload.clone(), first), "bench-producer-" + t);
            th.setDaemon(true);
            started.add(th);
            th.start();
        }
        WindowedAppenders.Throughput result;
        try {
            sleepWhileRunning(rampNanos);
            latencies.reset();
            long a0 = acked.sum();
            long t0 = System.nanoTime();
            sleepWhileRunning(nanos);
            long a1 = acked.sum();
            long t1 = System.nanoTime();
            lastLatencies = latencies.getIntervalHistogram();
            double seconds = (t1 - t0) / 1e9;
            result = new WindowedAppenders.Throughput((a1 - a0) * (double) payloadBytes / seconds, (a1 - a0) / seconds);
        } finally {
            running = false;
            drain(started, windows);
        }
        Throwable f = failure.get();
        if (f != null) {
            StreamingException e = StreamingException.from(f);
            throw new StreamingException(e.code(), "append over gRPC failed after " + acked.sum()
                    + " acknowledged appends: " + e.detail(), f);
        }
        return result;
    }

    /**
     * Append latencies (send to ack, nanoseconds) of the appends acknowledged during the measured interval
     * of the last {@link #measure}: a closed loop's latencies, for context (they include the time an append
     * waits behind the window of its producer's own earlier appends in the client and server).
     */
    Histogram latencies() {
        return lastLatencies;
    }

    private void sleepWhileRunning(long nanos) throws InterruptedException {
        long deadline = System.nanoTime() + nanos;
        long left;
        while (running && (left = deadline - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(10)));
        }
    }

    private void produceLoop(StreamingClient client, Semaphore permits, byte[] payload, int first) {
        int n = vchannels.size();
        int next = first % n;
        try {
            while (running) {
                permits.acquire();
                if (!running) {
                    permits.release();
                    return;
                }
                String vchannel = vchannels.get(next);
                next = next + 1 == n ? 0 : next + 1;
                long sent = System.nanoTime();
                client.appendRaw(vchannel, payload).whenComplete((a, error) -> {
                    if (error != null) {
                        failure.compareAndSet(null, error);
                        running = false;
                    } else {
                        acked.increment();
                        latencies.recordValue(System.nanoTime() - sent);
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

    /** Waits for the producers to leave their loops, then for every outstanding append to be answered. */
    private void drain(List<Thread> started, List<Semaphore> windows) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DRAIN_TIMEOUT_SECONDS);
        for (int t = 0; t < started.size(); t++) {
            Thread th = started.get(t);
            th.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            boolean drained = !th.isAlive() && windows.get(t).tryAcquire(window,
                    Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (!drained) {
                throw new IllegalStateException("appends still unanswered " + DRAIN_TIMEOUT_SECONDS
                        + " s after the producers stopped");
            }
        }
    }
}
