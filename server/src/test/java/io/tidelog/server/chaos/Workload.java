package io.tidelog.server.chaos;

import io.tidelog.client.ConsumerOptions;
import io.tidelog.client.ResumableConsumer;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.proto.MessageType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Continuous producers and consumers on {@code Raw} vchannels through one client: per vchannel, a producer sends
 * numbered messages at a steady rate with a few in flight, and a consumer follows the vchannel from its start for
 * the whole run; both record into a {@link History}. A failed append is recorded as in doubt and not sent again (the
 * client already sent keyed appends again where it could).
 */
final class Workload implements AutoCloseable {
    private final StreamingClient client;
    private final List<String> vchannels;
    private final History history;
    private final long periodNanos;
    private final int window;
    private final List<Thread> producers = new ArrayList<>();
    private final List<Thread> consumers = new ArrayList<>();
    private final List<ResumableConsumer> open = new ArrayList<>();
    /** Failures that are not a message's outcome: a consumer that gave up, an unexpected message. */
    final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    final AtomicLong failedAppends = new AtomicLong();
    private volatile boolean producing = true;
    private volatile boolean consuming = true;

    /**
     * @param ratePerVchannel messages per second each producer sends
     * @param window          appends in flight per vchannel at most
     */
    Workload(StreamingClient client, List<String> vchannels, History history, int ratePerVchannel, int window) {
        this.client = client;
        this.vchannels = List.copyOf(vchannels);
        this.history = history;
        this.periodNanos = TimeUnit.SECONDS.toNanos(1) / ratePerVchannel;
        this.window = window;
    }

    void start() {
        for (String v : vchannels) {
            ResumableConsumer c = client.consumer(ConsumerOptions.vchannel(v).withTypes(Set.of(MessageType.RAW)));
            open.add(c);
            Thread ct = new Thread(() -> consume(v, c), "chaos-consume-" + v);
            ct.setDaemon(true);
            consumers.add(ct);
            ct.start();
            Thread pt = new Thread(() -> produce(v), "chaos-produce-" + v);
            pt.setDaemon(true);
            producers.add(pt);
            pt.start();
        }
    }

    private void produce(String v) {
        Semaphore inFlight = new Semaphore(window);
        long next = System.nanoTime();
        for (long seq = 0; producing; seq++) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait); // pacing, not synchronisation
            }
            next += periodNanos;
            try {
                if (!inFlight.tryAcquire(1, TimeUnit.SECONDS)) {
                    seq--;
                    continue;
                }
            } catch (InterruptedException e) {
                return;
            }
            long s = seq;
            try {
                client.appendRaw(v, Long.toString(s).getBytes(StandardCharsets.UTF_8)).whenComplete((a, err) -> {
                    if (a != null) {
                        history.acked(v, s, a.timeTick(), System.nanoTime());
                    } else {
                        history.unknown(v, s);
                        failedAppends.incrementAndGet();
                    }
                    inFlight.release();
                });
            } catch (RuntimeException e) {
                history.unknown(v, s);
                failedAppends.incrementAndGet();
                inFlight.release();
            }
        }
        inFlight.acquireUninterruptibly(window); // every outcome recorded before the producer ends
    }

    private void consume(String v, ResumableConsumer c) {
        while (consuming) {
            ImmutableMessage m;
            try {
                m = c.poll(Duration.ofMillis(200));
            } catch (StreamingException e) {
                problems.add(v + ": the consumer failed: " + e.getMessage());
                return;
            }
            if (m == null) {
                continue;
            }
            String payload = m.payload().toStringUtf8();
            try {
                history.delivered(v, Long.parseLong(payload), m.timeTick(), m.term());
            } catch (NumberFormatException e) {
                problems.add(v + ": an unexpected message '" + payload + "'");
            }
        }
    }

    /** Stops producing and waits until every producer has its outcomes. */
    void stopProducing() throws InterruptedException {
        producing = false;
        for (Thread t : producers) {
            t.join(TimeUnit.MINUTES.toMillis(2));
        }
    }

    @Override
    public void close() {
        producing = false;
        consuming = false;
        try {
            for (Thread t : consumers) {
                t.join(TimeUnit.SECONDS.toMillis(10));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        open.forEach(ResumableConsumer::close);
    }
}
