package io.tidelog.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.client.testing.Await;
import io.tidelog.client.testing.FakeCluster;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The default transport (plaintext HTTP/2 over grpc-netty-shaded) against servers on localhost ports. */
class TcpTransportTest {

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
