package io.tidelog.node.txn;

import static io.tidelog.node.txn.TxnTestbed.data;
import static io.tidelog.node.txn.TxnTestbed.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MutableMessage;
import io.tidelog.node.AppendResult;
import io.tidelog.node.scan.MessageScanner;
import io.tidelog.node.scan.ReadOptions;
import io.tidelog.proto.MessageType;
import io.tidelog.tso.HybridTimestamps;
import io.tidelog.wal.DeliverPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * The transaction state machine against a model: any interleaving of begins, bodies, commits, rollbacks,
 * DDL, plain messages, clock steps and TimeTicks over three vchannels of one pchannel. The WAL runs for real
 * (memory backend, vchannel locks, transaction manager) on a manual clock, so expiry is deterministic; each
 * step waits for its outcome.
 *
 * <p>Checked: every append's outcome equals the model's (success, or which error code); what scanners deliver
 * equals the model's history: plain messages, DDL and every committed transaction whole as one {@code TXN} at
 * its commit's position, nothing of any other transaction, in strictly increasing time-tick order. Scanners
 * read the whole pchannel (one of them while the steps run), each vchannel, and from the last-confirmed id of
 * messages picked at random with a time-tick filter after them, as a resuming consumer does.
 *
 * <p>jqwik prints the seed and the (shrunk) failing script; repeat with {@code @Property(seed = "...")}.
 */
class TxnProperties {
    static final List<String> VCHANNELS = List.of(TxnTestbed.v("a"), TxnTestbed.v("b"), TxnTestbed.v("c"));
    static final TxnConfig CONFIG = TxnConfig.from(Map.of("txn.keepalive", "1s", "txn.max.bytes", "1500"));

    sealed interface Step permits Begin, Body, Commit, Rollback, Ddl, Plain, Advance, Tick {
    }

    /** {@code keepalive} 0: the default. */
    record Begin(int vchannel, long keepalive) implements Step {
    }

    /**
     * A body for transaction {@code txn} (0..: the n-th most recent begun; -1: an id never issued; -2: an id of
     * an earlier term), on another vchannel if {@code elsewhere}, of a DDL type if {@code ddl}.
     */
    record Body(int txn, boolean elsewhere, int size, boolean ddl) implements Step {
    }

    record Commit(int txn) implements Step {
    }

    record Rollback(int txn) implements Step {
    }

    record Ddl(int vchannel) implements Step {
    }

    record Plain(int vchannel) implements Step {
    }

    record Advance(long millis) implements Step {
    }

    record Tick() implements Step {
    }

    @Provide
    Arbitrary<List<Step>> scripts() {
        Arbitrary<Integer> vchannel = Arbitraries.integers().between(0, VCHANNELS.size() - 1);
        Arbitrary<Integer> txn = Arbitraries.frequencyOf(Tuple.of(12, Arbitraries.integers().between(0, 3)),
                Tuple.of(1, Arbitraries.integers().between(-2, -1)));
        Arbitrary<Step> begin = Combinators.combine(vchannel, Arbitraries.of(0L, 300L, 3000L)).as(Begin::new);
        Arbitrary<Step> body = Combinators.combine(txn,
                Arbitraries.frequency(Tuple.of(15, false), Tuple.of(1, true)),
                Arbitraries.of(10, 300, 700),
                Arbitraries.frequency(Tuple.of(25, false), Tuple.of(1, true))).as(Body::new);
        Arbitrary<Step> commit = txn.map(Commit::new);
        Arbitrary<Step> rollback = txn.map(Rollback::new);
        Arbitrary<Step> ddl = vchannel.map(Ddl::new);
        Arbitrary<Step> plain = vchannel.map(Plain::new);
        Arbitrary<Step> advance = Arbitraries.of(1L, 200L, 600L, 1500L).map(Advance::new);
        Arbitrary<Step> tick = Arbitraries.just(new Tick());
        return Arbitraries.frequencyOf(Tuple.of(3, begin), Tuple.of(8, body), Tuple.of(3, commit), Tuple.of(1, rollback),
                Tuple.of(1, ddl), Tuple.of(2, plain), Tuple.of(2, advance), Tuple.of(2, tick))
                .list().ofMinSize(1).ofMaxSize(60);
    }

    @Property(tries = 300)
    void scannersDeliverExactlyTheCommittedTransactionsWholeInCommitOrderAndAppendsFailAsTheModelSays(
            @ForAll("scripts") List<Step> script, @ForAll Random random) throws Exception {
        try (TxnTestbed t = new TxnTestbed(CONFIG); MessageScanner concurrent = t.wal.read(ReadOptions.from(DeliverPolicy.all()))) {
            Model model = new Model(t.tso.millis());
            List<ImmutableMessage> readWhileAppending = new ArrayList<>();
            for (int i = 0; i < script.size(); i++) {
                run(t, model, script.get(i), i);
                ImmutableMessage m;
                while ((m = concurrent.poll(Duration.ZERO)) != null) {
                    readWhileAppending.add(m);
                }
            }
            List<ImmutableMessage> all = t.readToEnd(ReadOptions.from(DeliverPolicy.all()), VCHANNELS.get(0));
            assertThat(describe(data(all))).as("the whole pchannel").containsExactlyElementsOf(model.history);
            assertStrictlyIncreasingTimeTicks(all);

            drainUpTo(concurrent, readWhileAppending, all.isEmpty() ? null : all.get(all.size() - 1));
            assertThat(describe(data(readWhileAppending))).as("read while appending").containsExactlyElementsOf(model.history);

            for (String v : VCHANNELS) {
                List<ImmutableMessage> onV = t.readToEnd(ReadOptions.from(DeliverPolicy.all()).withVchannel(v), v);
                assertThat(describe(data(onV))).as(v).containsExactlyElementsOf(
                        model.history.stream().filter(e -> e.startsWith(v + ":")).toList());
            }

            for (int round = 0; round < 5 && !all.isEmpty(); round++) {
                int cut = random.nextInt(all.size());
                ImmutableMessage seen = all.get(cut);
                MessageId from = seen.lastConfirmedId() != null ? seen.lastConfirmedId() : seen.id();
                List<ImmutableMessage> rest = t.readToEnd(new ReadOptions(DeliverPolicy.startFrom(from), null,
                        seen.timeTick(), 0, Set.of()), VCHANNELS.get(0));
                assertThat(describe(data(rest))).as("resumed after %s (%s)", seen.id(), seen.type())
                        .containsExactlyElementsOf(describe(data(all.subList(cut + 1, all.size()))));
            }
        }
    }

    /** Polls {@code s} into {@code out} until it delivered {@code last} (the last message before the end marker). */
    private static void drainUpTo(MessageScanner s, List<ImmutableMessage> out, ImmutableMessage last) throws InterruptedException {
        while (last != null && (out.isEmpty() || out.get(out.size() - 1).timeTick() < last.timeTick())) {
            ImmutableMessage m = s.poll(TxnTestbed.WAIT);
            assertThat(m).as("the concurrent scanner reaches %s", last.id()).isNotNull();
            out.add(m);
        }
    }

    private static void assertStrictlyIncreasingTimeTicks(List<ImmutableMessage> ms) {
        for (int i = 1; i < ms.size(); i++) {
            assertThat(ms.get(i).timeTick()).as("time tick at %d", i).isGreaterThan(ms.get(i - 1).timeTick());
        }
    }

    /** One line per delivered message; anything of a transaction other than a whole TXN reads as a leak. */
    static List<String> describe(List<ImmutableMessage> ms) {
        List<String> out = new ArrayList<>();
        for (ImmutableMessage m : ms) {
            if (m.type() == MessageType.TXN) {
                List<ImmutableMessage> parts = m.txnMessages();
                assertThat(parts.get(0).type()).isEqualTo(MessageType.BEGIN_TXN);
                assertThat(parts.get(parts.size() - 1).type()).isEqualTo(MessageType.COMMIT_TXN);
                assertThat(parts.get(parts.size() - 1).id()).isEqualTo(m.id());
                assertThat(parts.get(parts.size() - 1).timeTick()).isEqualTo(m.timeTick());
                assertStrictlyIncreasingTimeTicks(parts);
                List<String> bodies = parts.subList(1, parts.size() - 1).stream().map(TxnTestbed::text).toList();
                out.add(m.vchannel() + ":TXN:" + m.txn().getTxnId() + "@" + m.id() + ":" + bodies);
            } else if (m.type() == MessageType.RAW && m.txn() == null) {
                out.add(m.vchannel() + ":RAW:" + text(m));
            } else if (m.type() == MessageType.CREATE_PARTITION && m.txn() == null) {
                out.add(m.vchannel() + ":DDL@" + m.id());
            } else {
                out.add("LEAK:" + m);
            }
        }
        return out;
    }

    /** Runs {@code step} on the WAL and the model and checks that both agree on the outcome. */
    private static void run(TxnTestbed t, Model model, Step step, int index) {
        if (step instanceof Begin b) {
            AppendResult r = ok(t, TxnTestbed.begin(VCHANNELS.get(b.vchannel()), b.keepalive()), step);
            model.begin(b, r.txnId());
        } else if (step instanceof Body b) {
            Model.Txn txn = model.pick(b.txn());
            long id = txn == null ? model.idOf(b.txn()) : txn.id;
            int home = txn == null ? 0 : txn.vchannel;
            String v = VCHANNELS.get(b.elsewhere() ? (home + 1) % VCHANNELS.size() : home);
            String payload = ("s" + index + "-").repeat(b.size()).substring(0, b.size());
            MutableMessage m = b.ddl() ? TxnTestbed.ddl(v).withTxn(id, 0) : TxnTestbed.raw(v, payload, id);
            expect(outcome(t, m), model.body(txn, b, v, m.serializedSize(), payload), step);
        } else if (step instanceof Commit c) {
            Model.Txn txn = model.pick(c.txn());
            long id = txn == null ? model.idOf(c.txn()) : txn.id;
            String v = VCHANNELS.get(txn == null ? 0 : txn.vchannel);
            Outcome real = outcome(t, TxnTestbed.commit(v, id));
            expect(real, model.commit(txn, c.txn()), step);
            if (real.result != null) {
                model.history.add(v + ":TXN:" + id + "@" + real.result.id() + ":" + txn.bodies);
            }
        } else if (step instanceof Rollback r) {
            Model.Txn txn = model.pick(r.txn());
            long id = txn == null ? model.idOf(r.txn()) : txn.id;
            String v = VCHANNELS.get(txn == null ? 0 : txn.vchannel);
            expect(outcome(t, TxnTestbed.rollback(v, id)), model.rollback(txn, r.txn()), step);
        } else if (step instanceof Ddl d) {
            AppendResult r = ok(t, TxnTestbed.ddl(VCHANNELS.get(d.vchannel())), step);
            model.ddl(d.vchannel());
            model.history.add(VCHANNELS.get(d.vchannel()) + ":DDL@" + r.id());
        } else if (step instanceof Plain p) {
            String text = "plain" + index;
            ok(t, TxnTestbed.raw(VCHANNELS.get(p.vchannel()), text), step);
            model.history.add(VCHANNELS.get(p.vchannel()) + ":RAW:" + text);
        } else if (step instanceof Advance a) {
            t.tso.advance(a.millis());
            model.clock += a.millis();
        } else {
            t.wal.tick();
            model.tick();
        }
    }

    /** An append's outcome: its result, or the code it failed with. */
    record Outcome(AppendResult result, ErrorCode code) {
        @Override
        public String toString() {
            return result != null ? "appended" : code.toString();
        }
    }

    private static Outcome outcome(TxnTestbed t, MutableMessage m) {
        CompletableFuture<AppendResult> f = t.wal.append(m);
        try {
            return new Outcome(f.get(TxnTestbed.WAIT.toMillis(), TimeUnit.MILLISECONDS), null);
        } catch (ExecutionException e) {
            return new Outcome(null, StreamingException.from(e.getCause()).code());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static AppendResult ok(TxnTestbed t, MutableMessage m, Step step) {
        Outcome o = outcome(t, m);
        assertThat(o.code).as("%s", step).isNull();
        return o.result;
    }

    /** {@code expected} null: success. */
    private static void expect(Outcome real, ErrorCode expected, Step step) {
        assertThat(real.toString()).as("outcome of %s", step).isEqualTo(expected == null ? "appended" : expected.toString());
    }

    /** What the WAL should do, step by step. Time is the manual clock's physical milliseconds. */
    static final class Model {
        enum Phase { OPEN, COMMITTED, ENDED }

        static final class Txn {
            final long id;
            final int vchannel;
            final long keepalive;
            long lastActivity;
            long bytes;
            Phase phase = Phase.OPEN;
            ErrorCode endCode;
            final List<String> bodies = new ArrayList<>();

            Txn(long id, int vchannel, long keepalive, long now) {
                this.id = id;
                this.vchannel = vchannel;
                this.keepalive = keepalive;
                this.lastActivity = now;
            }
        }

        final List<Txn> txns = new ArrayList<>();
        final List<String> history = new ArrayList<>();
        long clock;

        Model(long clock) {
            this.clock = clock;
        }

        void begin(Begin b, long id) {
            txns.add(new Txn(id, b.vchannel(), b.keepalive() == 0 ? CONFIG.keepalive().toMillis() : b.keepalive(), clock));
        }

        /** The n-th most recent transaction; null for the made-up ids. */
        Txn pick(int ref) {
            return ref < 0 || txns.isEmpty() ? null : txns.get(txns.size() - 1 - ref % txns.size());
        }

        long idOf(int ref) {
            return ref == -2 ? 1 : HybridTimestamps.compose(clock + 1_000_000_000L, 0);
        }

        /** The refusal of a step on {@code txn} because of its phase or expiry, or null if it is open. */
        private ErrorCode stateRefusal(Txn txn, int refWhenUnknown) {
            if (txn == null) {
                return refWhenUnknown == -2 ? ErrorCode.TRANSACTION_EXPIRED : ErrorCode.INVALID_TRANSACTION_STATE;
            }
            if (txn.phase == Phase.COMMITTED) {
                return ErrorCode.INVALID_TRANSACTION_STATE;
            }
            if (txn.phase == Phase.ENDED) {
                return txn.endCode;
            }
            if (clock > txn.lastActivity + txn.keepalive) {
                end(txn, ErrorCode.TRANSACTION_EXPIRED);
                return ErrorCode.TRANSACTION_EXPIRED;
            }
            return null;
        }

        ErrorCode body(Txn txn, Body b, String vchannel, int size, String payload) {
            ErrorCode refusal = stateRefusal(txn, b.txn());
            if (refusal != null) {
                return refusal;
            }
            if (b.ddl() || !VCHANNELS.get(txn.vchannel).equals(vchannel) || txn.bytes + size > CONFIG.maxBytes()) {
                end(txn, ErrorCode.INVALID_TRANSACTION_STATE);
                return ErrorCode.INVALID_ARGUMENT;
            }
            txn.bytes += size;
            txn.lastActivity = clock;
            txn.bodies.add(payload);
            return null;
        }

        ErrorCode commit(Txn txn, int ref) {
            ErrorCode refusal = stateRefusal(txn, ref);
            if (refusal == null) {
                txn.phase = Phase.COMMITTED;
            }
            return refusal;
        }

        ErrorCode rollback(Txn txn, int ref) {
            ErrorCode refusal = stateRefusal(txn, ref);
            if (refusal == null) {
                end(txn, ErrorCode.INVALID_TRANSACTION_STATE);
            }
            return refusal;
        }

        void ddl(int vchannel) {
            for (Txn txn : txns) {
                if (txn.phase == Phase.OPEN && txn.vchannel == vchannel) {
                    end(txn, ErrorCode.INVALID_TRANSACTION_STATE);
                }
            }
        }

        void tick() {
            for (Txn txn : txns) {
                if (txn.phase == Phase.OPEN && clock > txn.lastActivity + txn.keepalive) {
                    end(txn, ErrorCode.TRANSACTION_EXPIRED);
                }
            }
        }

        private static void end(Txn txn, ErrorCode code) {
            txn.phase = Phase.ENDED;
            txn.endCode = code;
        }
    }
}
