package io.tidelog.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.testing.Await;
import io.tidelog.client.testing.FakeCluster;
import io.tidelog.client.testing.FakeLog;
import io.tidelog.client.testing.FakeStreamingNode;
import io.tidelog.testing.Seeds;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MessageIds;
import io.tidelog.message.MutableMessage;
import io.tidelog.proto.ConsumeRequest;
import io.tidelog.proto.DeliverPolicyProto;
import io.tidelog.proto.ImmutableMessageProto;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.ReportAssignmentErrorRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ConsumerTest {
    static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    final Seeds seeds = new Seeds();

    final FakeCluster cluster = FakeCluster.start("node-a", "node-b");
    final FakeStreamingNode nodeA = cluster.node("node-a");
    final FakeStreamingNode nodeB = cluster.node("node-b");
    final FakeLog log = cluster.log("p-1");
    final StreamingClient client = cluster.clientBuilder().build();

    @AfterEach
    void close() {
        client.close();
        cluster.close();
    }

    /** Appends a RAW message straight into the log, as the node at {@code term} would. */
    ImmutableMessageProto write(String vchannel, String payload, long term) {
        return log.append(MutableMessage.builder(MessageType.RAW, vchannel).payload(payload.getBytes(UTF_8)).build()
                .envelope(), term);
    }

    static ImmutableMessage next(ResumableConsumer c) {
        ImmutableMessage m = c.poll(WAIT);
        assertThat(m).as("a message within " + WAIT).isNotNull();
        return m;
    }

    static String text(ImmutableMessage m) {
        return m.payload().toStringUtf8();
    }

    @Test
    void aVchannelConsumerSeesOnlyItsMessagesInOrderAndNoTimeTicks() {
        cluster.assign("p-1", 1, "node-a");
        write("p-1_a", "a0", 1);
        write("p-1_b", "b0", 1);
        nodeA.tick("p-1");
        write("p-1_a", "a1", 1);
        try (ResumableConsumer c = client.consumer(ConsumerOptions.vchannel("p-1_a"))) {
            assertThat(text(next(c))).isEqualTo("a0");
            assertThat(text(next(c))).isEqualTo("a1");
            nodeA.tick("p-1");
            write("p-1_a", "a2", 1);
            ImmutableMessage a2 = next(c);
            assertThat(text(a2)).isEqualTo("a2");
            assertThat(a2.type()).isEqualTo(MessageType.RAW);
            assertThat(a2.vchannel()).isEqualTo("p-1_a");
        }
        ConsumeRequest asked = nodeA.consumeRequests().get(0);
        assertThat(asked.getVchannel()).isEqualTo("p-1_a");
        assertThat(asked.getPolicy().hasAll()).isTrue();
        assertThat(asked.getTerm()).isEqualTo(1);
    }

    @Test
    void timeTicksAreDeliveredWhenAsked() {
        cluster.assign("p-1", 1, "node-a");
        write("p-1_a", "a0", 1);
        nodeA.tick("p-1");
        try (ResumableConsumer c = client.consumer(ConsumerOptions.vchannel("p-1_a").withTimeTicks(true))) {
            ImmutableMessage first = next(c);
            assertThat(first.type()).isEqualTo(MessageType.TIME_TICK);
            assertThat(first.vchannel()).isEqualTo("p-1");
            assertThat(first.lastConfirmedId()).as("a term's first TimeTick confirms itself").isNull();
            assertThat(text(next(c))).isEqualTo("a0");
            assertThat(next(c).type()).isEqualTo(MessageType.TIME_TICK);
        }
    }

    @Test
    void aTypeFilterStillAsksTheServerForTimeTicksAndHidesThem() {
        cluster.assign("p-1", 1, "node-a");
        write("p-1_a", "a0", 1);
        nodeA.tick("p-1");
        write("p-1_a", "a1", 1);
        try (ResumableConsumer c = client.consumer(ConsumerOptions.vchannel("p-1_a").withTypes(Set.of(MessageType.RAW)))) {
            assertThat(text(next(c))).isEqualTo("a0");
            assertThat(text(next(c))).isEqualTo("a1");
        }
        assertThat(nodeA.consumeRequests().get(0).getTypesList())
                .containsExactlyInAnyOrder(MessageType.RAW, MessageType.TIME_TICK);
    }

    @Test
    void resumingAfterBrokenStreamsDeliversEveryMessageOnceAndAsksForStartFromLastConfirmedAfterTheLastTimeTick() {
        Random random = seeds.random();
        cluster.assign("p-1", 1, "node-a");
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            int kind = random.nextInt(10);
            if (kind < 2) {
                nodeA.tick("p-1");
            } else if (kind < 6) {
                write("p-1_other", "o" + i, 1);
            } else {
                write("p-1_a", "a" + i, 1);
                expected.add("a" + i);
            }
        }
        List<String> delivered = new ArrayList<>();
        try (ResumableConsumer c = client.consumer(ConsumerOptions.vchannel("p-1_a").withBufferSize(8))) {
            int untilBreak = 1 + random.nextInt(20);
            while (delivered.size() < expected.size()) {
                delivered.add(text(next(c)));
                if (--untilBreak == 0) {
                    nodeA.breakStreams();
                    untilBreak = 1 + random.nextInt(20);
                }
            }
            assertThat(c.poll(Duration.ZERO)).isNull();
        }
        assertThat(delivered).as("no gap, no duplicate").isEqualTo(expected);

        List<ConsumeRequest> requests = nodeA.consumeRequests();
        assertThat(requests.size()).isGreaterThan(1);
        for (ConsumeRequest r : requests.subList(1, requests.size())) {
            assertResumesAfterAMessageOfTheLog(r);
        }
    }

    /** START_FROM(M.lastConfirmed, or M.id for a term's first TimeTick) with time_tick_gt = M.timeTick, for some M. */
    void assertResumesAfterAMessageOfTheLog(ConsumeRequest r) {
        assertThat(r.getPolicy().getPolicyCase()).isEqualTo(DeliverPolicyProto.PolicyCase.START_FROM);
        ImmutableMessageProto m = log.messages().stream()
                .filter(x -> x.getMessage().getTimeTick() == r.getTimeTickGt())
                .findFirst().orElseThrow(() -> new AssertionError("time_tick_gt " + r.getTimeTickGt()
                        + " is no message's time tick"));
        assertThat(r.getPolicy().getStartFrom()).isEqualTo(m.getMessage().hasLastConfirmedId()
                ? m.getMessage().getLastConfirmedId() : m.getId());
    }

    @Test
    void aConsumerFollowsItsPchannelToAnotherNodeWithNoGapAndNoDuplicate() {
        cluster.assign("p-1", 1, "node-a");
        write("p-1_a", "a0", 1);
        write("p-1_a", "a1", 1);
        try (ResumableConsumer c = client.consumer(ConsumerOptions.vchannel("p-1_a").withTimeTicks(true))) {
            assertThat(next(c).type()).isEqualTo(MessageType.TIME_TICK);
            assertThat(text(next(c))).isEqualTo("a0");
            assertThat(text(next(c))).isEqualTo("a1");

            cluster.assign("p-1", 2, "node-b");
            ImmutableMessage firstTickOfTerm2 = next(c);
            assertThat(firstTickOfTerm2.type()).isEqualTo(MessageType.TIME_TICK);
            assertThat(firstTickOfTerm2.term()).isEqualTo(2);
            Await.until("the consumer reads from node-b", () -> nodeB.consumeRequests().size() == 1);
            nodeB.breakStreams();
            Await.until("the consumer is back on node-b", () -> nodeB.consumeRequests().size() == 2);
            ConsumeRequest resumed = nodeB.consumeRequests().get(1);
            assertThat(resumed.getPolicy().getStartFrom()).as("a term's first TimeTick confirms itself")
                    .isEqualTo(MessageIds.toProto(firstTickOfTerm2.id()));
            assertThat(resumed.getTimeTickGt()).isEqualTo(firstTickOfTerm2.timeTick());
            write("p-1_a", "a2", 2);
            assertThat(text(next(c))).isEqualTo("a2");
            assertThat(c.poll(Duration.ZERO)).isNull();
        }
        assertThat(nodeB.consumeRequests()).isNotEmpty().allSatisfy(this::assertResumesAfterAMessageOfTheLog);
        assertThat(nodeB.consumeRequests().get(0).getTerm()).isEqualTo(2);
    }

    @Test
    void aConsumerRefusedAsWrongNodeReportsAndWaitsForTheNextAssignment() throws Exception {
        cluster.coordinator().assign("p-1", 1, "node-a", cluster.address("node-a"));
        nodeB.serve("p-1", 2);
        write("p-1_a", "a0", 2);
        try (ResumableConsumer c = client.consumer(ConsumerOptions.vchannel("p-1_a"))) {
            ReportAssignmentErrorRequest report = cluster.coordinator().reports().poll(10, TimeUnit.SECONDS);
            assertThat(report.getPchannel()).isEqualTo("p-1");
            assertThat(report.getError().getCode()).isEqualTo(ErrorCode.CHANNEL_NOT_EXIST.code());
            cluster.coordinator().assign("p-1", 2, "node-b", cluster.address("node-b"));
            assertThat(text(next(c))).isEqualTo("a0");
        }
    }

    @Test
    void aSlowConsumerMakesTheServerWaitInsteadOfBuffering() {
        cluster.assign("p-1", 1, "node-a");
        for (int i = 0; i < 500; i++) {
            write("p-1_a", "a" + i, 1);
        }
        int bufferSize = 16;
        try (ResumableConsumer c = client.consumer(ConsumerOptions.vchannel("p-1_a").withBufferSize(bufferSize))) {
            Await.until("the server stalls on flow control", () -> nodeA.consumeStalls() > 0);
            // The term's first TimeTick is hidden and asked for again: one more than the buffer.
            assertThat(nodeA.consumeSent()).isLessThanOrEqualTo(bufferSize + 1);
            Await.until("the buffer fills", () -> c.buffered() == bufferSize);

            for (int i = 0; i < 10; i++) {
                assertThat(text(next(c))).isEqualTo("a" + i);
            }
            Await.until("the server refills the buffer", () -> c.buffered() == bufferSize);
            assertThat(nodeA.consumeSent()).isLessThanOrEqualTo(bufferSize + 1 + 10);
            assertThat(c.buffered()).isLessThanOrEqualTo(bufferSize);

            for (int i = 10; i < 500; i++) {
                assertThat(text(next(c))).isEqualTo("a" + i);
                assertThat(c.buffered()).isLessThanOrEqualTo(bufferSize);
            }
        }
    }

    @Test
    void aNonRetriableFailureEndsTheConsumerWithItsCode() {
        cluster.assign("p-1", 1, "node-a");
        nodeA.failConsumes(ErrorCode.OUT_OF_RANGE, "position 0:0 was truncated");
        try (ResumableConsumer c = client.consumer(ConsumerOptions.vchannel("p-1_a"))) {
            assertThatThrownBy(() -> c.poll(WAIT)).isInstanceOfSatisfying(StreamingException.class, e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.OUT_OF_RANGE);
                assertThat(e.detail()).isEqualTo("position 0:0 was truncated");
            });
        }
    }

    @Test
    void aConsumerStartsAtTheGivenPosition() {
        cluster.assign("p-1", 1, "node-a");
        write("p-1_a", "a0", 1);
        ImmutableMessageProto a1 = write("p-1_a", "a1", 1);
        write("p-1_a", "a2", 1);
        MessageId id = MessageIds.fromProto(a1.getId());
        try (ResumableConsumer from = client.consumer(ConsumerOptions.vchannel("p-1_a").withStart(StartPosition.from(id)));
                ResumableConsumer after = client.consumer(ConsumerOptions.vchannel("p-1_a").withStart(StartPosition.after(id)));
                ResumableConsumer latest = client.consumer(ConsumerOptions.vchannel("p-1_a").withStart(StartPosition.latest()))) {
            assertThat(text(next(from))).isEqualTo("a1");
            assertThat(text(next(after))).isEqualTo("a2");
            Await.until("the latest consumer started", () -> nodeA.consumeRequests().size() == 3);
            write("p-1_a", "a3", 1);
            assertThat(text(next(latest))).isEqualTo("a3");
        }
    }

    @Test
    void pollAfterCloseThrowsOnShutdown() {
        ResumableConsumer c = client.consumer(ConsumerOptions.vchannel("p-1_a"));
        c.close();
        assertThatThrownBy(() -> c.poll(Duration.ZERO)).isInstanceOfSatisfying(StreamingException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.ON_SHUTDOWN));
    }
}
