package io.tidelog.client;

import static io.tidelog.client.AppendTest.done;
import static io.tidelog.client.AppendTest.failure;
import static io.tidelog.client.AppendTest.payload;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.client.testing.FakeCluster;
import io.tidelog.client.testing.FakeStreamingNode;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One timer per pchannel fails the appends that are due, with the codes of a timeout, and no others. */
class DeadlineSweepTest {
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

    /** Completes with the time (nanoTime) the append's future completed, whatever its outcome. */
    static CompletableFuture<Long> whenDone(CompletableFuture<Appended> f) {
        return f.handle((a, e) -> System.nanoTime());
    }

    static long millisBetween(long fromNanos, long toNanos) {
        return TimeUnit.NANOSECONDS.toMillis(toNanos - fromNanos);
    }

    @Test
    void unansweredAppendsFailAtTheirOwnDeadlinesWithTimeoutOutcomeUnknownWhileTheOthersComplete() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        nodeA.holdWhere(m -> payload(m).startsWith("slow"));
        client(b -> b.appendTimeout(Duration.ofMillis(600)));
        done(client.appendRaw("p-1_v", "warm-up".getBytes(UTF_8)));

        long t1 = System.nanoTime();
        CompletableFuture<Appended> slow1 = client.appendRaw("p-1_v", "slow1".getBytes(UTF_8));
        CompletableFuture<Long> slow1Done = whenDone(slow1);
        List<CompletableFuture<Appended>> fast = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            fast.add(client.appendRaw("p-1_v", ("fast" + i).getBytes(UTF_8)));
        }
        for (CompletableFuture<Appended> f : fast) {
            done(f);
        }
        Thread.sleep(300);
        long t2 = System.nanoTime();
        CompletableFuture<Appended> slow2 = client.appendRaw("p-1_v", "slow2".getBytes(UTF_8));
        CompletableFuture<Long> slow2Done = whenDone(slow2);

        for (CompletableFuture<Appended> slow : List.of(slow1, slow2)) {
            StreamingException e = failure(slow);
            assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
            assertThat(e.getMessage()).contains("outcome unknown").contains("not answered within PT0.6S");
        }
        assertThat(millisBetween(t1, slow1Done.get())).as("slow1 failed after its timeout").isGreaterThanOrEqualTo(600);
        assertThat(millisBetween(t2, slow2Done.get())).as("slow2 failed at its own deadline, not slow1's")
                .isGreaterThanOrEqualTo(600);
        assertThat(fast).allMatch(f -> !f.isCompletedExceptionally());

        nodeA.holdWhere(m -> false);
        done(client.appendRaw("p-1_v", "after".getBytes(UTF_8)));
    }

    @Test
    void appendsDueInTheQueueFailAsNotSentAndThoseDueInFlightAsOutcomeUnknown() {
        cluster.assign("p-1", 1, "node-a");
        nodeA.holdResults(true);
        client(b -> b.appendTimeout(Duration.ofMillis(500)).maxInFlightPerPchannel(2));
        List<CompletableFuture<Appended>> futures = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            futures.add(client.appendRaw("p-1_v", ("m" + i).getBytes(UTF_8)));
        }
        List<String> notSent = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            StreamingException e = failure(futures.get(i));
            assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
            if (e.getMessage().contains("not sent within PT0.5S")) {
                assertThat(e.getMessage()).contains("no room (2 in flight)");
                notSent.add("m" + i);
            } else {
                assertThat(e.getMessage()).contains("outcome unknown");
            }
        }
        // m0 and m1 took the window; the others went only if the window freed before they were due
        List<String> received = nodeA.received().stream().map(AppendTest::payload).toList();
        assertThat(received).startsWith("m0", "m1");
        assertThat(notSent).as("exactly those never sent fail as not sent").doesNotContainAnyElementsOf(received)
                .hasSize(5 - received.size());
    }

    @Test
    void aThousandAppendsInFlightWaitOnOneTimerNotOneEach() throws Exception {
        cluster.assign("p-1", 1, "node-a");
        nodeA.holdResults(true);
        client(b -> { });
        List<CompletableFuture<Appended>> futures = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            futures.add(client.appendRaw("p-1_v", ("m" + i).getBytes(UTF_8)));
        }
        Await.until("1000 appends are held", () -> nodeA.heldCount() == 1000);
        assertThat(client.scheduledTimerTasks()).as("tasks on the timer").isLessThanOrEqualTo(3);

        nodeA.holdResults(false);
        nodeA.releaseHeld(java.util.stream.IntStream.range(0, 1000).boxed().toList());
        for (CompletableFuture<Appended> f : futures) {
            done(f);
        }
    }
}
