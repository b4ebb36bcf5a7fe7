package io.tidelog.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.testing.Await;
import io.tidelog.client.testing.FakeCluster;
import io.tidelog.client.testing.FakeStreamingNode;
import io.tidelog.client.testing.FakeStreamingNode.Packing;
import io.tidelog.testing.Seeds;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The default transport (plaintext HTTP/2 over grpc-netty-shaded) against servers on localhost ports. */
class TcpTransportTest {
    @RegisterExtension
    final Seeds seeds = new Seeds();

    @Test
    void appendsAndAConsumerCarryOnAcrossARestartOfTheServer() throws Exception {
        try (FakeCluster cluster = FakeCluster.startOnTcp("node-a");
                StreamingClient client = cluster.clientBuilder().build()) {
            cluster.assign("p-1", 1, "node-a");
            client.appendRawBlocking("p-1_v", "before".getBytes(UTF_8));
            try (ResumableConsumer c = client.consumer(ConsumerOptions.vchannel("p-1_v"))) {
                assertThat(c.poll(Duration.ofSeconds(10)).payload().toStringUtf8()).isEqualTo("before");

                cluster.restart("node-a");
                Await.until("the consumer is back", () -> cluster.node("node-a").consumeRequests().size() == 2);
                appendRetryingUnknownOutcomes(client, "after");

                ImmutableMessage after = c.poll(Duration.ofSeconds(10));
                assertThat(after.payload().toStringUtf8()).isEqualTo("after");
                assertThat(c.poll(Duration.ZERO)).isNull();
            }
        }
    }

    @Test
    void batchedAppendsAndBatchedConsumeResponsesKeepTheirOrderAndBoundsOverTcp() throws Exception {
        try (FakeCluster cluster = FakeCluster.startOnTcp("node-a");
                StreamingClient client = cluster.clientBuilder().maxQueuedPerPchannel(5_000).build()) {
            cluster.assign("p-1", 1, "node-a");
            FakeStreamingNode node = cluster.node("node-a");
            node.packing(Packing.MIXED, seeds.random());
            node.consumeBatchMax(500);
            List<CompletableFuture<Appended>> futures = new ArrayList<>();
            for (int i = 0; i < 5_000; i++) {
                futures.add(client.appendRaw("p-1_v", ("m" + i).getBytes(UTF_8)));
            }
            for (int i = 0; i < futures.size(); i++) {
                Appended a = futures.get(i).get(10, TimeUnit.SECONDS);
                assertThat(cluster.log("p-1").get((int) a.id().minor()).getMessage().getPayload().toStringUtf8())
                        .isEqualTo("m" + i);
            }
            int bufferSize = 64;
            try (ResumableConsumer c = client.consumer(ConsumerOptions.vchannel("p-1_v").withBufferSize(bufferSize))) {
                for (int i = 0; i < 5_000; i++) {
                    ImmutableMessage m = c.poll(Duration.ofSeconds(10));
                    assertThat(m).isNotNull();
                    assertThat(m.payload().toStringUtf8()).isEqualTo("m" + i);
                }
                assertThat(c.bufferHighWater()).isLessThanOrEqualTo(bufferSize + 500);
            }
        }
    }

    /** A send racing with the client noticing the broken connection ends "outcome unknown"; with the server down it was not written. */
    static void appendRetryingUnknownOutcomes(StreamingClient client, String payload) {
        for (int attempt = 1; ; attempt++) {
            try {
                client.appendRawBlocking("p-1_v", payload.getBytes(UTF_8));
                return;
            } catch (StreamingException e) {
                if (e.code() != ErrorCode.ON_SHUTDOWN || attempt == 3) {
                    throw e;
                }
            }
        }
    }
}
