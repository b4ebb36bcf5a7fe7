package io.tidelog.node.txn;

import static io.tidelog.node.txn.TxnTestbed.commit;
import static io.tidelog.node.txn.TxnTestbed.data;
import static io.tidelog.node.txn.TxnTestbed.raw;
import static io.tidelog.node.txn.TxnTestbed.rollback;
import static io.tidelog.node.txn.TxnTestbed.text;
import static io.tidelog.node.txn.TxnTestbed.v;
import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.common.MessageId;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.node.AppendResult;
import io.tidelog.node.scan.MessageScanner;
import io.tidelog.node.scan.ReadOptions;
import io.tidelog.proto.MessageType;
import io.tidelog.testing.Seeds;
import io.tidelog.wal.DeliverPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Transactions appended from several threads at once (bodies and commit pipelined, so commits wait for
 * bodies in flight), with plain messages and TimeTicks in between, while scanners read: a consumer never sees
 * a partial transaction, and one resuming from any message's last-confirmed id misses nothing.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TxnConcurrencyTest {
    static final int WRITERS = 4;
    static final int TXNS_PER_WRITER = 60;
    static final List<String> VCHANNELS = List.of(v("a"), v("b"), v("c"));

    @RegisterExtension
    final Seeds seeds = new Seeds();

    record Committed(String vchannel, List<String> bodies) {
    }

    /** Committed transactions by id. */
    final Map<Long, Committed> committed = new ConcurrentHashMap<>();
    /** Ids of transactions rolled back by their writer. */
    final Set<Long> rolledBack = ConcurrentHashMap.newKeySet();

    @Test
    void aConsumerNeverSeesAPartialTransactionWhileTheyAreAppendedConcurrently() throws Exception {
        try (TxnTestbed t = new TxnTestbed(TxnConfig.defaults())) {
            ExecutorService pool = Executors.newFixedThreadPool(WRITERS + 2);
            try {
                CompletableFuture<List<ImmutableMessage>> everything = readUntilDone(pool, t, null);
                CompletableFuture<List<ImmutableMessage>> onA = readUntilDone(pool, t, VCHANNELS.get(0));
                List<Future<?>> writers = new ArrayList<>();
                for (int w = 0; w < WRITERS; w++) {
                    Random random = new Random(seeds.seed() + w);
                    int writer = w;
                    writers.add(pool.submit(() -> {
                        write(t, writer, random);
                        return null;
                    }));
                }
                for (Future<?> w : writers) {
                    w.get(60, TimeUnit.SECONDS);
                }
                for (String v : VCHANNELS) {
                    t.append(raw(v, "done"));
                }
                List<ImmutableMessage> all = everything.get(60, TimeUnit.SECONDS);
                checkWholeTransactions(all, null);
                checkWholeTransactions(onA.get(60, TimeUnit.SECONDS), VCHANNELS.get(0));
                checkResumePoints(all);
                checkResumingAtRandomCuts(t, all, new Random(seeds.seed()));
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** One writer: transactions of 1 to 6 bodies, pipelined, committed (or sometimes rolled back), with plain messages between. */
    private void write(TxnTestbed t, int writer, Random random) {
        for (int i = 0; i < TXNS_PER_WRITER; i++) {
            String v = VCHANNELS.get(random.nextInt(VCHANNELS.size()));
            long id = t.beginTxn(v);
            List<String> bodies = new ArrayList<>();
            List<CompletableFuture<AppendResult>> inFlight = new ArrayList<>();
            for (int b = 1 + random.nextInt(6); b > 0; b--) {
                String text = "w" + writer + "t" + i + "b" + b;
                bodies.add(text);
                inFlight.add(t.wal.append(raw(v, text, id)));
                if (random.nextInt(4) == 0) {
                    t.append(raw(VCHANNELS.get(random.nextInt(VCHANNELS.size())), "plain-w" + writer + "-" + i + "-" + b));
                }
            }
            if (random.nextInt(8) == 0) {
                t.append(rollback(v, id));
                rolledBack.add(id);
            } else {
                t.append(commit(v, id));
                committed.put(id, new Committed(v, bodies));
            }
            inFlight.forEach(TxnTestbed::await);
            if (random.nextInt(5) == 0) {
                t.wal.tick();
            }
        }
    }

    /** A scanner (of one vchannel, or the pchannel) read on its own thread until every vchannel's "done". */
    private static CompletableFuture<List<ImmutableMessage>> readUntilDone(ExecutorService pool, TxnTestbed t, String vchannel) {
        ReadOptions options = ReadOptions.from(DeliverPolicy.all());
        MessageScanner s = t.wal.read(vchannel == null ? options : options.withVchannel(vchannel));
        int expectedDone = vchannel == null ? VCHANNELS.size() : 1;
        return CompletableFuture.supplyAsync(() -> {
            List<ImmutableMessage> out = new ArrayList<>();
            int done = 0;
            try (s) {
                while (done < expectedDone) {
                    ImmutableMessage m = s.poll(TxnTestbed.WAIT);
                    assertThat(m).as("the scanner keeps delivering").isNotNull();
                    if (isDone(m)) {
                        done++;
                    } else {
                        out.add(m);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            return out;
        }, pool);
    }

    private static boolean isDone(ImmutableMessage m) {
        return m.type() == MessageType.RAW && m.txn() == null && text(m).equals("done");
    }

    private void checkWholeTransactions(List<ImmutableMessage> read, String vchannel) {
        long lastTt = 0;
        List<Long> seen = new ArrayList<>();
        for (ImmutableMessage m : read) {
            assertThat(m.timeTick()).isGreaterThan(lastTt);
            lastTt = m.timeTick();
            assertThat(m.type()).as("%s", m).isNotIn(MessageType.BEGIN_TXN, MessageType.COMMIT_TXN, MessageType.ROLLBACK_TXN);
            if (m.type() == MessageType.RAW) {
                assertThat(m.txn()).as("a body outside its TXN: %s", m).isNull();
            }
            if (m.type() == MessageType.TXN) {
                long id = m.txn().getTxnId();
                List<ImmutableMessage> parts = m.txnMessages();
                assertThat(parts.subList(1, parts.size() - 1)).extracting(TxnTestbed::text).as("transaction %d", id)
                        .containsExactlyElementsOf(committed.get(id).bodies());
                seen.add(id);
            }
        }
        List<Long> expected = committed.entrySet().stream()
                .filter(e -> vchannel == null || e.getValue().vchannel().equals(vchannel))
                .map(Map.Entry::getKey).toList();
        assertThat(seen).as("every committed transaction once, nothing else").containsExactlyInAnyOrderElementsOf(expected);
        assertThat(seen).doesNotContainAnyElementsOf(rolledBack);
    }

    /** Reading from any message's last-confirmed id starts at or before the begin of every later transaction. */
    private static void checkResumePoints(List<ImmutableMessage> all) {
        MessageId earliestLaterBegin = null;
        for (int i = all.size() - 1; i >= 0; i--) {
            ImmutableMessage m = all.get(i);
            if (earliestLaterBegin != null && m.lastConfirmedId() != null) {
                assertThat(m.lastConfirmedId()).as("last-confirmed id of %s", m).isLessThanOrEqualTo(earliestLaterBegin);
            }
            if (m.type() == MessageType.TXN) {
                MessageId begin = m.txnMessages().get(0).id();
                earliestLaterBegin = earliestLaterBegin == null || begin.isBefore(earliestLaterBegin) ? begin : earliestLaterBegin;
            }
        }
    }

    private static void checkResumingAtRandomCuts(TxnTestbed t, List<ImmutableMessage> all, Random random) throws InterruptedException {
        List<ImmutableMessage> allData = data(all);
        for (int round = 0; round < 10; round++) {
            ImmutableMessage seen = all.get(random.nextInt(all.size()));
            MessageId from = seen.lastConfirmedId() != null ? seen.lastConfirmedId() : seen.id();
            List<ImmutableMessage> rest = data(t.readToEnd(new ReadOptions(DeliverPolicy.startFrom(from), null,
                    seen.timeTick(), 0, Set.of()), VCHANNELS.get(0))).stream().filter(m -> !isDone(m)).toList();
            List<ImmutableMessage> expected = allData.stream().filter(m -> m.timeTick() > seen.timeTick()).toList();
            assertThat(rest).extracting(ImmutableMessage::id).as("resumed after %s", seen.id())
                    .containsExactlyElementsOf(expected.stream().map(ImmutableMessage::id).toList());
        }
    }
}
