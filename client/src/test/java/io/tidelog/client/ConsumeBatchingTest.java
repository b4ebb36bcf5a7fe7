package io.tidelog.client;

import static io.tidelog.client.ConsumerTest.next;
import static io.tidelog.client.ConsumerTest.text;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.testing.Await;
import io.tidelog.client.testing.FakeCluster;
import io.tidelog.client.testing.FakeLog;
import io.tidelog.client.testing.FakeStreamingNode;
import io.tidelog.client.testing.FakeStreamingNode.Packing;
import io.tidelog.testing.Seeds;
import io.tidelog.message.MutableMessage;
import io.tidelog.proto.MessageType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Consumers read batched responses, and stay bounded in messages, not responses. */
class ConsumeBatchingTest {
    @RegisterExtension
    final Seeds seeds = new Seeds();

    final FakeCluster cluster = FakeCluster.start("node-a");
    final FakeStreamingNode nodeA = cluster.node("node-a");
    final FakeLog log = cluster.log("p-1");
    final StreamingClient client = cluster.clientBuilder().build();

    @AfterEach
    void close() {
        client.close();
        cluster.close();
    }

    void write(String vchannel, String payload) {
        log.append(MutableMessage.builder(MessageType.RAW, vchannel).payload(payload.getBytes(UTF_8)).build()
                .envelope(), 1);
    }

    @Test
    void aSlowConsumerOfBatchesOfAThousandNeverBuffersMoreThanTheBufferSizePlusOneBatch() {
        cluster.assign("p-1", 1, "node-a");
        nodeA.packing(Packing.BATCHES, seeds.random());
        nodeA.consumeBatchMax(1_000);
        for (int i = 0; i < 5_000; i++) {
            write("p-1_a", "a" + i);
        }
        int bufferSize = 16;
        int bound = bufferSize + 1_000;
        try (ResumableConsumer c = client.consumer(ConsumerOptions.vchannel("p-1_a").withBufferSize(bufferSize))) {
            // The first batch holds the term's first TimeTick (hidden) and 999 messages; nothing more is asked.
            Await.until("the first batch is buffered", () -> c.buffered() == 999);
            Await.until("the server stalls on flow control", () -> nodeA.consumeStalls() > 0);
            assertThat(nodeA.consumeSent()).isEqualTo(1_000);

            for (int i = 0; i < 5_000; i++) {
                assertThat(text(next(c))).isEqualTo("a" + i);
                assertThat(c.buffered()).isLessThanOrEqualTo(bound);
                assertThat(nodeA.consumeSent() - 1 - (i + 1)).as("sent and not yet polled")
                        .isLessThanOrEqualTo(bound);
            }
            assertThat(c.poll(Duration.ZERO)).isNull();
            assertThat(c.bufferHighWater()).as("the most ever buffered")
                    .isGreaterThan(bufferSize).isLessThanOrEqualTo(bound);
            assertThat(nodeA.consumeResponses()).as("batches, not single messages").isLessThan(20);
        }
    }

    @Test
    void aConsumerAsksForMoreOnlyOnceTheBufferDropsBelowItsSize() {
        cluster.assign("p-1", 1, "node-a");
        nodeA.packing(Packing.BATCHES, seeds.random());
        nodeA.consumeBatchMax(10);
        for (int i = 0; i < 100; i++) {
            write("p-1_a", "a" + i);
        }
        int bufferSize = 25;
        try (ResumableConsumer c = client.consumer(ConsumerOptions.vchannel("p-1_a").withBufferSize(bufferSize))) {
            // Batches of 10 (the first holds the hidden TimeTick): 9, 19, 29 buffered; 29 is not below 25.
            Await.until("three batches are buffered", () -> c.buffered() == 29);
            assertThat(nodeA.consumeSent()).isEqualTo(30);
            for (int i = 0; i < 4; i++) {
                assertThat(text(next(c))).isEqualTo("a" + i);
            }
            assertThat(c.buffered()).as("25 buffered: still not below the size").isEqualTo(25);
            assertThat(nodeA.consumeSent()).isEqualTo(30);

            long stalls = nodeA.consumeStalls();
            assertThat(text(next(c))).isEqualTo("a4");
            Await.until("one more batch arrives and the server stalls after it",
                    () -> c.buffered() == 34 && nodeA.consumeStalls() > stalls);
            assertThat(nodeA.consumeSent()).isEqualTo(40);
        }
    }

    @Test
    void singleAndBatchedResponsesMixedDeliverEveryMessageOnceInOrderAcrossBrokenStreams() {
        Random random = seeds.random();
        cluster.assign("p-1", 1, "node-a");
        nodeA.packing(Packing.MIXED, random);
        nodeA.consumeBatchMax(50);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            int kind = random.nextInt(10);
            if (kind < 2) {
                nodeA.tick("p-1");
            } else if (kind < 5) {
                write("p-1_other", "o" + i);
            } else {
                write("p-1_a", "a" + i);
                expected.add("a" + i);
            }
        }
        int bufferSize = 8;
        List<String> delivered = new ArrayList<>();
        try (ResumableConsumer c = client.consumer(ConsumerOptions.vchannel("p-1_a").withBufferSize(bufferSize))) {
            int untilBreak = 1 + random.nextInt(100);
            while (delivered.size() < expected.size()) {
                delivered.add(text(next(c)));
                if (--untilBreak == 0) {
                    nodeA.breakStreams();
                    untilBreak = 1 + random.nextInt(100);
                }
            }
            assertThat(c.poll(Duration.ZERO)).isNull();
            assertThat(c.bufferHighWater()).isLessThanOrEqualTo(bufferSize + 50);
        }
        assertThat(delivered).as("no gap, no duplicate").isEqualTo(expected);
        assertThat(nodeA.consumeRequests().size()).isGreaterThan(1);
    }
}
