package io.tidelog.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.testing.Await;
import io.tidelog.client.testing.FakeCluster;
import io.tidelog.client.testing.FakeErrors;
import io.tidelog.client.testing.FakeStreamingNode;
import io.tidelog.testing.Seeds;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.MessageLimits;
import io.tidelog.message.MessageIds;
import io.tidelog.message.MutableMessage;
import io.tidelog.proto.ImmutableMessageProto;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.ProduceMessage;
import io.tidelog.proto.ReportAssignmentErrorRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class AppendTest {
    static final Duration WAIT = Duration.ofSeconds(10);

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

    StreamingClient client() {
        return client(b -> { });
    }

    static Appended done(CompletableFuture<Appended> f) throws Exception {
        return f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    static StreamingException failure(CompletableFuture<?> f) {
        Throwable[] caught = new Throwable[1];
        try {
            f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            caught[0] = e.getCause() != null ? e.getCause() : e;
        }
        assertThat(caught[0]).as("the append should fail").isInstanceOf(StreamingException.class);
        return (StreamingException) caught[0];
    }

    static String payload(ProduceMessage m) {
        return m.getMessage().getPayload().toStringUtf8();
    }

    static List<String> payloads(FakeStreamingNode node) {
        return node.received().stream().map(AppendTest::payload).toList();
    }

    @Test
    void resultsArrivingOutOfOrderCompleteTheAppendsTheyBelongTo() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        nodeA.holdResults(true);
        client();
        List<CompletableFuture<Appended>> futures = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            futures.add(client.appendRaw("p-1_v", ("m" + i).getBytes(UTF_8)));
        }
        Await.until("eight messages are held", () -> nodeA.heldCount() == 8);
        List<Integer> order = new ArrayList<>(List.of(0, 1, 2, 3, 4, 5, 6, 7));
        Collections.shuffle(order, seeds.random());
        nodeA.releaseHeld(order);

        for (int i = 0; i < 8; i++) {
            Appended a = done(futures.get(i));
            ImmutableMessageProto stored = cluster.log("p-1").get((int) a.id().minor());
            assertThat(stored.getMessage().getPayload().toStringUtf8()).isEqualTo("m" + i);
            assertThat(a.vchannel()).isEqualTo("p-1_v");
            assertThat(a.timeTick()).isEqualTo(stored.getMessage().getTimeTick());
            assertThat(a.lastConfirmedId()).isEqualTo(MessageIds.fromProto(stored.getMessage().getLastConfirmedId()));
        }
    }

    @Test
    void appendsGoToTheNodeTheAssignmentNamesOverOneStreamPerPchannel() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        cluster.assign("p-2", 1, "node-b");
        client();
        done(client.appendRaw("p-1_x", "x".getBytes(UTF_8)));
        done(client.appendRaw("p-2_y", "y".getBytes(UTF_8)));
        done(client.appendRaw("p-1_z", "z".getBytes(UTF_8)));

        assertThat(payloads(nodeA)).containsExactly("x", "z");
        assertThat(payloads(nodeB)).containsExactly("y");
        assertThat(nodeA.produceOpens()).isEqualTo(1);
        assertThat(nodeB.produceOpens()).isEqualTo(1);
    }

    @Test
    void anAppendWaitsForALateAssignment() throws Exception {
        client();
        CompletableFuture<Appended> f = client.appendRaw("p-1_v", "late".getBytes(UTF_8));
        assertThat(f).isNotDone();
        cluster.assign("p-1", 1, "node-a");
        assertThat(done(f).vchannel()).isEqualTo("p-1_v");
        assertThat(payloads(nodeA)).containsExactly("late");
    }

    @Test
    void aWrongNodeIsReportedAndTheAppendFollowsTheNextAssignment() throws Exception {
        cluster.coordinator().assign("p-1", 1, "node-a", cluster.address("node-a")); // node-a does not serve it
        client();
        CompletableFuture<Appended> f = client.appendRaw("p-1_v", "moved".getBytes(UTF_8));

        ReportAssignmentErrorRequest report = cluster.coordinator().reports().poll(10, TimeUnit.SECONDS);
        assertThat(report).isNotNull();
        assertThat(report.getPchannel()).isEqualTo("p-1");
        assertThat(report.getTerm()).isEqualTo(1);
        assertThat(report.getError().getCode()).isEqualTo(ErrorCode.CHANNEL_NOT_EXIST.code());
        assertThat(f).isNotDone();

        cluster.assign("p-1", 2, "node-b");
        done(f);
        assertThat(payloads(nodeA)).isEmpty();
        assertThat(payloads(nodeB)).containsExactly("moved");
    }

    @Test
    void aStaleTermIsReportedAsUnmatchedAndTheAppendFollowsTheNewTerm() throws Exception {
        nodeA.serve("p-1", 3);
        cluster.coordinator().assign("p-1", 2, "node-a", cluster.address("node-a"));
        client();
        CompletableFuture<Appended> f = client.appendRaw("p-1_v", "t".getBytes(UTF_8));

        ReportAssignmentErrorRequest report = cluster.coordinator().reports().poll(10, TimeUnit.SECONDS);
        assertThat(report.getError().getCode()).isEqualTo(ErrorCode.UNMATCHED_CHANNEL_TERM.code());
        assertThat(report.getTerm()).isEqualTo(2);

        cluster.coordinator().assign("p-1", 3, "node-a", cluster.address("node-a"));
        done(f);
        assertThat(payloads(nodeA)).containsExactly("t");
    }

    @Test
    void aMessageRefusedAsWrongNodeIsReportedAndSentAgainWhereThePchannelMoved() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        AtomicBoolean lost = new AtomicBoolean(true);
        nodeA.rejectWith(m -> lost.get() ? FakeErrors.error(ErrorCode.CHANNEL_NOT_EXIST, "p-1 was removed") : null);
        client();
        CompletableFuture<Appended> f = client.appendRaw("p-1_v", "again".getBytes(UTF_8));

        ReportAssignmentErrorRequest report = cluster.coordinator().reports().poll(10, TimeUnit.SECONDS);
        assertThat(report.getError().getCode()).isEqualTo(ErrorCode.CHANNEL_NOT_EXIST.code());
        cluster.assign("p-1", 2, "node-b");

        Appended a = done(f);
        assertThat(cluster.log("p-1").get((int) a.id().minor()).getMessage().getTerm()).isEqualTo(2);
        assertThat(payloads(nodeB)).containsExactly("again");
    }

    @Test
    void appendsInFlightWhenTheStreamBreaksFailAsOutcomeUnknownAndLaterOnesGoOnTheNextStream() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        nodeA.holdResults(true);
        client(b -> b.maxInFlightPerPchannel(2));
        List<CompletableFuture<Appended>> futures = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            futures.add(client.appendRaw("p-1_v", ("m" + i).getBytes(UTF_8)));
        }
        Await.until("two messages are in flight", () -> nodeA.heldCount() == 2);
        nodeA.holdResults(false);
        nodeA.breakStreams();

        for (int i = 0; i < 2; i++) {
            StreamingException e = failure(futures.get(i));
            assertThat(e.code()).isEqualTo(ErrorCode.ON_SHUTDOWN);
            assertThat(e.isRetriable()).isTrue();
            assertThat(e.getMessage()).contains("outcome unknown");
        }
        for (int i = 2; i < 5; i++) {
            done(futures.get(i));
        }
        assertThat(nodeA.produceOpens()).isEqualTo(2);
        assertThat(payloads(nodeA)).as("nothing is sent twice").containsExactly("m0", "m1", "m2", "m3", "m4");
        assertThat(cluster.coordinator().reports()).as("a broken connection is no wrong node").isEmpty();
    }

    @Test
    void keyedAppendsInFlightToAnOwnerThatStoppedAnsweringGoToTheNewOwnerOnceThePchannelMovesToANewerTerm()
            throws Exception {
        cluster.assign("p-1", 1, "node-a");
        nodeA.holdResults(true); // a frozen owner: it took the appends and answers nothing
        client(b -> b.idempotentAppends(true));
        List<CompletableFuture<Appended>> futures = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            futures.add(client.appendRaw("p-1_v", ("k" + i).getBytes(UTF_8)));
        }
        Await.until("three appends are in flight on node-a", () -> nodeA.heldCount() == 3);
        List<String> keys = nodeA.received().stream().map(m -> m.getMessage().getIdempotencyKey()).toList();

        cluster.assign("p-1", 2, "node-b");
        for (CompletableFuture<Appended> f : futures) {
            done(f);
        }
        assertThat(payloads(nodeB)).containsExactly("k0", "k1", "k2");
        assertThat(nodeB.received().stream().map(m -> m.getMessage().getIdempotencyKey()).toList())
                .as("sent again with the same keys, so the new owner recognises any the old one wrote")
                .isEqualTo(keys);
    }

    @Test
    void unkeyedAppendsInFlightWaitForTheirOutcomeFromTheOldOwnerWhenThePchannelMoves() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        nodeA.holdResults(true);
        client();
        CompletableFuture<Appended> f = client.appendRaw("p-1_v", "u".getBytes(UTF_8));
        Await.until("the append is in flight on node-a", () -> nodeA.heldCount() == 1);

        nodeB.serve("p-1", 2);
        cluster.coordinator().assign("p-1", 2, "node-b", cluster.address("node-b"));
        Await.until("the client drains node-a's stream", () -> "DRAINING".equals(client.producerState("p-1")));
        CompletableFuture<Appended> later = client.appendRaw("p-1_v", "after".getBytes(UTF_8));
        assertThat(f).as("its outcome is known only to node-a").isNotDone();
        assertThat(later).as("queued behind it").isNotDone();
        nodeA.holdResults(false);
        nodeA.releaseHeld(List.of(0));
        done(f);
        done(later);
        assertThat(payloads(nodeA)).containsExactly("u");
        assertThat(payloads(nodeB)).containsExactly("after");
    }

    @Test
    void anAppendNotSentWithinTheTimeoutFailsWithTimeout() {
        client(b -> b.appendTimeout(Duration.ofMillis(200)));
        StreamingException e = failure(client.appendRaw("p-1_v", "x".getBytes(UTF_8)));
        assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
        assertThat(e.getMessage()).contains("not sent within").contains("no assignment");
    }

    @Test
    void anAppendSentButNotAnsweredWithinTheTimeoutFailsWithTimeoutAndUnknownOutcome() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        nodeA.holdResults(true);
        client(b -> b.appendTimeout(Duration.ofMillis(300)));
        StreamingException e = failure(client.appendRaw("p-1_v", "x".getBytes(UTF_8)));
        assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
        assertThat(e.getMessage()).contains("outcome unknown");

        nodeA.holdResults(false);
        done(client.appendRaw("p-1_v", "y".getBytes(UTF_8)));
    }

    @Test
    void oversizeMessagesAreRejectedBeforeSending() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        client(b -> b.messageLimits(new MessageLimits(1024)));
        StreamingException raw = failure(client.appendRaw("p-1_v", new byte[2000]));
        assertThat(raw.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(raw.getMessage()).contains("exceeds");

        MutableMessage builtWithDefaultLimits = MutableMessage.builder(MessageType.RAW, "p-1_v").payload(new byte[4000]).build();
        StreamingException built = failure(client.append(builtWithDefaultLimits));
        assertThat(built.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(built.getMessage()).contains("exceeds the maximum message size of 1024 bytes");

        done(client.appendRaw("p-1_v", "small".getBytes(UTF_8)));
        assertThat(payloads(nodeA)).containsExactly("small");
    }

    @Test
    void systemAndSelfControlledTypesAreRejectedBeforeSending() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        client();
        List<MutableMessage> forbidden = List.of(
                MutableMessage.builder(MessageType.TIME_TICK, "p-1").build(),
                MutableMessage.builder(MessageType.BEGIN_TXN, "p-1_v").build(),
                MutableMessage.builder(MessageType.COMMIT_TXN, "p-1_v").build(),
                MutableMessage.builder(MessageType.CREATE_SEGMENT, "p-1_v").build(),
                MutableMessage.builder(MessageType.FLUSH, "p-1_v").build());
        for (MutableMessage m : forbidden) {
            StreamingException e = failure(client.append(m));
            assertThat(e.code()).as(m.type().name()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThat(e.getMessage()).contains("clients may not send " + m.type());
        }
        StreamingException stamped = failure(client.append(MutableMessage.builder(MessageType.RAW, "p-1_v").build()
                .withTimeTick(5)));
        assertThat(stamped.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);

        done(client.appendRaw("p-1_v", "ok".getBytes(UTF_8)));
        assertThat(payloads(nodeA)).containsExactly("ok");
    }

    @Test
    void aFullQueueFailsTheNextAppendWithResourceExhaustedAtOnce() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        nodeA.holdResults(true);
        client(b -> b.maxInFlightPerPchannel(2).maxQueuedPerPchannel(3));
        List<CompletableFuture<Appended>> accepted = new ArrayList<>();
        accepted.add(client.appendRaw("p-1_v", "m0".getBytes(UTF_8)));
        accepted.add(client.appendRaw("p-1_v", "m1".getBytes(UTF_8)));
        Await.until("two messages are in flight", () -> nodeA.heldCount() == 2);
        for (int i = 2; i < 5; i++) {
            accepted.add(client.appendRaw("p-1_v", ("m" + i).getBytes(UTF_8)));
        }
        CompletableFuture<Appended> refused = client.appendRaw("p-1_v", "m5".getBytes(UTF_8));

        assertThat(refused).isCompletedExceptionally();
        assertThat(failure(refused).code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
        assertThat(nodeA.received()).hasSize(2);

        nodeA.holdResults(false);
        nodeA.releaseHeld(List.of(0, 1));
        for (CompletableFuture<Appended> f : accepted) {
            done(f);
        }
        assertThat(payloads(nodeA)).containsExactly("m0", "m1", "m2", "m3", "m4");
    }

    @Test
    void aPerMessageErrorFailsOnlyThatAppendAndKeepsTheStream() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        nodeA.rejectWith(m -> payload(m).equals("bad") ? FakeErrors.error(ErrorCode.INVALID_ARGUMENT, "no bad words") : null);
        client();
        CompletableFuture<Appended> bad = client.appendRaw("p-1_v", "bad".getBytes(UTF_8));
        CompletableFuture<Appended> good = client.appendRaw("p-1_v", "good".getBytes(UTF_8));

        StreamingException e = failure(bad);
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(e.detail()).isEqualTo("no bad words");
        done(good);
        assertThat(nodeA.produceOpens()).isEqualTo(1);
    }

    @Test
    void theAssignmentWatchReconnectsAfterTheCoordinatorRestarts() throws Exception {
        client();
        Await.until("the client watches", () -> cluster.coordinator().watchers() == 1);
        cluster.coordinator().breakWatches();
        Await.until("the client watches again", () -> cluster.coordinator().watchers() == 1);
        cluster.assign("p-1", 1, "node-a");
        done(client.appendRaw("p-1_v", "after".getBytes(UTF_8)));
    }

    @Test
    void blockingAppendsReturnTheResultOrThrowTheCode() {
        cluster.assign("p-1", 1, "node-a");
        client();
        Appended a = client.appendRawBlocking("p-1_v", "b".getBytes(UTF_8));
        assertThat(a.id()).isEqualTo(MessageIds.fromProto(cluster.log("p-1").get(1).getId()));
        assertThatThrownBy(() -> client.appendRawBlocking("no-underscore", new byte[1]))
                .isInstanceOfSatisfying(StreamingException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }

    @Test
    void closingTheClientFailsWaitingAppendsWithOnShutdown() {
        client();
        CompletableFuture<Appended> waiting = client.appendRaw("p-1_v", "never".getBytes(UTF_8));
        client.close();
        StreamingException e = failure(waiting);
        assertThat(e.code()).isEqualTo(ErrorCode.ON_SHUTDOWN);
        assertThat(e.getMessage()).contains("before the append");
        assertThat(failure(client.appendRaw("p-1_v", new byte[1])).code()).isEqualTo(ErrorCode.ON_SHUTDOWN);
    }

    @Test
    void manyConcurrentAppendersAllSucceedWithDistinctIds() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        cluster.assign("p-2", 1, "node-b");
        client(b -> b.maxInFlightPerPchannel(16));
        Random random = seeds.random();
        List<CompletableFuture<Appended>> futures = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            String vchannel = (random.nextBoolean() ? "p-1" : "p-2") + "_t" + t;
            Thread th = new Thread(() -> {
                for (int i = 0; i < 250; i++) {
                    futures.add(client.appendRaw(vchannel, ("m" + i).getBytes(UTF_8)));
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join(WAIT.toMillis());
        }
        List<String> ids = new ArrayList<>();
        for (CompletableFuture<Appended> f : futures) {
            Appended a = done(f);
            ids.add(a.vchannel().substring(0, 3) + "/" + a.id());
        }
        assertThat(ids).hasSize(1000).doesNotHaveDuplicates();
    }
}
