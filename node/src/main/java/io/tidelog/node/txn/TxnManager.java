package io.tidelog.node.txn;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MessageKind;
import io.tidelog.message.MutableMessage;
import io.tidelog.node.AppendResult;
import io.tidelog.node.StreamingWal;
import io.tidelog.node.WalExtension;
import io.tidelog.node.state.PchannelState;
import io.tidelog.proto.BeginTxnHeader;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.RollbackTxnHeader;
import io.tidelog.tso.HybridTimestamps;
import io.tidelog.tso.TimestampAllocator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Transactions within one vchannel, on the append side: assigns transaction ids, checks every step of a
 * transaction, expires idle ones, aborts them on DDL, and keeps the last-confirmed id of every message at or
 * before the BeginTxn of every open transaction. Scanners assemble what it lets into the log
 * ({@code TxnBuffer}); consumers see a committed transaction as one {@code TXN} message and nothing else of
 * any transaction.
 *
 * <p><b>Protocol.</b> A client appends a BeginTxn on a vchannel (its {@link BeginTxnHeader} may name a
 * keepalive; otherwise {@code txn.keepalive}); the node assigns the id, a fresh TSO timestamp (so ids are
 * unique on the pchannel across restarts and terms), stamps the begin with it and returns it in the
 * {@link AppendResult#txnId()}. Bodies (Insert, Delete, Raw), then one CommitTxn or RollbackTxn, name the
 * transaction by that id and must be on its vchannel.
 *
 * <pre>
 *                 begin acknowledged        commit accepted             commit published
 *   BEGINNING ───────────────────────▶ IN_FLIGHT ─────────────▶ ON_COMMIT ─────────────────▶ committed
 *        │ begin failed                   │  ▲ body (restarts the keepalive)  │ a body or the commit failed
 *        ▼                                │  └─┘                              ▼
 *     (gone)                              └──────────────────────────────▶ ON_ROLLBACK ─────▶ rolled back
 *                 rollback, expiry, DDL on the vchannel, a failed body                 rollback published
 * </pre>
 *
 * Commit waits for the transaction's bodies in flight to be durable, then appends the CommitTxn; a body
 * arriving once the commit was accepted fails. Rolled-back transactions get a RollbackTxn in the log: the
 * client's, or one the node appends itself ({@link StreamingWal#appendSystem}) when the transaction expired,
 * a DDL aborted it, one of its bodies failed, its commit failed, or the pchannel reopened (at {@link #bind}
 * every transaction left open in the replayed log is rolled back: its client session is gone).
 *
 * <p><b>Errors</b> of a step (the step writes nothing):
 * <ul>
 *   <li>{@code INVALID_TRANSACTION_STATE}: the transaction is unknown, not yet begun, being committed,
 *       committed, or rolled back (the message says which and why);</li>
 *   <li>{@code TRANSACTION_EXPIRED}: its keepalive ran out (it is rolled back now, if it was not yet), or it
 *       was begun in an earlier term of the pchannel (a transaction does not outlive its node);</li>
 *   <li>{@code INVALID_ARGUMENT}: a BeginTxn with a bad keepalive; a commit or rollback naming no
 *       transaction or on another vchannel; a body of a type that cannot be in a transaction, on another
 *       vchannel, or beyond {@code txn.max.bytes} (these three also fail the transaction);</li>
 *   <li>{@code RESOURCE_EXHAUSTED}: a BeginTxn beyond {@code txn.max.open}, or a body beyond
 *       {@code txn.max.open.bytes} (which also fails the transaction).</li>
 * </ul>
 *
 * <p><b>Time.</b> Expiry is judged in the TSO's physical time: a transaction expires once the physical part of
 * a fresh timestamp (on a step) or of a TimeTick ({@link #onTimeTick}, which rolls back every expired
 * transaction) exceeds its last activity (begin or body) plus its keepalive.
 *
 * <p><b>Order.</b> Place it after {@code VchannelLocks}: a DDL then reaches it only when no step of a
 * transaction of its vchannel is in flight, and its RollbackTxns follow the DDL in the log (they are appended
 * once the DDL is durable, before the DDL's lock is released).
 *
 * <p><b>Threads.</b> Steps arrive on appenders' threads, {@link #observe} on the WAL's publishing thread,
 * {@link #onTimeTick} on the ticker; the state is guarded by this object's monitor, which is never held while
 * appending. Work that follows an acknowledgement (a commit that waited for its bodies, rollbacks after a DDL
 * or a failed body) runs on {@code continuations}, never on the backend's acknowledgement thread.
 */
public final class TxnManager implements WalExtension {
    private static final Logger LOG = LoggerFactory.getLogger(TxnManager.class);

    private enum State { BEGINNING, IN_FLIGHT, ON_COMMIT, ON_ROLLBACK }

    /** How a finished (or finishing) transaction answers later steps. */
    private record Ending(String vchannel, ErrorCode code, String what) {
        StreamingException refusal(long id) {
            return new StreamingException(code, "transaction " + id + " on " + vchannel + " " + what);
        }
    }

    /** One transaction not yet finished. Guarded by the manager. */
    private static final class Session {
        final long id;
        final String vchannel;
        final long keepaliveMillis;
        State state = State.BEGINNING;
        MessageId beginId;
        long deadlineMillis;
        long bytes;
        int bodiesInFlight;
        /** The commit waiting for the bodies in flight. */
        Runnable whenBodiesDone;
        /** The first body that failed while the commit waited. */
        StreamingException bodyFailure;
        /** Why it is ending, once ON_ROLLBACK. */
        Ending ending;

        Session(long id, String vchannel, long keepaliveMillis) {
            this.id = id;
            this.vchannel = vchannel;
            this.keepaliveMillis = keepaliveMillis;
            this.deadlineMillis = HybridTimestamps.physicalMillis(id) + keepaliveMillis;
        }
    }

    private final TxnConfig config;
    private final TimestampAllocator tso;
    private final Executor continuations;
    private final Map<Long, Session> sessions = new HashMap<>();
    /** Begin ids of the published, unfinished transactions: the first is the last-confirmed limit. */
    private final TreeSet<MessageId> openBegins = new TreeSet<>();
    /** Transactions finished in this term, newest last, bounded. */
    private final LinkedHashMap<Long, Ending> ended;
    /** Which transactions are open in the log (at bind every one of them is of an earlier term). */
    private volatile PchannelState state;
    private long openBytes;
    private volatile MessageId limit;
    private volatile StreamingWal wal;
    /** Ids below this were begun in an earlier term: the time tick of this term's first TimeTick. */
    private volatile long termStart;

    /**
     * @param tso           where transaction ids and the time of each step come from (the WAL's TSO)
     * @param continuations runs what follows an acknowledgement (see the class comment); must not run tasks
     *                      on the caller's thread while the caller holds a lock of the WAL
     */
    public TxnManager(TxnConfig config, TimestampAllocator tso, Executor continuations) {
        this.config = config;
        this.tso = tso;
        this.continuations = continuations;
        int remembered = Math.max(1024, 4 * config.maxOpen());
        this.ended = new LinkedHashMap<>(16, 0.75f, false) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, Ending> eldest) {
                return size() > remembered;
            }
        };
    }

    // ------------------------------------------------------------------ append side

    /** A message outside every transaction that aborts none (no DDL) passes untouched. */
    @Override
    public boolean isPlain(MutableMessage message) {
        MessageType type = message.type();
        return type != MessageType.BEGIN_TXN && type != MessageType.COMMIT_TXN && type != MessageType.ROLLBACK_TXN
                && message.txn() == null && !MessageKind.isExclusive(type);
    }

    @Override
    public CompletableFuture<AppendResult> append(MutableMessage message, Next next) {
        MessageType type = message.type();
        if (type == MessageType.BEGIN_TXN) {
            return begin(message, next);
        }
        if (type == MessageType.COMMIT_TXN) {
            return commit(message, next);
        }
        if (type == MessageType.ROLLBACK_TXN) {
            return rollback(message, next);
        }
        if (message.txn() != null) {
            return body(message, next);
        }
        if (MessageKind.isExclusive(type)) {
            return next.append(message).thenApply(r -> {
                abortOpenOn(message.vchannel(), "a " + type + " at " + r.id() + " aborted it");
                return r;
            });
        }
        return next.append(message);
    }

    private CompletableFuture<AppendResult> begin(MutableMessage begin, Next next) {
        long keepalive;
        try {
            keepalive = keepaliveOf(begin);
        } catch (StreamingException e) {
            return CompletableFuture.failedFuture(e);
        }
        long id = tso.next();
        Session s = new Session(id, begin.vchannel(), keepalive);
        synchronized (this) {
            if (sessions.size() >= config.maxOpen()) {
                return CompletableFuture.failedFuture(new StreamingException(ErrorCode.RESOURCE_EXHAUSTED, "pchannel "
                        + begin.pchannel() + " has " + sessions.size() + " open transactions, the limit is "
                        + config.maxOpen() + " (" + TxnConfig.PREFIX + "max.open); commit or roll back some first"));
            }
            sessions.put(id, s);
        }
        return next.append(begin.withTxn(id, keepalive)).whenComplete((r, e) -> {
            if (e != null) {
                synchronized (this) {
                    if (s.state == State.BEGINNING) {
                        sessions.remove(id);
                    }
                }
            }
        }).thenApply(r -> r.withTxnId(id));
    }

    private long keepaliveOf(MutableMessage begin) {
        if (begin.txn() != null) {
            throw StreamingException.invalidArgument("a BEGIN_TXN names no transaction: the node assigns its id");
        }
        long asked = begin.header(BeginTxnHeader.class).getKeepaliveMillis();
        if (asked < 0 || asked > config.maxKeepalive().toMillis()) {
            throw StreamingException.invalidArgument("a transaction's keepalive must lie in [1, "
                    + config.maxKeepalive().toMillis() + "] ms (" + TxnConfig.PREFIX + "keepalive.max), or be 0 for the"
                    + " default of " + config.keepalive().toMillis() + " ms; got " + asked);
        }
        return asked == 0 ? config.keepalive().toMillis() : asked;
    }

    private CompletableFuture<AppendResult> body(MutableMessage body, Next next) {
        long id = body.txn().getTxnId();
        long now = now();
        int size = body.serializedSize();
        Session s;
        StreamingException refusal;
        boolean rollBack = false;
        synchronized (this) {
            s = sessions.get(id);
            refusal = refusal(s, id);
            if (refusal == null && expireIfDue(s, now)) {
                refusal = s.ending.refusal(id);
                rollBack = true;
            }
            if (refusal == null) {
                refusal = bodyProblem(s, body, size);
                if (refusal != null) {
                    end(s, ErrorCode.INVALID_TRANSACTION_STATE, "was rolled back: a body was refused: " + refusal.getMessage());
                    rollBack = true;
                }
            }
            if (refusal == null) {
                s.bytes += size;
                openBytes += size;
                s.bodiesInFlight++;
                s.deadlineMillis = now + s.keepaliveMillis;
            }
        }
        if (refusal != null) {
            if (rollBack) {
                appendRollback(s.id, s.vchannel, s.keepaliveMillis);
            }
            return CompletableFuture.failedFuture(refusal);
        }
        return next.append(body.withTxn(id, s.keepaliveMillis))
                .whenComplete((r, e) -> bodyDone(s, e))
                .thenApply(r -> r.withTxnId(id));
    }

    /** Under the monitor: what is wrong with {@code body} in the open transaction {@code s}, or null. */
    private StreamingException bodyProblem(Session s, MutableMessage body, int size) {
        if (!MessageKind.isTxnBody(body.type())) {
            return StreamingException.invalidArgument("a " + body.type() + " message cannot be part of a transaction"
                    + " (only INSERT, DELETE and RAW can)");
        }
        if (!s.vchannel.equals(body.vchannel())) {
            return StreamingException.invalidArgument("transaction " + s.id + " is on " + s.vchannel
                    + "; a body on " + body.vchannel() + " cannot join it");
        }
        if (s.bytes + size > config.maxBytes()) {
            return StreamingException.invalidArgument("transaction " + s.id + " would hold " + (s.bytes + size)
                    + " bytes of bodies, the limit is " + config.maxBytes() + " (" + TxnConfig.PREFIX + "max.bytes)");
        }
        if (openBytes + size > config.maxOpenBytes()) {
            return new StreamingException(ErrorCode.RESOURCE_EXHAUSTED, "the open transactions of pchannel "
                    + body.pchannel() + " would hold " + (openBytes + size) + " bytes of bodies, the limit is "
                    + config.maxOpenBytes() + " (" + TxnConfig.PREFIX + "max.open.bytes)");
        }
        return null;
    }

    /** A body's append completed (on the acknowledgement thread): a failure fails the transaction. */
    private void bodyDone(Session s, Throwable error) {
        Runnable commit = null;
        boolean rollBack = false;
        synchronized (this) {
            s.bodiesInFlight--;
            if (error != null) {
                StreamingException cause = StreamingException.from(error);
                if (s.state == State.IN_FLIGHT) {
                    end(s, ErrorCode.INVALID_TRANSACTION_STATE, "was rolled back: a body failed: " + cause.getMessage());
                    rollBack = true;
                } else if (s.state == State.ON_COMMIT && s.bodyFailure == null) {
                    s.bodyFailure = cause;
                }
            }
            if (s.bodiesInFlight == 0 && s.whenBodiesDone != null) {
                commit = s.whenBodiesDone;
                s.whenBodiesDone = null;
            }
        }
        if (rollBack) {
            continuations.execute(() -> appendRollback(s.id, s.vchannel, s.keepaliveMillis));
        }
        if (commit != null) {
            continuations.execute(commit);
        }
    }

    private CompletableFuture<AppendResult> commit(MutableMessage commit, Next next) {
        Session s;
        StreamingException refusal;
        boolean expired = false;
        long now = now();
        synchronized (this) {
            s = commit.txn() == null ? null : sessions.get(commit.txn().getTxnId());
            refusal = stepRefusal(s, commit);
            if (refusal == null && expireIfDue(s, now)) {
                refusal = s.ending.refusal(s.id);
                expired = true;
            }
            if (refusal == null) {
                s.state = State.ON_COMMIT;
            }
        }
        if (refusal != null) {
            if (expired) {
                appendRollback(s.id, s.vchannel, s.keepaliveMillis);
            }
            return CompletableFuture.failedFuture(refusal);
        }
        CompletableFuture<AppendResult> result = new CompletableFuture<>();
        Runnable proceed = () -> finishCommit(s, commit, next, result);
        synchronized (this) {
            if (s.bodiesInFlight > 0) {
                s.whenBodiesDone = proceed;
                proceed = null;
            }
        }
        if (proceed != null) {
            proceed.run();
        }
        return result;
    }

    /** Every body of {@code s} is done: append the commit, unless a body failed. */
    private void finishCommit(Session s, MutableMessage commit, Next next, CompletableFuture<AppendResult> result) {
        StreamingException failed;
        synchronized (this) {
            failed = s.bodyFailure;
            if (failed != null) {
                end(s, ErrorCode.INVALID_TRANSACTION_STATE, "was rolled back: a body failed: " + failed.getMessage());
            }
        }
        if (failed != null) {
            appendRollback(s.id, s.vchannel, s.keepaliveMillis);
            result.completeExceptionally(new StreamingException(ErrorCode.INVALID_TRANSACTION_STATE, "transaction "
                    + s.id + " is rolled back, not committed: a body failed: " + failed.getMessage(), failed));
            return;
        }
        next.append(commit.withTxn(s.id, s.keepaliveMillis)).whenComplete((r, e) -> {
            if (e == null) {
                result.complete(r.withTxnId(s.id));
                return;
            }
            StreamingException cause = StreamingException.from(e);
            boolean rollBack;
            synchronized (this) {
                rollBack = s.state == State.ON_COMMIT;
                if (rollBack) {
                    end(s, ErrorCode.INVALID_TRANSACTION_STATE, "was rolled back: its commit failed: " + cause.getMessage());
                }
            }
            if (rollBack) {
                continuations.execute(() -> appendRollback(s.id, s.vchannel, s.keepaliveMillis));
            }
            result.completeExceptionally(cause);
        });
    }

    private CompletableFuture<AppendResult> rollback(MutableMessage rollback, Next next) {
        Session s;
        StreamingException refusal;
        boolean expired = false;
        long now = now();
        synchronized (this) {
            s = rollback.txn() == null ? null : sessions.get(rollback.txn().getTxnId());
            refusal = stepRefusal(s, rollback);
            if (refusal == null && expireIfDue(s, now)) {
                refusal = s.ending.refusal(s.id);
                expired = true;
            }
            if (refusal == null) {
                end(s, ErrorCode.INVALID_TRANSACTION_STATE, "was rolled back by its client");
            }
        }
        if (refusal != null) {
            if (expired) {
                appendRollback(s.id, s.vchannel, s.keepaliveMillis);
            }
            return CompletableFuture.failedFuture(refusal);
        }
        return next.append(rollback.withTxn(s.id, s.keepaliveMillis)).whenComplete((r, e) -> {
            if (e != null) {
                // nothing written, or the WAL stopped: make sure a rollback is in the log if the WAL still serves
                continuations.execute(() -> appendRollback(s.id, s.vchannel, s.keepaliveMillis));
            }
        }).thenApply(r -> r.withTxnId(s.id));
    }

    /** Under the monitor: why a commit or rollback of {@code s} cannot proceed, or null. */
    private StreamingException stepRefusal(Session s, MutableMessage step) {
        if (step.txn() == null) {
            return StreamingException.invalidArgument("a " + step.type() + " must name its transaction by the id its"
                    + " BEGIN_TXN returned");
        }
        StreamingException refusal = refusal(s, step.txn().getTxnId());
        if (refusal == null && !s.vchannel.equals(step.vchannel())) {
            return StreamingException.invalidArgument("transaction " + s.id + " is on " + s.vchannel + ", not on "
                    + step.vchannel());
        }
        return refusal;
    }

    /** Under the monitor: why transaction {@code id} (its session {@code s}, or null) takes no step, or null. */
    private StreamingException refusal(Session s, long id) {
        if (id <= 0) {
            return StreamingException.invalidArgument("a transaction id is positive, got " + id);
        }
        if (s == null) {
            Ending e = ended.get(id);
            if (e != null) {
                return e.refusal(id);
            }
            if (id < termStart) {
                return new StreamingException(ErrorCode.TRANSACTION_EXPIRED, "transaction " + id + " was begun before"
                        + " this pchannel's term began: a transaction does not outlive the term of its node; begin a"
                        + " new one");
            }
            return new StreamingException(ErrorCode.INVALID_TRANSACTION_STATE, "transaction " + id
                    + " is unknown on this pchannel");
        }
        switch (s.state) {
            case BEGINNING:
                return new StreamingException(ErrorCode.INVALID_TRANSACTION_STATE, "transaction " + id
                        + " is not begun yet: its BEGIN_TXN is not acknowledged");
            case ON_COMMIT:
                return new StreamingException(ErrorCode.INVALID_TRANSACTION_STATE, "transaction " + id + " on "
                        + s.vchannel + " is being committed");
            case ON_ROLLBACK:
                return s.ending.refusal(id);
            default:
                return null;
        }
    }

    /** Under the monitor: ends {@code s} (IN_FLIGHT) as expired if its keepalive ran out by {@code nowMillis}. */
    private boolean expireIfDue(Session s, long nowMillis) {
        if (s.state != State.IN_FLIGHT || nowMillis <= s.deadlineMillis) {
            return false;
        }
        end(s, ErrorCode.TRANSACTION_EXPIRED, "expired: nothing was appended to it for longer than its keepalive of "
                + s.keepaliveMillis + " ms (" + (nowMillis - s.deadlineMillis + s.keepaliveMillis) + " ms)");
        StreamingWal w = wal;
        if (w != null) {
            w.metrics().transactionExpired();
        }
        return true;
    }

    /** Under the monitor: {@code s} is rolled back from now on; the caller appends the RollbackTxn. */
    private void end(Session s, ErrorCode code, String what) {
        s.state = State.ON_ROLLBACK;
        s.ending = new Ending(s.vchannel, code, what);
    }

    private void abortOpenOn(String vchannel, String why) {
        List<Session> aborted = new ArrayList<>();
        synchronized (this) {
            for (Session s : sessions.values()) {
                if (s.state == State.IN_FLIGHT && s.vchannel.equals(vchannel)) {
                    end(s, ErrorCode.INVALID_TRANSACTION_STATE, "was rolled back: " + why);
                    aborted.add(s);
                }
            }
        }
        if (!aborted.isEmpty()) {
            continuations.execute(() -> aborted.forEach(s -> appendRollback(s.id, s.vchannel, s.keepaliveMillis)));
        }
    }

    /** Appends the node's own RollbackTxn; never under the monitor. */
    private void appendRollback(long id, String vchannel, long keepaliveMillis) {
        assert !Thread.holdsLock(this) : "the transaction manager appends without holding its monitor";
        StreamingWal w = wal;
        MutableMessage rollback = MutableMessage.builder(MessageType.ROLLBACK_TXN, vchannel)
                .header(RollbackTxnHeader.getDefaultInstance()).build().withTxn(id, keepaliveMillis);
        w.appendSystem(rollback).whenComplete((r, e) -> {
            if (e != null) {
                LOG.warn("pchannel {}: the rollback of transaction {} on {} failed: {}", w.pchannel(), id, vchannel,
                        e.toString());
            }
        });
    }

    private long now() {
        return HybridTimestamps.physicalMillis(tso.next());
    }

    // ------------------------------------------------------------------ the log

    @Override
    public void observe(ImmutableMessage m, boolean replay) {
        if (m.txn() == null || !MessageKind.isTxnControl(m.type())) {
            return;
        }
        if (replay) {
            return;
        }
        long id = m.txn().getTxnId();
        synchronized (this) {
            Session s = sessions.get(id);
            if (s == null) {
                return;
            }
            if (m.type() == MessageType.BEGIN_TXN) {
                if (s.state == State.BEGINNING) {
                    s.state = State.IN_FLIGHT;
                    s.beginId = m.id();
                    openBegins.add(m.id());
                    limit = openBegins.first();
                }
                return;
            }
            sessions.remove(id);
            openBytes -= s.bytes;
            if (s.beginId != null) {
                openBegins.remove(s.beginId);
                limit = openBegins.isEmpty() ? null : openBegins.first();
            }
            ended.put(id, m.type() == MessageType.COMMIT_TXN
                    ? new Ending(s.vchannel, ErrorCode.INVALID_TRANSACTION_STATE, "is committed")
                    : s.ending != null ? s.ending
                    : new Ending(s.vchannel, ErrorCode.INVALID_TRANSACTION_STATE, "was rolled back"));
        }
    }

    @Override
    public void attach(PchannelState state) {
        this.state = state;
    }

    /**
     * Rolls back every transaction the replay left open in the log (the pchannel state knows which): their client
     * sessions are gone with the old node.
     */
    @Override
    public void bind(StreamingWal w) {
        this.wal = w;
        this.termStart = w.lastTimeTick();
        Map<Long, String> left = state == null ? Map.of() : state.openTxns();
        if (!left.isEmpty()) {
            LOG.info("pchannel {} term {}: rolling back {} transactions left open by the previous term", w.pchannel(),
                    w.term(), left.size());
        }
        left.forEach((id, vchannel) -> appendRollback(id, vchannel, 0));
    }

    @Override
    public MessageId lastConfirmedLimit() {
        return limit;
    }

    /** Rolls back every transaction whose keepalive ran out by this TimeTick's physical time. */
    @Override
    public void onTimeTick(long timeTick) {
        long now = HybridTimestamps.physicalMillis(timeTick);
        List<Session> expired = new ArrayList<>();
        synchronized (this) {
            for (Session s : sessions.values()) {
                if (expireIfDue(s, now)) {
                    expired.add(s);
                }
            }
        }
        expired.forEach(s -> appendRollback(s.id, s.vchannel, s.keepaliveMillis));
    }

    // ------------------------------------------------------------------ status

    /** Transactions not yet finished (begun, open, committing or rolling back). */
    public synchronized int openTransactions() {
        return sessions.size();
    }

    /** Encoded bytes of the bodies of the unfinished transactions. */
    public synchronized long openBytes() {
        return openBytes;
    }
}
