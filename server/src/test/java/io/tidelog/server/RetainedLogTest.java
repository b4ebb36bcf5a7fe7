package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.client.Appended;
import io.tidelog.client.ClusterStatus;
import io.tidelog.client.ConsumerOptions;
import io.tidelog.client.ResumableConsumer;
import io.tidelog.client.StartPosition;
import io.tidelog.client.StreamingClient;
import io.tidelog.client.SubscriptionStatus;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.testing.Await;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing acknowledged disappears before retention says so: on a standalone server with 1 MiB WAL segments and
 * checkpoints every 100 ms, acknowledged RAW messages stay readable from the earliest retained message across many
 * checkpoints and segments, and a durable subscription holds the WAL even with retention 0.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RetainedLogTest {
    static final String P = "pchannel-0";
    static final String V = "pchannel-0_events";
    static final String OTHER = "pchannel-0_other";
    static final int PAYLOAD = 10_000;

    @TempDir
    Path dir;
    StandaloneServer server;
    StreamingClient client;

    StandaloneServer start(Map<String, String> extra) {
        Map<String, String> config = new HashMap<>(Map.of("server.port", "0", "coord.pchannel.count", "1",
                "wal.local.segment.bytes", "1MiB", "wal.local.spare.segments", "1", "message.max.bytes", "256KiB",
                "wal.local.batch.max.bytes", "256KiB", "node.checkpoint.interval", "100ms",
                "node.checkpoint.dirty.messages", "10"));
        config.putAll(extra);
        server = TestStandalone.start(dir, config);
        client = StreamingClient.builder().target(server.address()).build();
        return server;
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    static byte[] payload(String vchannel, int i) {
        byte[] b = new byte[PAYLOAD];
        byte[] head = (vchannel + "#" + i + "#").getBytes(StandardCharsets.UTF_8);
        System.arraycopy(head, 0, b, 0, head.length);
        return b;
    }

    static String name(ImmutableMessage m) {
        String s = m.payload().toString(StandardCharsets.UTF_8);
        return s.substring(0, s.indexOf('#', s.indexOf('#') + 1));
    }

    ClusterStatus.PchannelStatus status() {
        return client.statusBlocking().pchannels().get(0);
    }

    /** Appends {@code count} messages to {@code vchannel}, then waits until a checkpoint covers them. */
    List<Appended> wave(String vchannel, int from, int count) {
        List<CompletableFuture<Appended>> acks = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            acks.add(client.appendRaw(vchannel, payload(vchannel, i)));
        }
        List<Appended> out = acks.stream().map(CompletableFuture::join).toList();
        MessageId last = out.get(out.size() - 1).id();
        Await.until("a checkpoint at or past " + last, Duration.ofSeconds(30), () -> {
            MessageId cp = status().retention().checkpointId();
            return cp != null && cp.compareTo(last) >= 0;
        });
        return out;
    }

    List<String> consumeAll(ConsumerOptions options, int expected) {
        List<String> seen = new ArrayList<>();
        try (ResumableConsumer c = client.consumer(options)) {
            while (seen.size() < expected) {
                ImmutableMessage m = c.poll(Duration.ofSeconds(10));
                assertThat(m).as("message %d of %d", seen.size(), expected).isNotNull();
                seen.add(name(m));
            }
            assertThat(c.poll(Duration.ofMillis(300))).as("nothing after the last").isNull();
        }
        return seen;
    }

    static List<String> names(String vchannel, int from, int to) {
        List<String> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(vchannel + "#" + i);
        }
        return out;
    }

    @Test
    void everyAcknowledgedMessageIsReadFromEarliestAfterManyCheckpointsAndSegments() {
        start(Map.of());
        long firstSegment = -1;
        for (int w = 0; w < 6; w++) {
            List<Appended> acks = wave(V, w * 200, 200);
            if (firstSegment < 0) {
                firstSegment = acks.get(0).id().major();
            }
        }
        long segments = status().lastId().major() - firstSegment + 1;
        assertThat(segments).as("WAL segments written").isGreaterThanOrEqualTo(10);

        List<String> seen = consumeAll(ConsumerOptions.vchannel(V), 1200);

        assertThat(seen).isEqualTo(names(V, 0, 1200));
        assertThat(status().retention().earliestId().major()).isEqualTo(firstSegment);
        assertThat(status().retention().truncatedBelow()).as("nothing is 72 hours old").isNull();
    }

    @Test
    void aPausedSubscriptionHoldsTheWalPastWhatRetentionZeroKeepsAndResumesWithNoGapAndNoDuplicate() {
        start(Map.of("wal.retention.time", "0"));
        wave(V, 0, 50);
        ConsumerOptions sub = ConsumerOptions.vchannel(V).withSubscription("audit").withStart(StartPosition.earliest());
        List<String> first = new ArrayList<>();
        try (ResumableConsumer c = client.consumer(sub)) {
            while (first.size() < 20) {
                ImmutableMessage m = c.poll(Duration.ofSeconds(10));
                assertThat(m).isNotNull();
                first.add(name(m));
            }
        } // close commits what was polled
        assertThat(first).isEqualTo(names(V, 0, 20));

        // the subscriber is away while 12 MiB more arrive over many checkpoints, on its vchannel and another
        for (int w = 0; w < 6; w++) {
            wave(V, 50 + w * 100, 100);
            wave(OTHER, w * 100, 100);
        }
        ClusterStatus.Retention r = status().retention();
        assertThat(r.bound()).isEqualTo("subscription audit of " + V);
        assertThat(r.subscriptions()).isEqualTo(1);
        assertThat(status().lastId().major() - r.earliestId().major()).as("segments held").isGreaterThanOrEqualTo(10);

        List<SubscriptionStatus> listed = client.subscriptions().list().join();
        assertThat(listed).singleElement().satisfies(s -> {
            assertThat(s.name()).isEqualTo("audit");
            assertThat(s.lagMessages()).isEqualTo(30 + 600);
            assertThat(s.lagExact()).isTrue();
            assertThat(s.letGo()).isFalse();
        });

        List<String> rest = consumeAll(sub, 630);
        assertThat(rest).isEqualTo(names(V, 20, 650));
    }

    @Test
    void withExplicitCommitsASubscriptionResumesRightAfterTheLastCommitAndNotAfterWhatWasOnlyPolled() {
        start(Map.of());
        wave(V, 0, 30);
        ConsumerOptions explicit = ConsumerOptions.vchannel(V).withSubscription("manual").withAutoCommit(Duration.ZERO);
        try (ResumableConsumer c = client.consumer(explicit)) {
            for (int i = 0; i < 5; i++) {
                assertThat(name(c.poll(Duration.ofSeconds(10)))).isEqualTo(V + "#" + i);
            }
            SubscriptionStatus committed = c.commit().join();
            assertThat(committed.name()).isEqualTo("manual");
            for (int i = 5; i < 12; i++) {
                assertThat(name(c.poll(Duration.ofSeconds(10)))).isEqualTo(V + "#" + i);
            }
        } // closing commits nothing: commits are explicit

        assertThat(consumeAll(explicit, 25)).isEqualTo(names(V, 5, 30));
        assertThatThrownBy(() -> client.consumer(ConsumerOptions.vchannel(V)).commit())
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }

    @Test
    void aSecondConsumerOfASubscriptionTakesItOverAndTheFirstCanNeverMoveItsPositionBack() {
        start(Map.of());
        wave(V, 0, 30);
        ConsumerOptions explicit = ConsumerOptions.vchannel(V).withSubscription("shared").withAutoCommit(Duration.ZERO);
        try (ResumableConsumer first = client.consumer(explicit)) {
            for (int i = 0; i < 5; i++) {
                assertThat(name(first.poll(Duration.ofSeconds(10)))).isEqualTo(V + "#" + i);
            }
            assertThat(first.commit().join().generation()).isEqualTo(1);
            try (ResumableConsumer second = client.consumer(explicit)) {
                for (int i = 5; i < 20; i++) {
                    assertThat(name(second.poll(Duration.ofSeconds(10)))).isEqualTo(V + "#" + i);
                }
                assertThat(second.commit().join().generation()).isEqualTo(2);

                // the first one polled on past its commit, but its commit would move the position back
                assertThat(name(first.poll(Duration.ofSeconds(10)))).isEqualTo(V + "#5");
                assertThatThrownBy(() -> first.commit().join())
                        .hasCauseInstanceOf(StreamingException.class)
                        .satisfies(e -> assertThat(((StreamingException) e.getCause()).code())
                                .isEqualTo(ErrorCode.SUBSCRIPTION_TAKEN_OVER));
            }
        }
        assertThat(client.subscriptions().list(V).join()).singleElement()
                .satisfies(s -> assertThat(s.positionTimeTick()).isPositive())
                .satisfies(s -> assertThat(s.lagMessages()).isEqualTo(10));
        assertThat(consumeAll(explicit, 10)).isEqualTo(names(V, 20, 30));
    }

    @Test
    void onceItsSubscriptionIsDeletedTheHeldWalIsTruncatedAndAReaderFromThereIsToldTheEarliest() {
        // a small write-ahead buffer: the reader below finds the truncated messages in memory no more
        start(Map.of("wal.retention.time", "0", "node.buffer.capacity", "64KiB"));
        List<Appended> acks = wave(V, 0, 10);
        SubscriptionStatus s = client.subscriptions().subscribe(V, "gone", StartPosition.earliest()).join();
        assertThat(s.created()).isTrue();
        for (int w = 0; w < 3; w++) {
            wave(OTHER, w * 150, 150);
        }
        assertThat(status().retention().earliestId()).isLessThanOrEqualTo(acks.get(0).id());

        assertThat(client.subscriptions().delete(V, "gone").join()).isTrue();
        Await.until("truncation past the deleted subscription", Duration.ofSeconds(30),
                () -> status().retention().earliestId().compareTo(acks.get(9).id()) > 0);

        try (ResumableConsumer c = client.consumer(ConsumerOptions.vchannel(V).withStart(StartPosition.from(acks.get(0).id())))) {
            assertThatThrownBy(() -> c.poll(Duration.ofSeconds(10))).isInstanceOfSatisfying(StreamingException.class, e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.OUT_OF_RANGE);
                assertThat(e.getMessage()).contains("the earliest retained message is " + status().retention().earliestId());
            });
        }
    }

    @Test
    void theCommandLineConsumesThroughASubscriptionListsAndDeletesIt() {
        start(Map.of());
        wave(V, 0, 30);
        CommandRun one = run("consume", "--vchannel", V, "--subscription", "cli", "--max", "10", "--json");
        assertThat(one.status()).as(one.err()).isZero();
        assertThat(one.lines()).hasSize(10);
        assertThat(one.err()).contains("subscription cli of " + V + ": created; reading from ");

        CommandRun two = run("consume", "--vchannel", V, "--subscription", "cli", "--idle-timeout", "1");
        assertThat(two.status()).as(two.err()).isZero();
        assertThat(two.lines()).hasSize(20);
        assertThat(two.lines().get(0)).contains(V + "#10#");
        assertThat(two.err()).contains("subscription cli of " + V + ": resuming from ");

        CommandRun listed = run("subscriptions", "--json");
        assertThat(listed.status()).as(listed.err()).isZero();
        assertThat(listed.out().strip()).startsWith("{\"vchannel\":\"" + V + "\",\"name\":\"cli\"")
                .contains("\"lagMessages\":0,\"lagExact\":true").contains("\"letGo\":false");
        CommandRun table = run("subscriptions", "--vchannel", V);
        assertThat(table.out()).startsWith("VCHANNEL").contains("cli").contains("HOLDING");

        CommandRun earliest = run("consume", "--vchannel", V, "--max", "1");
        assertThat(earliest.err()).contains("reading " + V + " from the earliest retained message "
                + status().retention().earliestId());

        assertThat(run("subscriptions", "delete", "cli").status()).isZero();
        CommandRun again = run("subscriptions", "delete", "cli");
        assertThat(again.status()).isEqualTo(1);
        assertThat(again.err()).startsWith("error: NOT_FOUND: ");
        assertThat(run("subscriptions").out()).contains("no subscriptions");

        CommandRun missing = run("subscriptions", "--vchannel", "pchannel-9_x");
        assertThat(missing.status()).isEqualTo(1);
        assertThat(missing.err()).startsWith("error: NOT_FOUND: ");
        CommandRun missingConsume = run("consume", "--vchannel", "pchannel-9_x", "--subscription", "cli");
        assertThat(missingConsume.status()).isEqualTo(1);
        assertThat(missingConsume.err()).contains("NOT_FOUND");
    }

    CommandRun run(String... args) {
        return CommandRun.against(server.address(), args);
    }
}
