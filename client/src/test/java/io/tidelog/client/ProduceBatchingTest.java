package io.tidelog.client;

import static io.tidelog.client.AppendTest.done;
import static io.tidelog.client.AppendTest.failure;
import static io.tidelog.client.AppendTest.payloads;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.testing.Await;
import io.tidelog.client.testing.FakeCluster;
import io.tidelog.client.testing.FakeErrors;
import io.tidelog.client.testing.FakeStreamingNode;
import io.tidelog.client.testing.FakeStreamingNode.Packing;
import io.tidelog.testing.Seeds;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.MessageLimits;
import io.tidelog.proto.ImmutableMessageProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Appends travel in batches: bounds, order, batched results, broken streams. */
class ProduceBatchingTest {
    @RegisterExtension
    final Seeds seeds = new Seeds();

    final FakeCluster cluster = FakeCluster.start("node-a", "node-b");
    final FakeStreamingNode nodeA = cluster.node("node-a");
    final FakeStreamingNode nodeB = cluster.node("node-b");
    StreamingClient client;

    @AfterEach
    void close() {
        cluster.close();
    }

    StreamingClient client(Consumer<StreamingClient.Builder> options) {
        client = cluster.client(options);
        return client;
    }

    /** Appends "m0", "m1", ... to {@code p-1_v}. */
    List<CompletableFuture<Appended>> appendMany(int count) {
        List<CompletableFuture<Appended>> futures = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            futures.add(client.appendRaw("p-1_v", ("m" + i).getBytes(UTF_8)));
        }
        return futures;
    }

    static List<String> names(int count) {
        return IntStream.range(0, count).mapToObj(i -> "m" + i).toList();
    }

    /** Each future's result names the log entry holding the payload of the append it belongs to. */
    void assertEachResultMatchesItsAppend(List<CompletableFuture<Appended>> futures) throws Exception {
        for (int i = 0; i < futures.size(); i++) {
            Appended a = done(futures.get(i));
            ImmutableMessageProto stored = cluster.log("p-1").get((int) a.id().minor());
            assertThat(stored.getMessage().getPayload().toStringUtf8()).as("append %d", i).isEqualTo("m" + i);
            assertThat(a.timeTick()).isEqualTo(stored.getMessage().getTimeTick());
        }
    }

    static int sum(List<Integer> sizes) {
        return sizes.stream().mapToInt(Integer::intValue).sum();
    }

    @Test
    void tenThousandAppendsTravelInFarFewerRequestsAndEachResultCompletesItsOwnAppend() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        nodeA.packing(Packing.MIXED, seeds.random());
        client(b -> b.maxQueuedPerPchannel(10_000));
        done(client.appendRaw("p-1_v", "warm-up".getBytes(UTF_8)));
        nodeA.received().clear();
        int before = nodeA.produceRequestSizes().size();

        List<CompletableFuture<Appended>> futures = appendMany(10_000);
        for (CompletableFuture<Appended> f : futures) {
            done(f);
        }
        List<Integer> sizes = nodeA.produceRequestSizes();
        sizes = sizes.subList(before, sizes.size());
        assertThat(sum(sizes)).isEqualTo(10_000);
        assertThat(sizes.size()).as("requests for 10,000 appends").isLessThan(1_000);
        assertThat(sizes).allSatisfy(n -> assertThat(n).isBetween(1, ResumableProducer.MAX_BATCH_MESSAGES));
        assertThat(payloads(nodeA)).containsExactlyElementsOf(names(10_000));
        assertEachResultMatchesItsAppend(futures);
    }

    @Test
    void appendsQueuedWhileThePchannelHasNoAssignmentGoInFullBatchesAndKeepTheirOrder() throws Exception {
        nodeA.packing(Packing.BATCHES, seeds.random());
        client(b -> b.maxInFlightPerPchannel(5_000));
        List<CompletableFuture<Appended>> futures = appendMany(2_500);
        cluster.assign("p-1", 1, "node-a");

        assertEachResultMatchesItsAppend(futures);
        assertThat(nodeA.produceRequestSizes()).containsExactly(1_000, 1_000, 500);
        assertThat(payloads(nodeA)).as("order within and across batches").containsExactlyElementsOf(names(2_500));
        List<String> logged = cluster.log("p-1").messages().stream().skip(1) // the term's first TimeTick
                .map(m -> m.getMessage().getPayload().toStringUtf8()).toList();
        assertThat(logged).containsExactlyElementsOf(names(2_500));
    }

    @Test
    void aBatchTakesNoMoreThanTheRoomLeftInFlight() throws Exception {
        nodeA.holdResults(true);
        client(b -> b.maxInFlightPerPchannel(100));
        List<CompletableFuture<Appended>> futures = appendMany(250);
        cluster.assign("p-1", 1, "node-a");
        Await.until("a full window is held", () -> nodeA.heldCount() == 100);
        assertThat(nodeA.produceRequestSizes()).containsExactly(100);

        nodeA.holdResults(false);
        nodeA.releaseHeld(IntStream.range(0, 100).boxed().toList());
        assertEachResultMatchesItsAppend(futures);
        assertThat(nodeA.produceRequestSizes()).allSatisfy(n -> assertThat(n).isBetween(1, 100));
        assertThat(payloads(nodeA)).containsExactlyElementsOf(names(250));
    }

    @Test
    void aBatchStaysWithinTheByteBoundAndALargerMessageGoesAlone() throws Exception {
        client(b -> b.messageLimits(new MessageLimits(4 << 20)));
        List<byte[]> payloads = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            payloads.add(filled(400 << 10, 'a' + i)); // two fit in 1 MiB, three do not
        }
        payloads.add(filled(3 << 19, 'L')); // 1.5 MiB: alone
        payloads.add(filled(10, 's'));
        payloads.add(filled(10, 't'));
        List<CompletableFuture<Appended>> futures = new ArrayList<>();
        for (byte[] p : payloads) {
            futures.add(client.appendRaw("p-1_v", p));
        }
        cluster.assign("p-1", 1, "node-a");
        for (CompletableFuture<Appended> f : futures) {
            done(f);
        }
        assertThat(nodeA.produceRequestSizes()).containsExactly(2, 2, 1, 1, 2);
        List<byte[]> received = nodeA.received().stream().map(m -> m.getMessage().getPayload().toByteArray()).toList();
        assertThat(received).hasSize(payloads.size());
        for (int i = 0; i < payloads.size(); i++) {
            assertThat(Arrays.equals(received.get(i), payloads.get(i))).as("payload %d in its place", i).isTrue();
        }
    }

    static byte[] filled(int size, int value) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) value);
        return b;
    }

    @Test
    void anAppendOnAnIdleStreamGoesAtOnceAlone() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        nodeA.packing(Packing.BATCHES, seeds.random());
        client(b -> { });
        for (int i = 0; i < 3; i++) {
            done(client.appendRaw("p-1_v", ("m" + i).getBytes(UTF_8)));
        }
        assertThat(nodeA.produceRequestSizes()).containsExactly(1, 1, 1);
    }

    /** Runs tasks on a pool of its own, or keeps them while paused and hands them on when resumed. */
    static final class GateExecutor implements Executor {
        private final ExecutorService pool = Executors.newCachedThreadPool();
        private final List<Runnable> kept = new ArrayList<>();
        private final java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
        private boolean paused;

        /** Whether no task handed to the pool is queued or running. */
        boolean idle() {
            return running.get() == 0;
        }

        synchronized void pause() {
            paused = true;
        }

        void resume() {
            List<Runnable> run;
            synchronized (this) {
                paused = false;
                run = new ArrayList<>(kept);
                kept.clear();
            }
            run.forEach(this::submit);
        }

        private void submit(Runnable task) {
            running.incrementAndGet();
            pool.execute(() -> {
                try {
                    task.run();
                } finally {
                    running.decrementAndGet();
                }
            });
        }

        @Override
        public void execute(Runnable task) {
            synchronized (this) {
                if (paused) {
                    kept.add(task);
                    return;
                }
            }
            submit(task);
        }

        void shutdown() {
            pool.shutdownNow();
        }
    }

    @Test
    void appendsMadeWhileAnotherIsInFlightAreNotSentOneByOneButTogetherByOneTask() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        nodeA.packing(Packing.BATCHES, seeds.random());
        nodeA.holdResults(true);
        GateExecutor gate = new GateExecutor();
        try {
            client(b -> b.executor(gate));
            List<CompletableFuture<Appended>> futures = new ArrayList<>(appendMany(1));
            Await.until("the first append is in flight", () -> nodeA.heldCount() == 1);
            // the task that sent it may still be looking for more to send: let it finish first
            Await.until("the client's tasks are done", gate::idle);

            gate.pause(); // holds the task that sends what queues up from now on
            for (int i = 1; i < 200; i++) {
                futures.add(client.appendRaw("p-1_v", ("m" + i).getBytes(UTF_8)));
            }
            assertThat(nodeA.produceRequestSizes()).as("no request per append while one is in flight")
                    .containsExactly(1);
            gate.resume();
            Await.until("the others are in flight", () -> nodeA.heldCount() == 200);
            assertThat(nodeA.produceRequestSizes()).containsExactly(1, 199);

            nodeA.holdResults(false);
            nodeA.releaseHeld(IntStream.range(0, 200).boxed().toList());
            assertEachResultMatchesItsAppend(futures);
            assertThat(payloads(nodeA)).containsExactlyElementsOf(names(200));
        } finally {
            client.close();
            gate.shutdown();
        }
    }

    @Test
    void resultsArrivingBatchedAndOutOfOrderCompleteTheAppendsTheyBelongTo() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        nodeA.packing(Packing.BATCHES, seeds.random());
        nodeA.holdResults(true);
        client(b -> { });
        List<CompletableFuture<Appended>> futures = appendMany(300);
        Await.until("300 messages are held", () -> nodeA.heldCount() == 300);
        List<Integer> order = new ArrayList<>(IntStream.range(0, 300).boxed().toList());
        Collections.shuffle(order, seeds.random());
        nodeA.releaseHeld(order); // one `results` response, in the shuffled order

        assertEachResultMatchesItsAppend(futures);
        assertThat(nodeA.produceRequestSizes().size()).isLessThan(300);
    }

    @Test
    void resultsInRandomMixesOfSingleAndBatchedResponsesCompleteTheAppendsTheyBelongTo() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        nodeA.packing(Packing.MIXED, seeds.random());
        nodeA.holdResults(true);
        client(b -> { });
        List<CompletableFuture<Appended>> futures = appendMany(200);
        Await.until("200 messages are held", () -> nodeA.heldCount() == 200);
        nodeA.holdResults(false);
        List<Integer> order = new ArrayList<>(IntStream.range(0, 200).boxed().toList());
        Collections.shuffle(order, seeds.random());
        nodeA.releaseHeld(order);
        assertEachResultMatchesItsAppend(futures);
    }

    @Test
    void aStreamBreakingWithABatchInFlightFailsAllOfItAsOutcomeUnknownAndSendsNoneAgain() throws Exception {
        nodeA.holdResults(true);
        client(b -> { });
        List<CompletableFuture<Appended>> inFlight = appendMany(50);
        cluster.assign("p-1", 1, "node-a");
        Await.until("the batch is held", () -> nodeA.heldCount() == 50);
        assertThat(nodeA.produceRequestSizes()).containsExactly(50);

        nodeA.holdResults(false);
        nodeA.breakStreams();
        for (CompletableFuture<Appended> f : inFlight) {
            StreamingException e = failure(f);
            assertThat(e.code()).isEqualTo(ErrorCode.ON_SHUTDOWN);
            assertThat(e.isRetriable()).isTrue();
            assertThat(e.getMessage()).contains("outcome unknown");
        }
        done(client.appendRaw("p-1_v", "after".getBytes(UTF_8)));
        assertThat(nodeA.produceOpens()).isEqualTo(2);
        assertThat(nodeA.received()).as("nothing is sent twice").hasSize(51);
        assertThat(cluster.log("p-1").size()).as("only the term's first TimeTick and the later append").isEqualTo(2);
    }

    @Test
    void aWholeBatchRefusedAsWrongNodeIsReportedAndSentAgainInOrderWhereThePchannelMoved() throws Exception {
        AtomicBoolean lost = new AtomicBoolean(true);
        nodeA.packing(Packing.BATCHES, seeds.random());
        nodeA.rejectWith(m -> lost.get() ? FakeErrors.error(ErrorCode.CHANNEL_NOT_EXIST, "p-1 was removed") : null);
        client(b -> { });
        List<CompletableFuture<Appended>> futures = appendMany(40);
        cluster.assign("p-1", 1, "node-a");

        assertThat(cluster.coordinator().reports().poll(10, TimeUnit.SECONDS)).isNotNull()
                .satisfies(r -> assertThat(r.getError().getCode()).isEqualTo(ErrorCode.CHANNEL_NOT_EXIST.code()));
        assertThat(futures).noneMatch(CompletableFuture::isDone);
        cluster.assign("p-1", 2, "node-b");

        for (CompletableFuture<Appended> f : futures) {
            Appended a = done(f);
            assertThat(cluster.log("p-1").get((int) a.id().minor()).getMessage().getTerm()).isEqualTo(2);
        }
        assertThat(payloads(nodeB)).containsExactlyElementsOf(names(40));
    }
}
