package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.client.Appended;
import io.tidelog.client.ConsumerOptions;
import io.tidelog.client.ResumableConsumer;
import io.tidelog.client.StartPosition;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.proto.MessageType;
import io.tidelog.testing.Await;
import io.tidelog.testing.Seeds;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tidelog standalone} as a real child process, driven through the Java client: many producers,
 * a SIGKILL in the middle of producing, a restart, and a check of every vchannel's history.
 *
 * <p>Producers retry a failed append as a new attempt (a new payload): without idempotency keys a
 * retry may store a second record, so the check is about acknowledged attempts: each is delivered
 * exactly once, and every vchannel's time ticks strictly increase.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class StandaloneEndToEndTest {
    static final int PCHANNELS = 4;
    static final int VCHANNELS = 16;
    static final int PRODUCERS = 8;

    @RegisterExtension
    final Seeds seeds = new Seeds();

    @TempDir
    Path dir;
    StandaloneProcess server;
    final List<StreamingClient> clients = new CopyOnWriteArrayList<>();
    /** vchannel -> payload -> ack. */
    final ConcurrentMap<String, ConcurrentMap<String, Appended>> acked = new ConcurrentHashMap<>();
    final AtomicLong ackCount = new AtomicLong();
    /** Set when a helper thread failed: producers stop retrying so the test fails fast. */
    volatile boolean abort;

    @AfterEach
    void stop() {
        clients.forEach(StreamingClient::close);
        if (server != null) {
            server.close();
        }
    }

    /** The WAL the server runs on, as command-line arguments: the local WAL here; subclasses run the others. */
    protected List<String> walArgs() {
        return List.of("-c", "wal.local.segment.bytes=16MiB", "-c", "wal.local.spare.segments=1");
    }

    void startServer() throws Exception {
        List<String> args = new ArrayList<>(List.of("--pchannels", Integer.toString(PCHANNELS)));
        args.addAll(walArgs());
        server = new StandaloneProcess(dir.resolve("data"), args);
        server.start();
    }

    StreamingClient client() {
        StreamingClient c = StreamingClient.builder().target(server.address()).appendTimeout(Duration.ofSeconds(60)).build();
        clients.add(c);
        return c;
    }

    static String vchannel(int i) {
        return "pchannel-" + (i % PCHANNELS) + "_v" + i;
    }

    /**
     * {@code PRODUCERS} producers send {@code perProducer} messages each, pipelined, across every
     * vchannel; a failed attempt is sent again as a new attempt until acknowledged.
     */
    void produce(String phase, int perProducer) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(PRODUCERS);
        try {
            List<Future<?>> jobs = new ArrayList<>();
            for (int p = 0; p < PRODUCERS; p++) {
                int producer = p;
                StreamingClient c = client();
                jobs.add(pool.submit(() -> {
                    Semaphore window = new Semaphore(512);
                    for (int seq = 0; seq < perProducer; seq++) {
                        String v = vchannel((producer * 7 + seq) % VCHANNELS);
                        String key = phase + "-p" + producer + "-" + seq;
                        window.acquireUninterruptibly();
                        send(c, v, key, 0, window);
                    }
                    window.acquireUninterruptibly(512);
                    return null;
                }));
            }
            for (Future<?> j : jobs) {
                j.get(6, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private void send(StreamingClient c, String vchannel, String key, int attempt, Semaphore window) {
        String payload = key + "-a" + attempt;
        c.appendRaw(vchannel, payload.getBytes(StandardCharsets.UTF_8)).whenComplete((a, err) -> {
            if (a != null) {
                acked.computeIfAbsent(vchannel, x -> new ConcurrentHashMap<>()).put(payload, a);
                ackCount.incrementAndGet();
                window.release();
            } else if (!abort && attempt < 50 && StreamingException.from(err).isRetriable()) {
                send(c, vchannel, key, attempt + 1, window);
            } else {
                window.release();
                throw new AssertionError("append of " + payload + " failed for good", err);
            }
        });
    }

    /** Reads every vchannel from the start and checks it against the acknowledgements. */
    void checkEveryVchannel(StreamingClient c) {
        long total = 0;
        for (int i = 0; i < VCHANNELS; i++) {
            String v = vchannel(i);
            Map<String, Appended> expected = acked.getOrDefault(v, new ConcurrentHashMap<>());
            Set<String> seen = new HashSet<>();
            long lastTt = 0;
            try (ResumableConsumer consumer = c.consumer(ConsumerOptions.vchannel(v).withStart(StartPosition.earliest())
                    .withTypes(Set.of(MessageType.RAW)))) {
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
                int missing = expected.size();
                while (missing > 0 || System.nanoTime() < deadline) {
                    ImmutableMessage m = consumer.poll(Duration.ofMillis(missing > 0 ? 5000 : 300));
                    if (m == null) {
                        if (missing > 0 && System.nanoTime() < deadline) {
                            continue;
                        }
                        break;
                    }
                    String payload = m.payload().toString(StandardCharsets.UTF_8);
                    assertThat(m.timeTick()).as("%s: time ticks strictly increase", v).isGreaterThan(lastTt);
                    lastTt = m.timeTick();
                    assertThat(seen.add(payload)).as("%s: %s delivered once", v, payload).isTrue();
                    Appended a = expected.get(payload);
                    if (a != null) {
                        assertThat(m.id()).isEqualTo(a.id());
                        assertThat(m.timeTick()).isEqualTo(a.timeTick());
                        missing--;
                    }
                }
                assertThat(seen).as("%s: every acknowledged message is delivered", v).containsAll(expected.keySet());
            }
            total += expected.size();
        }
        assertThat(total).isEqualTo(ackCount.get());
    }

    @Test
    void everyAcknowledgedMessageIsDeliveredOnceInOrderAcrossAKillNineAndProducingContinues() throws Exception {
        startServer();
        long t0 = System.nanoTime();
        produce("first", 12_500);
        long t1 = System.nanoTime();
        assertThat(ackCount.get()).isEqualTo(PRODUCERS * 12_500L);
        checkEveryVchannel(client());
        long t2 = System.nanoTime();
        System.out.printf("phase 1: %d acknowledged in %d ms (%.0f/s); all %d vchannels checked in %d ms%n",
                ackCount.get(), (t1 - t0) / 1_000_000, ackCount.get() * 1e9 / (t1 - t0), VCHANNELS, (t2 - t1) / 1_000_000);

        long before = ackCount.get();
        long killAt = before + 20_000 + seeds.random().nextInt(40_000);
        AtomicLong afterRestart = new AtomicLong(-1);
        CompletableFuture<Void> killer = CompletableFuture.runAsync(() -> {
            try {
                Await.until("enough acks to kill mid-stream", Duration.ofMinutes(3), () -> ackCount.get() >= killAt);
                server.kill9();
                server.start();
                afterRestart.set(ackCount.get());
            } catch (Exception | AssertionError e) {
                abort = true;
                throw new CompletionException(e);
            }
        });
        produce("second", 12_500);
        killer.get(3, TimeUnit.MINUTES);
        assertThat(afterRestart.get()).as("the server was killed and restarted while producing").isPositive();
        assertThat(ackCount.get()).as("producing continued after the restart").isGreaterThan(afterRestart.get());
        assertThat(ackCount.get()).isEqualTo(2L * PRODUCERS * 12_500);
        System.out.printf("phase 2: killed at %d acknowledged, restarted at %d, %d acknowledged in all in %d ms%n",
                killAt, afterRestart.get(), ackCount.get(), (System.nanoTime() - t2) / 1_000_000);
        checkEveryVchannel(client());
    }

    @Test
    void aConsumerCutOffByServerRestartsResumesWithoutGapOrDuplicate() throws Exception {
        startServer();
        String v = vchannel(5);
        String neighbour = vchannel(9); // same pchannel: interleaved records the consumer must skip
        List<String> consumed = new CopyOnWriteArrayList<>();
        List<Long> ticks = new CopyOnWriteArrayList<>();
        StreamingClient consumerClient = client();
        Thread consumer = new Thread(() -> {
            try (ResumableConsumer c = consumerClient.consumer(ConsumerOptions.vchannel(v)
                    .withStart(StartPosition.earliest()).withTypes(Set.of(MessageType.RAW)))) {
                while (!Thread.currentThread().isInterrupted()) {
                    ImmutableMessage m = c.poll(Duration.ofMillis(200));
                    if (m != null) {
                        consumed.add(m.payload().toString(StandardCharsets.UTF_8));
                        ticks.add(m.timeTick());
                    }
                }
            } catch (StreamingException e) {
                if (!Thread.currentThread().isInterrupted()) {
                    throw e; // an interrupt is how the test stops the consumer; anything else is a failure
                }
            }
        }, "consumer");
        consumer.start();

        CompletableFuture<Void> restarts = CompletableFuture.runAsync(() -> {
            try {
                Await.until("the consumer is mid-stream", Duration.ofMinutes(2), () -> consumed.size() >= 3_000);
                server.kill9();
                server.start();
                Await.until("the consumer is mid-stream again", Duration.ofMinutes(2), () -> consumed.size() >= 9_000);
                assertThat(server.terminate()).as("a clean exit on SIGTERM").isZero();
                server.start();
            } catch (Exception | AssertionError e) {
                abort = true;
                throw new CompletionException(e);
            }
        });

        StreamingClient producer = client();
        Semaphore window = new Semaphore(256);
        for (int i = 0; i < 16_000 && !restarts.isCompletedExceptionally(); i++) {
            assertThat(window.tryAcquire(3, TimeUnit.MINUTES)).as("append window").isTrue();
            send(producer, i % 3 == 0 ? neighbour : v, "m" + i, 0, window);
        }
        restarts.get(4, TimeUnit.MINUTES);
        assertThat(window.tryAcquire(256, 3, TimeUnit.MINUTES)).as("every append completed").isTrue();
        Set<String> expected = acked.get(v).keySet();
        Await.until("the consumer has every acknowledged message", Duration.ofMinutes(2),
                () -> new HashSet<>(consumed).containsAll(expected));
        consumer.interrupt();
        consumer.join(TimeUnit.MINUTES.toMillis(1));

        Map<String, List<String>> deliveries = new java.util.LinkedHashMap<>();
        for (int i = 0; i < consumed.size(); i++) {
            deliveries.computeIfAbsent(consumed.get(i), k -> new ArrayList<>()).add("#" + i + " tt " + ticks.get(i));
        }
        deliveries.values().removeIf(d -> d.size() == 1);
        assertThat(deliveries).as("messages delivered more than once (position, time tick)").isEmpty();
        for (int i = 1; i < ticks.size(); i++) {
            assertThat(ticks.get(i)).as("time ticks strictly increase at %d", i).isGreaterThan(ticks.get(i - 1));
        }
        assertThat(consumed).containsAll(expected);
        System.out.printf("consumer across a kill -9 and a SIGTERM restart: %d delivered, %d acknowledged%n",
                consumed.size(), expected.size());
    }
}
