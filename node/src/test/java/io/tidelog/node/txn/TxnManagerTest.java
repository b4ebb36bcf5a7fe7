package io.tidelog.node.txn;

import static io.tidelog.node.txn.TxnTestbed.begin;
import static io.tidelog.node.txn.TxnTestbed.commit;
import static io.tidelog.node.txn.TxnTestbed.data;
import static io.tidelog.node.txn.TxnTestbed.ddl;
import static io.tidelog.node.txn.TxnTestbed.failure;
import static io.tidelog.node.txn.TxnTestbed.raw;
import static io.tidelog.node.txn.TxnTestbed.rollback;
import static io.tidelog.node.txn.TxnTestbed.text;
import static io.tidelog.node.txn.TxnTestbed.v;
import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.node.AppendResult;
import io.tidelog.node.scan.ReadOptions;
import io.tidelog.node.testing.HoldingWal;
import io.tidelog.proto.MessageType;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.LogRecord;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalScanner;
import io.tidelog.wal.memory.MemoryStorage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TxnManagerTest {
    static final String A = v("a");
    static final String B = v("b");

    final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    TxnTestbed testbed(Map<String, String> txnConfig) {
        TxnTestbed t = new TxnTestbed(TxnConfig.from(txnConfig));
        toClose.add(t);
        return t;
    }

    TxnTestbed testbed() {
        return testbed(Map.of());
    }

    static ReadOptions all() {
        return ReadOptions.from(DeliverPolicy.all());
    }

    @Test
    void aCommittedTransactionIsDeliveredAsOneTxnMessageAtItsCommitsPositionAndTimeTick() throws Exception {
        TxnTestbed t = testbed();
        AppendResult begun = t.append(begin(A, 0));
        long id = begun.txnId();
        assertThat(id).isPositive();
        assertThat(t.append(raw(A, "one", id)).txnId()).isEqualTo(id);
        t.append(raw(A, "between"));
        t.append(raw(A, "two", id));
        AppendResult committed = t.append(commit(A, id));
        assertThat(committed.txnId()).isEqualTo(id);

        List<ImmutableMessage> got = data(t.readToEnd(all(), A));
        assertThat(got).extracting(ImmutableMessage::type).containsExactly(MessageType.RAW, MessageType.TXN);
        assertThat(text(got.get(0))).isEqualTo("between");
        ImmutableMessage txn = got.get(1);
        assertThat(txn.id()).isEqualTo(committed.id());
        assertThat(txn.timeTick()).isEqualTo(committed.timeTick());
        assertThat(txn.txn().getTxnId()).isEqualTo(id);
        List<ImmutableMessage> parts = txn.txnMessages();
        assertThat(parts).extracting(ImmutableMessage::type).containsExactly(MessageType.BEGIN_TXN, MessageType.RAW,
                MessageType.RAW, MessageType.COMMIT_TXN);
        assertThat(parts.get(0).id()).isEqualTo(begun.id());
        assertThat(List.of(text(parts.get(1)), text(parts.get(2)))).containsExactly("one", "two");
        assertThat(parts).allSatisfy(p -> assertThat(p.txn().getTxnId()).isEqualTo(id));
        assertThat(parts.get(0).txn().getKeepaliveMillis()).isEqualTo(10_000);
    }

    @Test
    void aRolledBackTransactionDeliversNothingAndItsIdTakesNoFurtherStep() throws Exception {
        TxnTestbed t = testbed();
        long id = t.beginTxn(A);
        t.append(raw(A, "doomed", id));
        assertThat(t.append(rollback(A, id)).txnId()).isEqualTo(id);

        assertThat(failure(t.wal.append(raw(A, "late", id)))).isEqualTo(ErrorCode.INVALID_TRANSACTION_STATE);
        assertThat(failure(t.wal.append(commit(A, id)))).isEqualTo(ErrorCode.INVALID_TRANSACTION_STATE);
        assertThat(data(t.readToEnd(all(), A))).isEmpty();
        assertThat(t.txns.openTransactions()).isZero();
        assertThat(t.txns.openBytes()).isZero();
    }

    @Test
    void stepsOfAnUnknownTransactionOrOnTheWrongVchannelAreRefused() throws Exception {
        TxnTestbed t = testbed();
        long id = t.beginTxn(A);
        long unknown = id + 1_000_000;
        assertThat(failure(t.wal.append(raw(A, "x", unknown)))).isEqualTo(ErrorCode.INVALID_TRANSACTION_STATE);
        assertThat(failure(t.wal.append(commit(A, unknown)))).isEqualTo(ErrorCode.INVALID_TRANSACTION_STATE);
        assertThat(failure(t.wal.append(commit(B, id)))).as("commit on another vchannel").isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(failure(t.wal.append(commit(A, 0)))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(failure(t.wal.append(begin(A, -5)))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(failure(t.wal.append(begin(A, Duration.ofHours(2).toMillis())))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        // a body on another vchannel fails its transaction
        assertThat(failure(t.wal.append(raw(B, "elsewhere", id)))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(failure(t.wal.append(commit(A, id)))).isEqualTo(ErrorCode.INVALID_TRANSACTION_STATE);
        assertThat(data(t.readToEnd(all(), A))).isEmpty();
    }

    @Test
    void aBodyBeyondTheTransactionsByteLimitFailsTheTransaction() throws Exception {
        TxnTestbed t = testbed(Map.of("txn.max.bytes", "1KiB"));
        long id = t.beginTxn(A);
        t.append(raw(A, "x".repeat(600), id));
        assertThat(failure(t.wal.append(raw(A, "y".repeat(600), id)))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(failure(t.wal.append(commit(A, id)))).isEqualTo(ErrorCode.INVALID_TRANSACTION_STATE);
        assertThat(data(t.readToEnd(all(), A))).isEmpty();
        assertThat(t.txns.openBytes()).isZero();
    }

    @Test
    void beginsBeyondTheOpenLimitAndBodiesBeyondTheOpenBytesAreRefused() throws Exception {
        TxnTestbed t = testbed(Map.of("txn.max.open", "2", "txn.max.bytes", "1KiB", "txn.max.open.bytes", "1500"));
        long first = t.beginTxn(A);
        long second = t.beginTxn(B);
        assertThat(failure(t.wal.append(begin(A, 0)))).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
        t.append(raw(A, "x".repeat(800), first));
        assertThat(failure(t.wal.append(raw(B, "y".repeat(800), second)))).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
        t.append(commit(A, first));
        long third = t.beginTxn(A);
        assertThat(third).isGreaterThan(second);
        assertThat(data(t.readToEnd(all(), A))).extracting(ImmutableMessage::type).containsExactly(MessageType.TXN);
    }

    @Test
    void aTransactionIdleBeyondItsKeepaliveExpiresAndIsRolledBackAtTheNextTimeTick() throws Exception {
        TxnTestbed t = testbed(Map.of("txn.keepalive", "1s"));
        long idle = t.beginTxn(A);
        long busy = t.beginTxn(A);
        long custom = t.append(begin(B, 5000)).txnId();
        t.tso.advance(700);
        t.append(raw(A, "keeps it alive", busy));
        t.tso.advance(700);
        t.wal.tick();
        assertThat(failure(t.wal.append(raw(A, "too late", idle)))).isEqualTo(ErrorCode.TRANSACTION_EXPIRED);
        assertThat(failure(t.wal.append(commit(A, idle)))).isEqualTo(ErrorCode.TRANSACTION_EXPIRED);
        t.append(commit(A, busy));
        t.append(commit(B, custom));
        // expiry on a step, before any TimeTick sweeps it
        long late = t.beginTxn(A);
        t.tso.advance(1001);
        assertThat(failure(t.wal.append(commit(A, late)))).isEqualTo(ErrorCode.TRANSACTION_EXPIRED);

        List<ImmutableMessage> got = data(t.readToEnd(all(), A));
        assertThat(got).extracting(m -> m.txn().getTxnId()).containsExactly(busy, custom);
        assertThat(rolledBackInTheLog(t)).contains(idle, late);
    }

    @Test
    void aDdlAbortsTheOpenTransactionsOfItsVchannelOnlyAndItsRollbacksFollowIt() throws Exception {
        TxnTestbed t = testbed();
        long onA = t.beginTxn(A);
        long onB = t.beginTxn(B);
        t.append(raw(A, "a1", onA));
        t.append(raw(B, "b1", onB));
        AppendResult drop = t.append(ddl(A));
        assertThat(failure(t.wal.append(raw(A, "a2", onA)))).isEqualTo(ErrorCode.INVALID_TRANSACTION_STATE);
        t.append(raw(B, "b2", onB));
        t.append(commit(B, onB));
        long after = t.beginTxn(A);
        t.append(raw(A, "a3", after));
        t.append(commit(A, after));

        List<ImmutableMessage> got = data(t.readToEnd(all(), A));
        assertThat(got).extracting(ImmutableMessage::type).containsExactly(MessageType.CREATE_PARTITION, MessageType.TXN,
                MessageType.TXN);
        assertThat(got.get(1).txn().getTxnId()).isEqualTo(onB);
        assertThat(got.get(2).txnMessages()).extracting(TxnTestbed::text).containsExactly("", "a3", "");
        MessageId rollbackAt = logIdOfRollback(t, onA);
        assertThat(rollbackAt).isGreaterThan(drop.id());
    }

    @Test
    void whileATransactionIsOpenNoMessageConfirmsPastItsBegin() throws Exception {
        TxnTestbed t = testbed();
        t.append(raw(B, "before"));
        AppendResult begun = t.append(begin(A, 0));
        List<AppendResult> during = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            during.add(t.append(raw(B, "plain" + i)));
            during.add(t.append(raw(A, "body" + i, begun.txnId())));
            t.wal.tick();
        }
        AppendResult committed = t.append(commit(A, begun.txnId()));
        AppendResult after1 = t.append(raw(B, "after1"));
        AppendResult after2 = t.append(raw(B, "after2"));
        for (AppendResult r : during) {
            assertThat(r.lastConfirmedId()).isLessThanOrEqualTo(begun.id());
        }
        assertThat(committed.lastConfirmedId()).isLessThanOrEqualTo(begun.id());
        assertThat(after2.lastConfirmedId()).isEqualTo(after1.id());
        // TimeTicks too
        for (ImmutableMessage m : t.readToEnd(all(), B)) {
            if (m.timeTick() > begun.timeTick() && m.timeTick() < committed.timeTick()) {
                assertThat(m.lastConfirmedId()).as("%s", m).isLessThanOrEqualTo(begun.id());
            }
        }
    }

    @Test
    void aScannerThatStartsAfterABeginDropsThatTransactionAndOneFromLastConfirmedSeesIt() throws Exception {
        TxnTestbed t = testbed();
        AppendResult begun = t.append(begin(A, 0));
        AppendResult body = t.append(raw(A, "one", begun.txnId()));
        t.append(commit(A, begun.txnId()));
        List<ImmutableMessage> late = data(t.readToEnd(ReadOptions.from(DeliverPolicy.startFrom(body.id())), A));
        assertThat(late).isEmpty();
        List<ImmutableMessage> resumed = data(t.readToEnd(ReadOptions.from(DeliverPolicy.startFrom(body.lastConfirmedId())), A));
        assertThat(resumed).extracting(ImmutableMessage::type).containsExactly(MessageType.TXN);
    }

    @Test
    void filtersJudgeATransactionByItsCommitsTimeTickItsVchannelAndTheTypeTxn() throws Exception {
        TxnTestbed t = testbed();
        AppendResult begun = t.append(begin(A, 0));
        AppendResult body = t.append(raw(A, "one", begun.txnId()));
        t.append(raw(B, "other"));
        AppendResult committed = t.append(commit(A, begun.txnId()));
        ReadOptions past = ReadOptions.from(DeliverPolicy.all()).withTimeTickGreaterThan(body.timeTick());
        assertThat(data(t.readToEnd(past, A))).extracting(ImmutableMessage::type).containsExactly(MessageType.RAW, MessageType.TXN);
        ReadOptions atCommit = ReadOptions.from(DeliverPolicy.all()).withTimeTickAtLeast(committed.timeTick());
        assertThat(data(t.readToEnd(atCommit, A))).extracting(ImmutableMessage::type).containsExactly(MessageType.TXN);
        ReadOptions afterCommit = ReadOptions.from(DeliverPolicy.all()).withTimeTickGreaterThan(committed.timeTick());
        assertThat(data(t.readToEnd(afterCommit, A))).isEmpty();
        ReadOptions onB = ReadOptions.from(DeliverPolicy.all()).withVchannel(B);
        assertThat(data(t.readToEnd(onB, B))).extracting(TxnTestbed::text).containsExactly("other");
        ReadOptions onA = ReadOptions.from(DeliverPolicy.all()).withVchannel(A);
        assertThat(data(t.readToEnd(onA, A))).extracting(ImmutableMessage::type).containsExactly(MessageType.TXN);
        ReadOptions rawOnly = ReadOptions.from(DeliverPolicy.all()).withTypes(Set.of(MessageType.RAW));
        assertThat(data(t.readToEnd(rawOnly, A))).extracting(TxnTestbed::text).containsExactly("other");
        ReadOptions txnOnly = ReadOptions.from(DeliverPolicy.all()).withTypes(Set.of(MessageType.TXN, MessageType.RAW));
        assertThat(data(t.readToEnd(txnOnly, A))).extracting(ImmutableMessage::type).containsExactly(MessageType.RAW, MessageType.TXN);
    }

    @Test
    void aTransactionLeftOpenByThePreviousTermIsRolledBackAtOpenAndItsIdHasExpired() throws Exception {
        MemoryStorage storage = new MemoryStorage();
        TxnTestbed.ManualTso tso = new TxnTestbed.ManualTso();
        long open;
        long done;
        try (TxnTestbed first = new TxnTestbed(TxnConfig.defaults(), storage, tso, 1, w -> w)) {
            open = first.beginTxn(A);
            first.append(raw(A, "never", open));
            done = first.beginTxn(A);
            first.append(raw(A, "whole", done));
            first.append(commit(A, done));
        }
        try (TxnTestbed second = new TxnTestbed(TxnConfig.defaults(), storage, tso, 2, w -> w)) {
            assertThat(failure(second.wal.append(commit(A, open)))).isEqualTo(ErrorCode.TRANSACTION_EXPIRED);
            assertThat(failure(second.wal.append(raw(A, "late", open)))).isEqualTo(ErrorCode.TRANSACTION_EXPIRED);
            List<ImmutableMessage> got = data(second.readToEnd(all(), A));
            assertThat(got).extracting(m -> m.txn().getTxnId()).containsExactly(done);
            assertThat(rolledBackInTheLog(second)).containsExactly(open);
        }
    }

    TxnTestbed holdingTestbed(HoldingWal[] holder) {
        TxnTestbed t = new TxnTestbed(TxnConfig.defaults(), new MemoryStorage(), new TxnTestbed.ManualTso(), 1,
                w -> holder[0] = new HoldingWal(w));
        toClose.add(t);
        return t;
    }

    @Test
    void aCommitWaitsForItsBodiesInFlightAndABodyAfterTheCommitFails() throws Exception {
        HoldingWal[] holder = new HoldingWal[1];
        TxnTestbed t = holdingTestbed(holder);
        long id = t.beginTxn(A);
        holder[0].hold();
        CompletableFuture<AppendResult> one = t.wal.append(raw(A, "one", id));
        CompletableFuture<AppendResult> two = t.wal.append(raw(A, "two", id));
        CompletableFuture<AppendResult> commit = t.wal.append(commit(A, id));
        assertThat(holder[0].heldCount()).as("the commit waits in the manager, not in the log").isEqualTo(2);
        assertThat(failure(t.wal.append(raw(A, "three", id)))).isEqualTo(ErrorCode.INVALID_TRANSACTION_STATE);
        assertThat(commit).isNotDone();
        holder[0].release();
        AppendResult committed = TxnTestbed.await(commit);
        assertThat(committed.id()).isGreaterThan(TxnTestbed.await(two).id());
        assertThat(TxnTestbed.await(one).txnId()).isEqualTo(id);
        List<ImmutableMessage> got = data(t.readToEnd(all(), A));
        assertThat(got).hasSize(1);
        assertThat(got.get(0).txnMessages()).extracting(TxnTestbed::text).containsExactly("", "one", "two", "");
    }

    @Test
    void aBodyThatFailsWhileItsCommitWaitsRollsTheTransactionBack() throws Exception {
        HoldingWal[] holder = new HoldingWal[1];
        TxnTestbed t = holdingTestbed(holder);
        long id = t.beginTxn(A);
        holder[0].hold();
        CompletableFuture<AppendResult> body = t.wal.append(raw(A, "one", id));
        CompletableFuture<AppendResult> commit = t.wal.append(commit(A, id));
        holder[0].failHeld(StreamingException.invalidArgument("refused by the test"));
        assertThat(failure(body)).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(failure(commit)).isEqualTo(ErrorCode.INVALID_TRANSACTION_STATE);
        assertThat(data(t.readToEnd(all(), A))).isEmpty();
        assertThat(rolledBackInTheLog(t)).containsExactly(id);
        assertThat(t.txns.openTransactions()).isZero();
    }

    @Test
    void aBodyThatFailsFailsItsOpenTransaction() throws Exception {
        HoldingWal[] holder = new HoldingWal[1];
        TxnTestbed t = holdingTestbed(holder);
        long id = t.beginTxn(A);
        t.append(raw(A, "fine", id));
        holder[0].hold();
        CompletableFuture<AppendResult> body = t.wal.append(raw(A, "refused", id));
        holder[0].failHeld(StreamingException.invalidArgument("refused by the test"));
        assertThat(failure(body)).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(failure(t.wal.append(commit(A, id)))).isEqualTo(ErrorCode.INVALID_TRANSACTION_STATE);
        assertThat(data(t.readToEnd(all(), A))).isEmpty();
    }

    /** Transaction ids of the RollbackTxns in the backend log. */
    static List<Long> rolledBackInTheLog(TxnTestbed t) throws InterruptedException {
        List<Long> ids = new ArrayList<>();
        for (ImmutableMessage m : backendLog(t)) {
            if (m.type() == MessageType.ROLLBACK_TXN) {
                ids.add(m.txn().getTxnId());
            }
        }
        return ids;
    }

    static MessageId logIdOfRollback(TxnTestbed t, long txnId) throws InterruptedException {
        for (ImmutableMessage m : backendLog(t)) {
            if (m.type() == MessageType.ROLLBACK_TXN && m.txn().getTxnId() == txnId) {
                return m.id();
            }
        }
        throw new AssertionError("no rollback of " + txnId + " in the log");
    }

    /** Every record of the backend up to the last readToEnd marker (which was durable before it returned). */
    static List<ImmutableMessage> backendLog(TxnTestbed t) throws InterruptedException {
        List<ImmutableMessage> out = new ArrayList<>();
        try (Wal ro = t.backend.open(OpenOptions.readOnly(TxnTestbed.P)); WalScanner s = ro.read(DeliverPolicy.all())) {
            LogRecord r;
            while ((r = s.poll(Duration.ZERO)) != null) {
                out.add(ImmutableMessage.decode(r.id(), r.payload()));
            }
        }
        return out;
    }
}
