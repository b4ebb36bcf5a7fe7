package io.tidelog.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.client.Appended;
import io.tidelog.client.ConsumerOptions;
import io.tidelog.client.ResumableConsumer;
import io.tidelog.client.StreamingClient;
import io.tidelog.client.Txn;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.proto.MessageType;
import io.tidelog.testing.Seeds;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transactions across {@code kill -9} of {@code tidelog standalone} (a child process): in each round one
 * transaction is committed and acknowledged, one has its bodies acknowledged but no commit, and one has its
 * commit in flight when the server is killed. After the restarts a consumer reading from the start, and one
 * that read across every kill, see every acknowledged transaction whole, never the open ones, and the one
 * whose commit was in flight either whole or not at all.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class StandaloneTxnKillNineTest {
    static final String V = "pchannel-1_txn";
    static final int ROUNDS = 3;
    static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    final Seeds seeds = new Seeds();

    @TempDir
    Path dir;
    StandaloneProcess server;
    final List<StreamingClient> clients = new CopyOnWriteArrayList<>();

    /** Committed and acknowledged before a kill: must be visible, whole. */
    final Map<Long, List<String>> acknowledged = new HashMap<>();
    /** Commit in flight at a kill: whole or not at all. */
    final Map<Long, List<String>> unknownOutcome = new HashMap<>();
    /** Bodies acknowledged, no commit at the kill: never visible. */
    final Set<Long> openAtKill = new HashSet<>();

    @AfterEach
    void stop() {
        clients.forEach(StreamingClient::close);
        if (server != null) {
            server.close();
        }
    }

    StreamingClient client() {
        StreamingClient c = StreamingClient.builder().target(server.address()).appendTimeout(WAIT).build();
        clients.add(c);
        return c;
    }

    @Test
    void aTransactionOpenAtAKillNineIsNeverVisibleAndOneCommittedBeforeItIsWhollyVisible() throws Exception {
        server = new StandaloneProcess(dir.resolve("data"), List.of("--pchannels", "2",
                "-c", "wal.local.segment.bytes=16MiB", "-c", "wal.local.spare.segments=1"));
        server.start();
        Random random = seeds.random();
        StreamingClient producer = client();
        CompletableFuture<List<ImmutableMessage>> acrossKills = readUntil(client(), "round-" + (ROUNDS - 1));

        for (int round = 0; round < ROUNDS; round++) {
            Txn committed = producer.txn(V);
            List<String> bodies = bodies(committed, "r" + round + "committed", random, false);
            committed.commitBlocking();
            acknowledged.put(committed.id().get(), bodies);

            Txn open = producer.txn(V);
            bodies(open, "r" + round + "open", random, true);
            long openId = open.id().get();
            openAtKill.add(openId);

            Txn committing = producer.txn(V);
            List<String> committingBodies = bodies(committing, "r" + round + "committing", random, true);
            CompletableFuture<Appended> commitInFlight = committing.commit();

            server.kill9();
            server.start();

            long committingId = committing.id().get();
            try {
                commitInFlight.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                acknowledged.put(committingId, committingBodies);
            } catch (ExecutionException e) {
                unknownOutcome.put(committingId, committingBodies);
            }
            assertThat(failure(open.commit())).as("committing the open transaction after the restart")
                    .isEqualTo(ErrorCode.TRANSACTION_EXPIRED);
            producer.appendRawBlocking(V, ("round-" + round).getBytes(UTF_8));
        }

        List<ImmutableMessage> fromTheStart = readUntil(client(), "round-" + (ROUNDS - 1)).get(2, TimeUnit.MINUTES);
        check(fromTheStart);
        List<ImmutableMessage> across = acrossKills.get(2, TimeUnit.MINUTES);
        check(across);
        assertThat(across).extracting(ImmutableMessage::id).as("the consumer that read across the kills")
                .containsExactlyElementsOf(fromTheStart.stream().map(ImmutableMessage::id).toList());
        System.out.printf("transactions across %d kill -9: %d acknowledged, %d with an unknown outcome (%d of them visible),"
                + " %d open at a kill%n", ROUNDS, acknowledged.size(), unknownOutcome.size(),
                fromTheStart.stream().filter(m -> m.type() == MessageType.TXN
                        && unknownOutcome.containsKey(m.txn().getTxnId())).count(), openAtKill.size());
    }

    /** 1 to 5 bodies, pipelined; waits for their acknowledgements if {@code await}. */
    private static List<String> bodies(Txn txn, String prefix, Random random, boolean await) {
        List<String> bodies = new ArrayList<>();
        List<CompletableFuture<Appended>> acks = new ArrayList<>();
        for (int i = 1 + random.nextInt(5); i > 0; i--) {
            String text = prefix + "-" + bodies.size();
            bodies.add(text);
            acks.add(txn.appendRaw(text.getBytes(UTF_8)));
        }
        if (await) {
            acks.forEach(CompletableFuture::join);
        }
        return bodies;
    }

    private static ErrorCode failure(CompletableFuture<?> f) throws Exception {
        try {
            f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return StreamingException.from(e.getCause()).code();
        }
        throw new AssertionError("expected a failure");
    }

    /** Every message of {@code V} from the start up to (without) the RAW {@code marker}, read on a thread of its own. */
    private static CompletableFuture<List<ImmutableMessage>> readUntil(StreamingClient c, String marker) {
        ResumableConsumer consumer = c.consumer(ConsumerOptions.vchannel(V));
        return CompletableFuture.supplyAsync(() -> {
            List<ImmutableMessage> out = new ArrayList<>();
            try (consumer) {
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(6);
                while (System.nanoTime() < deadline) {
                    ImmutableMessage m = consumer.poll(Duration.ofSeconds(1));
                    if (m == null) {
                        continue;
                    }
                    if (m.type() == MessageType.RAW && m.payload().toString(UTF_8).equals(marker)) {
                        return out;
                    }
                    out.add(m);
                }
            }
            throw new AssertionError("the consumer did not reach " + marker + "; it read " + out.size() + " messages");
        });
    }

    private static String describe(ImmutableMessage m) {
        return m.type() + (m.txn() == null ? "" : " of txn " + m.txn().getTxnId()) + " at " + m.id() + " tt "
                + m.timeTick() + " term " + m.term() + " lastConfirmed " + m.lastConfirmedId();
    }

    private void check(List<ImmutableMessage> read) {
        Set<Long> seen = new HashSet<>();
        ImmutableMessage previous = null;
        for (ImmutableMessage m : read) {
            if (previous != null) {
                assertThat(m.timeTick()).as("time tick of %s after %s", describe(m), describe(previous))
                        .isGreaterThan(previous.timeTick());
            }
            previous = m;
            if (m.type() == MessageType.RAW && m.txn() == null) {
                assertThat(m.payload().toString(UTF_8)).startsWith("round-");
                continue;
            }
            assertThat(m.type()).as("nothing of a transaction but whole TXN messages: %s", m).isEqualTo(MessageType.TXN);
            long id = m.txn().getTxnId();
            assertThat(seen.add(id)).as("transaction %d delivered once", id).isTrue();
            assertThat(openAtKill).as("transactions open at a kill").doesNotContain(id);
            List<ImmutableMessage> parts = m.txnMessages();
            List<String> bodies = parts.subList(1, parts.size() - 1).stream().map(p -> p.payload().toString(UTF_8)).toList();
            List<String> expected = acknowledged.containsKey(id) ? acknowledged.get(id) : unknownOutcome.get(id);
            assertThat(bodies).as("transaction %d whole", id).isEqualTo(expected);
        }
        assertThat(seen).as("every acknowledged transaction").containsAll(acknowledged.keySet());
    }
}
