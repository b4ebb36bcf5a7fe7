package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tidelog.client.Appended;
import io.tidelog.client.ConsumerOptions;
import io.tidelog.client.ResumableConsumer;
import io.tidelog.client.StartPosition;
import io.tidelog.client.StreamingClient;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MutableMessage;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.ProduceResponse;
import io.tidelog.proto.RawHeader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Idempotent appends end to end: a producer whose connection is cut after the node appended but
 * before the acknowledgement arrived retries, and the vchannel holds the message once; after a
 * restart inside the dedup window, a retry is still recognised.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class IdempotentAppendTest {
    @TempDir
    Path dir;

    /** Cuts the first produce stream on its first acknowledgement: the append is durable, the client never hears of it. */
    static final class CutFirstAck implements ClientInterceptor {
        final AtomicInteger cuts = new AtomicInteger();

        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            ClientCall<Q, R> call = next.newCall(method, options);
            if (!method.getFullMethodName().endsWith("/Produce")) {
                return call;
            }
            return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
                @Override
                public void start(Listener<R> listener, Metadata headers) {
                    super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                        @Override
                        public void onMessage(R message) {
                            ProduceResponse r = (ProduceResponse) message;
                            if ((r.hasResult() || r.hasResults()) && cuts.compareAndSet(0, 1)) {
                                call.cancel("test: connection cut after the append, before the ack", null);
                                return;
                            }
                            super.onMessage(message);
                        }
                    }, headers);
                }
            };
        }
    }

    static MutableMessage keyed(String key) {
        return MutableMessage.builder(MessageType.RAW, "pchannel-0_idem").header(RawHeader.getDefaultInstance())
                .payload(ByteString.copyFromUtf8("exactly once")).idempotencyKey(key).build();
    }

    @Test
    void aRetryAfterACutConnectionWritesOnceAndIsRecognisedAfterARestart() throws Exception {
        int port = StandaloneProcess.freePort();
        Map<String, String> config = Map.of("server.port", Integer.toString(port), "coord.pchannel.count", "2");
        CutFirstAck cutter = new CutFirstAck();
        Appended first;
        try (StandaloneServer server = TestStandalone.start(dir, config);
             StreamingClient client = StreamingClient.builder().target(server.address())
                     .channelBuilders(a -> NettyChannelBuilder.forTarget(a).usePlaintext().intercept(cutter)).build()) {
            first = client.append(keyed("order-42")).get(60, TimeUnit.SECONDS);
            assertThat(cutter.cuts.get()).as("the first acknowledgement was cut off").isEqualTo(1);
            assertThat(payloads(client)).containsExactly("exactly once");
        }
        try (StandaloneServer server = TestStandalone.start(dir, config);
             StreamingClient client = StreamingClient.builder().target(server.address()).build()) {
            Appended retried = client.append(keyed("order-42")).get(60, TimeUnit.SECONDS);
            assertThat(retried.id()).as("the retry after the restart returns the original append").isEqualTo(first.id());
            assertThat(retried.timeTick()).isEqualTo(first.timeTick());
            assertThat(payloads(client)).containsExactly("exactly once");
        }
    }

    @Test
    void aClientWithIdempotentAppendsWritesEachMessageOnceAcrossCutConnections() throws Exception {
        CutFirstAck cutter = new CutFirstAck();
        try (StandaloneServer server = TestStandalone.start(dir, Map.of("server.port", "0", "coord.pchannel.count", "2"));
             StreamingClient client = StreamingClient.builder().target(server.address()).idempotentAppends(true)
                     .channelBuilders(a -> NettyChannelBuilder.forTarget(a).usePlaintext().intercept(cutter)).build()) {
            List<java.util.concurrent.CompletableFuture<Appended>> fs = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                fs.add(client.appendRaw("pchannel-0_idem", ("m" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            }
            for (var f : fs) {
                f.get(60, TimeUnit.SECONDS);
            }
            assertThat(cutter.cuts.get()).isEqualTo(1);
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                expected.add("m" + i);
            }
            assertThat(payloads(client)).containsExactlyElementsOf(expected);
        }
    }

    private static List<String> payloads(StreamingClient client) {
        List<String> out = new ArrayList<>();
        try (ResumableConsumer c = client.consumer(ConsumerOptions.vchannel("pchannel-0_idem")
                .withStart(StartPosition.earliest()).withTypes(Set.of(MessageType.RAW)))) {
            ImmutableMessage m;
            while ((m = c.poll(Duration.ofMillis(1500))) != null) {
                out.add(m.payload().toStringUtf8());
            }
        }
        return out;
    }
}
