package io.tidelog.client;

import static io.tidelog.client.AppendTest.done;
import static io.tidelog.client.AppendTest.failure;
import static io.tidelog.client.AppendTest.payload;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.client.testing.FakeCluster;
import io.tidelog.client.testing.FakeErrors;
import io.tidelog.client.testing.FakeStreamingNode;
import io.tidelog.client.testing.FakeStreamingNode.Packing;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.message.MessageIds;
import io.tidelog.proto.AppendedRange;
import io.tidelog.proto.ImmutableMessageProto;
import io.tidelog.proto.MessageIdProto;
import io.tidelog.proto.ProduceMessage;
import io.tidelog.proto.ProduceResponse;
import io.tidelog.proto.ProduceResults;
import io.tidelog.testing.Await;
import io.tidelog.testing.Seeds;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node may acknowledge runs of appends as ranges ({@code AppendedRange}, delta-encoded): the client decodes
 * them into each append's result, with per-request results and errors in the same or other responses, and
 * ignores whatever a range names that is no longer in flight.
 */
class RangeAckTest {
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

    List<CompletableFuture<Appended>> appendMany(String prefix, int count) {
        List<CompletableFuture<Appended>> futures = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            futures.add(client.appendRaw("p-1_v", (prefix + i).getBytes(UTF_8)));
        }
        return futures;
    }

    /** The future's result is the log entry holding {@code payload}: its id, time tick and vchannel. */
    void assertResultIsTheEntryOf(CompletableFuture<Appended> f, String payload) throws Exception {
        Appended a = done(f);
        ImmutableMessageProto stored = cluster.log("p-1").get((int) a.id().minor());
        assertThat(stored.getMessage().getPayload().toStringUtf8()).as("the entry %s names", a.id()).isEqualTo(payload);
        assertThat(a.id()).isEqualTo(MessageIds.fromProto(stored.getId()));
        assertThat(a.timeTick()).isEqualTo(stored.getMessage().getTimeTick());
        assertThat(a.vchannel()).isEqualTo("p-1_v");
        assertThat(a.txnId()).isZero();
        assertThat(a.flushedSegmentIds()).isEmpty();
    }

    /** The request id each payload was last sent with to {@code node}. */
    static Map<String, Long> requestIds(FakeStreamingNode node) {
        return node.received().stream().collect(Collectors.toMap(AppendTest::payload, ProduceMessage::getRequestId,
                (a, b) -> b));
    }

    static MessageIdProto id(long major, long minor) {
        return MessageIdProto.newBuilder().setMajor(major).setMinor(minor).build();
    }

    @Test
    void theProduceStreamOpensAcceptingRanges() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        client(b -> { });
        done(client.appendRaw("p-1_v", "x".getBytes(UTF_8)));
        assertThat(nodeA.produceOpenRequests()).singleElement().satisfies(o -> {
            assertThat(o.getPchannel()).isEqualTo("p-1");
            assertThat(o.getAcceptsRanges()).isTrue();
        });
    }

    @Test
    void rangesCompleteEachAppendWithItsDecodedIdTimeTickAndTheRangesLastConfirmedId() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        nodeA.packing(Packing.RANGES, seeds.random());
        nodeA.holdResults(true);
        client(b -> { });
        List<CompletableFuture<Appended>> futures = appendMany("m", 500);
        Await.until("500 appends are held", () -> nodeA.heldCount() == 500);
        nodeA.releaseHeld(IntStream.range(0, 500).boxed().toList()); // in order: long runs

        Map<String, Long> ids = requestIds(nodeA);
        for (int i = 0; i < futures.size(); i++) {
            assertResultIsTheEntryOf(futures.get(i), "m" + i);
            MessageIdProto reported = nodeA.rangeLastConfirmed(ids.get("m" + i));
            assertThat(reported).as("m%d was acknowledged in a range", i).isNotNull();
            assertThat(done(futures.get(i)).lastConfirmedId()).isEqualTo(MessageIds.fromProto(reported));
        }
        assertThat(nodeA.rangesSent()).as("ranges").isBetween(1L, 499L);
    }

    @Test
    void rangesBrokenByOutOfOrderResultsAndErrorsInOtherResponsesCompleteTheAppendsTheyBelongTo() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        nodeA.packing(Packing.RANGES, seeds.random());
        nodeA.rejectWith(m -> payload(m).endsWith("7") ? FakeErrors.error(ErrorCode.INVALID_ARGUMENT, "no sevens") : null);
        nodeA.holdResults(true);
        client(b -> { });
        List<CompletableFuture<Appended>> futures = appendMany("m", 400);
        Await.until("the appends without a 7 are held", () -> nodeA.heldCount() == 360);
        List<Integer> order = new ArrayList<>(IntStream.range(0, 360).boxed().toList());
        // swap a few neighbours: runs break where the order does, and the rest come as ranges
        java.util.Random random = seeds.random();
        for (int k = 0; k < 40; k++) {
            int i = random.nextInt(359);
            Collections.swap(order, i, i + 1);
        }
        nodeA.releaseHeld(order);

        for (int i = 0; i < futures.size(); i++) {
            if (("m" + i).endsWith("7")) {
                StreamingException e = failure(futures.get(i));
                assertThat(e.code()).as("m%d", i).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                assertThat(e.detail()).isEqualTo("no sevens");
            } else {
                assertResultIsTheEntryOf(futures.get(i), "m" + i);
            }
        }
        assertThat(nodeA.rangesSent()).isPositive();
    }

    @Test
    void oneResponseMixingRangesPerRequestResultsAndAnErrorCompletesEachAppendFromItsOwnPart() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        nodeA.holdResults(true);
        client(b -> { });
        List<CompletableFuture<Appended>> futures = appendMany("m", 6);
        Await.until("six appends are held", () -> nodeA.heldCount() == 6);
        long first = requestIds(nodeA).get("m0");

        nodeA.sendToProducers(ProduceResponse.newBuilder().setResults(ProduceResults.newBuilder()
                .addResults(io.tidelog.proto.ProduceResult.newBuilder().setRequestId(first + 3)
                        .setAppended(io.tidelog.proto.AppendResultProto.newBuilder().setId(id(0, 13))
                                .setTimeTick(1003).setLastConfirmedId(id(0, 9))))
                .addAppended(range(first + 4, 14, 2))
                .addResults(io.tidelog.proto.ProduceResult.newBuilder().setRequestId(first + 2)
                        .setError(FakeErrors.error(ErrorCode.INVALID_ARGUMENT, "not this one")))
                .addAppended(range(first, 10, 2)))
                .build());

        assertThat(done(futures.get(0)).id()).isEqualTo(MessageId.of(0, 10));
        assertThat(done(futures.get(1)).id()).isEqualTo(MessageId.of(0, 11));
        assertThat(done(futures.get(1)).timeTick()).isEqualTo(2);
        assertThat(failure(futures.get(2)).detail()).isEqualTo("not this one");
        assertThat(done(futures.get(3)).id()).isEqualTo(MessageId.of(0, 13));
        assertThat(done(futures.get(3)).lastConfirmedId()).isEqualTo(MessageId.of(0, 9));
        assertThat(done(futures.get(4)).id()).isEqualTo(MessageId.of(0, 14));
        assertThat(done(futures.get(5)).id()).isEqualTo(MessageId.of(0, 15));
        assertThat(done(futures.get(5)).lastConfirmedId()).isEqualTo(MessageId.of(0, 0));
    }

    @Test
    void aRangeCoveringAppendsThatTimedOutCompletesOnlyTheOthersAndNoneTwice() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        nodeA.packing(Packing.RANGES, seeds.random());
        nodeA.holdResults(true);
        client(b -> b.appendTimeout(Duration.ofSeconds(1)));
        List<CompletableFuture<Appended>> early = appendMany("early", 5);
        for (CompletableFuture<Appended> f : early) {
            StreamingException e = failure(f);
            assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
            assertThat(e.getMessage()).contains("outcome unknown");
        }
        List<CompletableFuture<Appended>> late = appendMany("late", 3);
        Await.until("all eight are held", () -> nodeA.heldCount() == 8);
        nodeA.packing(Packing.RANGES, new OneChunk()); // one response: a single range over all eight requests
        nodeA.holdResults(false);
        nodeA.releaseHeld(IntStream.range(0, 8).boxed().toList());

        for (int i = 0; i < 3; i++) {
            assertResultIsTheEntryOf(late.get(i), "late" + i);
        }
        assertThat(nodeA.rangesSent()).isEqualTo(1);
        for (CompletableFuture<Appended> f : early) {
            assertThat(failure(f).code()).as("still the timeout").isEqualTo(ErrorCode.TIMEOUT);
        }
        assertResultIsTheEntryOf(client.appendRaw("p-1_v", "after".getBytes(UTF_8)), "after"); // the stream still works
    }

    @Test
    void aRangeNamingRequestsNeverSentOrAlreadyAnsweredIsIgnored() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        client(b -> { });
        done(client.appendRaw("p-1_v", "first".getBytes(UTF_8)));
        nodeA.holdResults(true);
        CompletableFuture<Appended> held = client.appendRaw("p-1_v", "held".getBytes(UTF_8));
        Await.until("the append is held", () -> nodeA.heldCount() == 1);
        long heldId = requestIds(nodeA).get("held");
        long firstId = requestIds(nodeA).get("first");

        nodeA.sendToProducers(ProduceResponse.newBuilder().setResults(ProduceResults.newBuilder()
                .addAppended(range(firstId, 0, 1)) // answered already
                .addAppended(range(heldId + 1, 0, 5)) // never sent
                .addAppended(range(heldId - 1000, 0, 2))) // long before
                .build());
        assertThat(held).as("no range named it").isNotDone();

        nodeA.holdResults(false);
        nodeA.releaseHeld(List.of(0));
        assertResultIsTheEntryOf(held, "held");
    }

    @Test
    void aMalformedRangeFailsTheAppendsItNamesWithInnerAndLeavesTheOthers() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        nodeA.holdResults(true);
        client(b -> { });
        List<CompletableFuture<Appended>> futures = appendMany("m", 4);
        Await.until("four appends are held", () -> nodeA.heldCount() == 4);
        Map<String, Long> ids = requestIds(nodeA);

        nodeA.sendToProducers(ProduceResponse.newBuilder().setResults(ProduceResults.newBuilder()
                .addAppended(AppendedRange.newBuilder().setFirstRequestId(ids.get("m0"))
                        .setLastConfirmedId(id(0, 1))
                        .addIdMajorDelta(0).addIdMajorDelta(0)
                        .addIdMinorDelta(5).addIdMinorDelta(1)
                        .addTimeTickDelta(100))) // one time tick for two appends
                .build());
        for (int i = 0; i < 2; i++) {
            StreamingException e = failure(futures.get(i));
            assertThat(e.code()).isEqualTo(ErrorCode.INNER);
            assertThat(e.getMessage()).contains("malformed");
        }
        assertThat(futures.get(2)).isNotDone();
        nodeA.sendToProducers(ProduceResponse.newBuilder().setResults(ProduceResults.newBuilder()
                .addAppended(AppendedRange.newBuilder().setFirstRequestId(ids.get("m2"))
                        .setLastConfirmedId(id(0, 1))
                        .addIdMajorDelta(0).addIdMinorDelta(-3) // a negative id
                        .addTimeTickDelta(7)))
                .build());
        assertThat(failure(futures.get(2)).code()).isEqualTo(ErrorCode.INNER);
        assertThat(futures.get(3)).isNotDone();
    }

    @Test
    void aHandCraftedRangeDecodesItsDeltasFromZero() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        nodeA.holdResults(true);
        client(b -> { });
        List<CompletableFuture<Appended>> futures = appendMany("m", 4);
        Await.until("four appends are held", () -> nodeA.heldCount() == 4);
        long first = requestIds(nodeA).get("m0");

        nodeA.sendToProducers(ProduceResponse.newBuilder().setResults(ProduceResults.newBuilder()
                .addAppended(AppendedRange.newBuilder().setFirstRequestId(first)
                        .setLastConfirmedId(id(3, 40))
                        .addIdMajorDelta(3).addIdMajorDelta(0).addIdMajorDelta(1).addIdMajorDelta(0)
                        .addIdMinorDelta(42).addIdMinorDelta(1).addIdMinorDelta(-43).addIdMinorDelta(7)
                        .addTimeTickDelta(1_000_000L << 18).addTimeTickDelta(1).addTimeTickDelta(5).addTimeTickDelta(1)))
                .build());
        List<MessageId> expectedIds = List.of(MessageId.of(3, 42), MessageId.of(3, 43), MessageId.of(4, 0), MessageId.of(4, 7));
        long t0 = 1_000_000L << 18;
        List<Long> expectedTicks = List.of(t0, t0 + 1, t0 + 6, t0 + 7);
        for (int i = 0; i < 4; i++) {
            Appended a = done(futures.get(i));
            assertThat(a.id()).as("m%d", i).isEqualTo(expectedIds.get(i));
            assertThat(a.timeTick()).isEqualTo(expectedTicks.get(i));
            assertThat(a.lastConfirmedId()).isEqualTo(MessageId.of(3, 40));
        }
    }

    @Test
    void aRangeOnTheOldOwnersStreamAfterAHandOverIsIgnored() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        nodeA.holdResults(true);
        nodeB.packing(Packing.RANGES, seeds.random());
        client(b -> b.idempotentAppends(true));
        List<CompletableFuture<Appended>> futures = appendMany("k", 6);
        Await.until("six appends are in flight on node-a", () -> nodeA.heldCount() == 6);

        cluster.assign("p-1", 2, "node-b"); // a newer term: the keyed appends go to node-b at once
        for (int i = 0; i < 6; i++) {
            Appended a = done(futures.get(i));
            assertThat(cluster.log("p-1").get((int) a.id().minor()).getMessage().getTerm()).isEqualTo(2);
        }
        List<Appended> before = futures.stream().map(CompletableFuture::join).toList();
        nodeA.packing(Packing.RANGES, seeds.random());
        nodeA.holdResults(false);
        nodeA.releaseHeld(IntStream.range(0, 6).boxed().toList()); // too late, and on a stream the client left
        assertThat(futures.stream().map(CompletableFuture::join).toList()).isEqualTo(before);
        assertThat(done(client.appendRaw("p-1_v", "after".getBytes(UTF_8))).id().minor())
                .isEqualTo(cluster.log("p-1").size() - 1);
    }

    static AppendedRange range(long firstRequestId, long firstMinor, int count) {
        AppendedRange.Builder b = AppendedRange.newBuilder().setFirstRequestId(firstRequestId).setLastConfirmedId(id(0, 0));
        for (int i = 0; i < count; i++) {
            b.addIdMajorDelta(0).addIdMinorDelta(i == 0 ? firstMinor : 1).addTimeTickDelta(1);
        }
        return b.build();
    }

    /** Makes {@link Packing#RANGES} send all results of a release in one response. */
    static final class OneChunk extends java.util.Random {
        @Override
        public int nextInt(int bound) {
            return bound - 1;
        }
    }
}
