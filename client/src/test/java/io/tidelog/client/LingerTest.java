package io.tidelog.client;

import static io.tidelog.client.AppendTest.done;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.client.testing.FakeCluster;
import io.tidelog.client.testing.FakeStreamingNode;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code client.linger}: a batch that is not full waits that long for more appends; 0 sends at once. */
class LingerTest {
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

    static long millisSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    @Test
    void withoutLingerEachAppendOnAnIdleStreamIsARequestOfItsOwn() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        client(b -> { });
        for (int i = 0; i < 10; i++) {
            done(client.appendRaw("p-1_v", ("m" + i).getBytes(UTF_8))); // acknowledged: the stream is idle again
        }
        assertThat(nodeA.produceRequestSizes()).containsExactly(1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
    }

    @Test
    void appendsArrivingWithinTheLingerShareOneRequestSentWhenTheOldestHasWaitedTheLinger() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        client(b -> b.linger(Duration.ofSeconds(1)));
        done(client.appendRaw("p-1_v", "open".getBytes(UTF_8))); // opens the stream (and lingers once)
        int before = nodeA.produceRequestSizes().size();

        long start = System.nanoTime();
        List<CompletableFuture<Appended>> futures = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            futures.add(client.appendRaw("p-1_v", ("m" + i).getBytes(UTF_8)));
            Thread.sleep(10);
        }
        assertThat(nodeA.received()).as("nothing sent within the linger").hasSize(1);
        for (CompletableFuture<Appended> f : futures) {
            done(f);
        }
        assertThat(millisSince(start)).as("the first waited the linger").isGreaterThanOrEqualTo(1000);
        List<Integer> sizes = nodeA.produceRequestSizes();
        assertThat(sizes.subList(before, sizes.size())).containsExactly(10);
    }

    @Test
    void aFullBatchGoesWithoutWaitingAndTheRestLingers() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        client(b -> b.linger(Duration.ofSeconds(1)).maxQueuedPerPchannel(2000));
        done(client.appendRaw("p-1_v", "open".getBytes(UTF_8)));
        int before = nodeA.produceRequestSizes().size();

        long start = System.nanoTime();
        List<CompletableFuture<Appended>> futures = new ArrayList<>();
        for (int i = 0; i <= ResumableProducer.MAX_BATCH_MESSAGES; i++) {
            futures.add(client.appendRaw("p-1_v", ("m" + i).getBytes(UTF_8)));
        }
        for (int i = 0; i < ResumableProducer.MAX_BATCH_MESSAGES; i++) {
            done(futures.get(i));
        }
        assertThat(millisSince(start)).as("a full batch does not linger").isLessThan(900);
        assertThat(futures.get(ResumableProducer.MAX_BATCH_MESSAGES)).as("one more lingers").isNotDone();
        done(futures.get(ResumableProducer.MAX_BATCH_MESSAGES));
        assertThat(millisSince(start)).isGreaterThanOrEqualTo(1000);
        List<Integer> sizes = nodeA.produceRequestSizes();
        assertThat(sizes.subList(before, sizes.size())).containsExactly(ResumableProducer.MAX_BATCH_MESSAGES, 1);
    }

    @Test
    void lingerIsValidatedAndReadFromClientDotLinger() {
        StreamingClient.Builder b = StreamingClient.builder().target("localhost:19530");
        assertThat(b.config().linger()).isEqualTo(Duration.ZERO);
        assertThat(b.linger(Duration.ofSeconds(1)).config().linger()).isEqualTo(Duration.ofSeconds(1));
        for (Duration bad : List.of(Duration.ofMillis(-1), Duration.ofMillis(1001), Duration.ofMinutes(1))) {
            assertThatThrownBy(() -> b.linger(bad)).isInstanceOfSatisfying(StreamingException.class, e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                assertThat(e.getMessage()).contains("client.linger").contains("[0, 1000 ms]");
            });
        }
        assertThat(b.config().linger()).as("unchanged by refused values").isEqualTo(Duration.ofSeconds(1));

        assertThat(b.properties(Map.of("client.linger", "5ms", "wal.other", "x")).config().linger())
                .isEqualTo(Duration.ofMillis(5));
        assertThat(b.properties(Map.of("client.linger", "0")).config().linger()).isEqualTo(Duration.ZERO);
        assertThat(b.properties(Map.of()).config().linger()).as("absent: kept").isEqualTo(Duration.ZERO);
        assertThatThrownBy(() -> b.properties(Map.of("client.linger", "2s")))
                .isInstanceOfSatisfying(StreamingException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains("client.linger");
                });
        assertThatThrownBy(() -> b.properties(Map.of("client.lingr", "5ms")))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.getMessage()).contains("client.lingr"));
    }
}
