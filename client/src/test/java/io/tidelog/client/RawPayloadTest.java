package io.tidelog.client;

import static io.tidelog.client.AppendTest.done;
import static io.tidelog.client.AppendTest.failure;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.client.testing.FakeCluster;
import io.tidelog.client.testing.FakeStreamingNode;
import io.tidelog.common.ErrorCode;
import io.tidelog.message.MessageLimits;
import io.tidelog.message.MutableMessage;
import io.tidelog.proto.MessageEnvelope;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.ProduceMessage;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Raw payloads are wrapped, not copied: the bytes sent are the caller's array (or buffer) as it is when the append
 * is sent. The API asks callers not to change them until the append completes; these tests change them on purpose
 * to see that no copy was made.
 */
class RawPayloadTest {
    final FakeCluster cluster = FakeCluster.start("node-a");
    final FakeStreamingNode nodeA = cluster.node("node-a");
    StreamingClient client;

    @AfterEach
    void close() {
        cluster.close();
    }

    StreamingClient client(Consumer<StreamingClient.Builder> options) {
        client = cluster.client(options);
        return client;
    }

    MessageEnvelope receivedEnvelope() throws Exception {
        ProduceMessage m = nodeA.received().poll(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(m).as("a message arrived").isNotNull();
        return m.getMessage();
    }

    @Test
    void appendRawSendsTheCallersArrayNotACopyOfIt() throws Exception {
        client(b -> { });
        byte[] payload = "before".getBytes(UTF_8);
        CompletableFuture<Appended> f = client.appendRaw("p-1_v", payload); // queued: no assignment yet
        System.arraycopy("AFTER!".getBytes(UTF_8), 0, payload, 0, payload.length);
        cluster.assign("p-1", 1, "node-a");
        done(f);
        assertThat(receivedEnvelope().getPayload().toStringUtf8()).isEqualTo("AFTER!");
    }

    @Test
    void aTransactionsRawAppendSendsTheCallersArrayNotACopyOfIt() throws Exception {
        client(b -> { });
        Txn txn = client.txn("p-1_v");
        byte[] payload = "before".getBytes(UTF_8);
        CompletableFuture<Appended> f = txn.appendRaw(payload); // waits for the begin, which waits for an assignment
        System.arraycopy("AFTER!".getBytes(UTF_8), 0, payload, 0, payload.length);
        cluster.assign("p-1", 1, "node-a");
        done(f);
        done(txn.commit());
        assertThat(nodeA.received().stream().filter(m -> m.getMessage().getType() == MessageType.RAW)
                .map(m -> m.getMessage().getPayload().toStringUtf8())).containsExactly("AFTER!");
    }

    @Test
    void aByteBufferSendsItsRemainingBytesAndKeepsItsPosition() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        client(b -> { });
        ByteBuffer heap = ByteBuffer.wrap("xxpayloadyy".getBytes(UTF_8));
        heap.position(2).limit(9);
        done(client.appendRaw("p-1_v", heap));
        assertThat(heap.position()).isEqualTo(2);
        assertThat(heap.remaining()).isEqualTo(7);
        assertThat(receivedEnvelope().getPayload().toStringUtf8()).isEqualTo("payload");

        ByteBuffer direct = ByteBuffer.allocateDirect(16);
        direct.put("direct".getBytes(UTF_8)).flip();
        done(client.appendRaw("p-1_v", direct, Map.of("k", "v")));
        MessageEnvelope e = receivedEnvelope();
        assertThat(e.getPayload().toStringUtf8()).isEqualTo("direct");
        assertThat(e.getPropertiesMap()).containsExactly(Map.entry("k", "v"));
        assertThat(direct.position()).isZero();

        done(client.appendRaw("p-1_v", ByteBuffer.wrap("read-only".getBytes(UTF_8)).asReadOnlyBuffer()));
        assertThat(receivedEnvelope().getPayload().toStringUtf8()).isEqualTo("read-only");
    }

    @Test
    void aRawAppendSendsTheEnvelopeTheMessageBuilderMakes() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        client(b -> { });
        byte[] payload = "same".getBytes(UTF_8);
        done(client.appendRaw("p-1_v", payload));
        done(client.appendRaw("p-1_v", payload)); // the vchannel is known now: the name is not checked again
        MessageEnvelope built = MutableMessage.builder(MessageType.RAW, "p-1_v").payload(payload).build().envelope();
        assertThat(receivedEnvelope()).isEqualTo(built);
        assertThat(receivedEnvelope()).isEqualTo(built);
    }

    @Test
    void rawAppendsWithKeysPropertiesBadNamesAndOversizePayloadsBehaveAsBefore() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        client(b -> b.idempotentAppends(true).messageLimits(new MessageLimits(1024)));
        done(client.appendRaw("p-1_v", "keyed".getBytes(UTF_8)));
        done(client.appendRaw("p-1_v", "keyed".getBytes(UTF_8), Map.of("k", "v")));
        MessageEnvelope first = receivedEnvelope();
        MessageEnvelope second = receivedEnvelope();
        assertThat(first.getIdempotencyKey()).isNotEmpty();
        assertThat(second.getIdempotencyKey()).isNotEmpty().isNotEqualTo(first.getIdempotencyKey());
        assertThat(second.getPropertiesMap()).containsExactly(Map.entry("k", "v"));

        for (String bad : new String[] {"no-underscore", "p-1_", "", null}) {
            assertThat(failure(client.appendRaw(bad, new byte[1])).code()).as("vchannel %s", bad)
                    .isEqualTo(ErrorCode.INVALID_ARGUMENT);
        }
        assertThat(failure(client.appendRaw("p-1_v", new byte[1], Map.of("_reserved", "x"))).code())
                .isEqualTo(ErrorCode.INVALID_ARGUMENT);
        for (CompletableFuture<Appended> tooLarge : java.util.List.of(client.appendRaw("p-1_v", new byte[2000]),
                client.appendRaw("p-1_v", ByteBuffer.allocate(2000)))) {
            assertThat(failure(tooLarge).getMessage()).contains("exceeds the maximum message size of 1024 bytes");
        }
        assertThat(nodeA.received()).isEmpty();
    }
}
