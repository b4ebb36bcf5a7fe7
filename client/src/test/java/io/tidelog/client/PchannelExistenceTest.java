package io.tidelog.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.client.testing.FakeCluster;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.testing.Await;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A pchannel the cluster does not have is {@code NOT_FOUND} as soon as an assignment snapshot (which lists every
 * pchannel) says so; one that exists but has no node waits; before the first snapshot nothing is known.
 */
class PchannelExistenceTest {
    /** Far below the fake cluster's append timeout (10 s): a NOT_FOUND must come long before it. */
    static final Duration AT_ONCE = Duration.ofSeconds(3);

    final FakeCluster cluster = FakeCluster.start("node-a");
    final StreamingClient client = cluster.clientBuilder().build();

    @AfterEach
    void close() {
        client.close();
        cluster.close();
    }

    static StreamingException failure(CompletableFuture<?> f) throws Exception {
        try {
            f.get(AT_ONCE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return StreamingException.from(e.getCause());
        }
        throw new AssertionError("the future succeeded");
    }

    @Test
    void anAppendToAPchannelTheClusterDoesNotHaveFailsWithNotFoundAtOnceAndSendsNothing() throws Exception {
        cluster.coordinator().declarePchannels("p-0", "p-1", "p-2", "p-10");
        cluster.assign("p-1", 1, "node-a");
        client.appendRawBlocking("p-1_x", "exists".getBytes(UTF_8));

        StreamingException e = failure(client.appendRaw("p-99_x", "nowhere".getBytes(UTF_8)));

        assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND);
        assertThat(e.isRetriable()).isFalse();
        assertThat(e.getMessage()).contains("pchannel p-99 does not exist", "has 4 pchannels, p-0 to p-10");
        assertThat(cluster.node("node-a").received()).hasSize(1);
    }

    @Test
    void appendsMadeBeforeTheFirstSnapshotFailWithNotFoundWhenItArrives() throws Exception {
        cluster.coordinator().silence();
        try (StreamingClient early = cluster.clientBuilder().build()) {
            CompletableFuture<Appended> a = early.appendRaw("p-99_x", "a".getBytes(UTF_8));
            CompletableFuture<Appended> b = early.appendRaw("p-99_x", "b".getBytes(UTF_8));
            assertThat(a).as("nothing is known before the first snapshot").isNotDone();

            cluster.coordinator().declarePchannels("p-0", "p-1");
            cluster.coordinator().speak();

            assertThat(failure(a).code()).isEqualTo(ErrorCode.NOT_FOUND);
            assertThat(failure(b).code()).isEqualTo(ErrorCode.NOT_FOUND);
        }
        assertThat(cluster.node("node-a").received()).isEmpty();
    }

    @Test
    void aPchannelTheClusterHasButNoNodeServesIsWaitedFor() throws Exception {
        cluster.coordinator().declarePchannels("p-0", "p-1");
        CompletableFuture<Appended> f = client.appendRaw("p-1_x", "late".getBytes(UTF_8));
        try (ResumableConsumer c = client.consumer(ConsumerOptions.vchannel("p-1_x"))) {
            Await.until("the consumer says it waits for an assignment",
                    () -> c.notStreamingReason().orElse("").contains("pchannel p-1 has no assignment"));
            assertThat(f).isNotDone();

            cluster.assign("p-1", 1, "node-a");

            assertThat(f.get(AT_ONCE.toMillis(), TimeUnit.MILLISECONDS).vchannel()).isEqualTo("p-1_x");
            assertThat(c.poll(AT_ONCE).payload().toStringUtf8()).isEqualTo("late");
            assertThat(c.notStreamingReason()).isEmpty();
        }
    }

    @Test
    void aConsumerOfAPchannelTheClusterDoesNotHaveFailsWithNotFound() {
        cluster.coordinator().declarePchannels("p-0", "p-1");
        try (ResumableConsumer c = client.consumer(ConsumerOptions.vchannel("p-7_x"))) {
            assertThatThrownBy(() -> c.poll(AT_ONCE))
                    .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND))
                    .hasMessageContaining("pchannel p-7 does not exist");
        }
    }

    @Test
    void aConsumerMadeBeforeTheFirstSnapshotWaitsThenFailsWithNotFound() {
        cluster.coordinator().silence();
        try (StreamingClient early = cluster.clientBuilder().build();
                ResumableConsumer c = early.consumer(ConsumerOptions.vchannel("p-7_x"))) {
            assertThat(c.poll(Duration.ofMillis(50))).isNull();
            assertThat(c.notStreamingReason()).hasValueSatisfying(r -> assertThat(r).contains("has no assignment"));

            cluster.coordinator().declarePchannels("p-0");
            cluster.coordinator().speak();

            assertThatThrownBy(() -> c.poll(AT_ONCE))
                    .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND))
                    .hasMessageContaining("has 1 pchannel, p-0");
        }
    }

    @Test
    void anUnreachableCoordinatorIsNoProofThatAPchannelIsMissing() throws Exception {
        try (StreamingClient lost = cluster.clientBuilder().target("nobody-listens-here:1")
                .appendTimeout(Duration.ofMillis(500)).build();
                ResumableConsumer c = lost.consumer(ConsumerOptions.vchannel("p-1_x"))) {
            Await.until("the consumer says the coordinator cannot be reached", () -> c.notStreamingReason().orElse("")
                    .contains("the assignment watch on the coordinator at nobody-listens-here:1 failed"));
            assertThat(c.poll(Duration.ofMillis(50))).as("it keeps waiting, without failing").isNull();
            StreamingException e = failure(lost.appendRaw("p-1_x", "x".getBytes(UTF_8)));
            assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
            assertThat(e.getMessage()).contains("the assignment watch on the coordinator at nobody-listens-here:1 failed");
        }
    }

    @Test
    void aMalformedTargetIsRejectedWhenTheClientIsBuilt() {
        for (String bad : new String[] {"::bad", "host:notaport", "host:99999", "host"}) {
            assertThatThrownBy(() -> StreamingClient.builder().target(bad)).as(bad)
                    .isInstanceOfSatisfying(StreamingException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
    }
}
