package io.tidelog.client;

import com.google.protobuf.UnsafeByteOperations;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.MessageKind;
import io.tidelog.message.MessageLimits;
import io.tidelog.message.MutableMessage;
import io.tidelog.message.Vchannels;
import io.tidelog.proto.BeginTxnHeader;
import io.tidelog.proto.CommitTxnHeader;
import io.tidelog.proto.MessageEnvelope;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.RollbackTxnHeader;
import io.tidelog.proto.TxnContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A transaction on one vchannel, made by {@link StreamingClient#txn}: messages appended to it are delivered to
 * consumers all together, as one {@code TXN} message at the commit's position, or not at all.
 *
 * <pre>
 *  txn(v) ─▶ BeginTxn sent ─▶ append(m)... (Insert, Delete or Raw on v) ─▶ commit() ─▶ one TXN message
 *                                                                     └─▶ rollback() / close() ─▶ nothing
 * </pre>
 *
 * <p><b>Order.</b> The BeginTxn is sent at once; appends made before the node answered it wait in the
 * transaction and are sent, in order, as soon as it did (they need the transaction id it assigns). Appends
 * are pipelined: {@link #append} does not wait for the previous one. {@link #commit()} waits until every
 * append was acknowledged, then sends the CommitTxn.
 *
 * <p><b>All or nothing.</b> If any append of the transaction fails (refused by the client or the node, or its
 * outcome unknown), {@link #commit()} does not commit: it rolls the transaction back and fails with that
 * append's code. The node rolls a transaction back by itself when its keepalive runs out with no append
 * ({@code TRANSACTION_EXPIRED}), when a DDL reaches its vchannel, or when its pchannel moves to another
 * node or term ({@code TRANSACTION_EXPIRED}: begin a new transaction).
 *
 * <p><b>Errors</b> of the futures: those of {@link StreamingClient#append}, plus {@code INVALID_TRANSACTION_STATE}
 * (an append after {@code commit()} or {@code rollback()}, a commit after a rollback, or the node has already
 * finished the transaction) and {@code TRANSACTION_EXPIRED}. A commit that fails with "outcome unknown"
 * ({@code ON_SHUTDOWN} or {@code TIMEOUT}) may or may not have committed; consumers then see the transaction
 * wholly or not at all.
 *
 * <p><b>Threads.</b> Thread-safe; meant for one caller at a time. Futures complete on the client's executor.
 * {@link #close()} rolls back a transaction that was neither committed nor rolled back; idempotent.
 */
public final class Txn implements AutoCloseable {
    private enum State { OPEN, COMMITTING, ROLLING_BACK }

    private final StreamingClient client;
    private final String vchannel;
    /** The id, completed once the begin's answer was recorded (so everything chained on it sees the id). */
    private final CompletableFuture<Long> begun = new CompletableFuture<>();
    /** Guarded by this: every append of the transaction, in order (including those refused at once). */
    private final List<CompletableFuture<Appended>> appends = new ArrayList<>();
    /** Guarded by this: sends waiting for the begin's answer, in order. */
    private final List<Runnable> waitingForBegin = new ArrayList<>();
    /** Guarded by this: whether the begin was answered; then the id (0 if it failed) or why it failed. */
    private boolean answered;
    private long id;
    private StreamingException beginFailure;
    private State state = State.OPEN;
    private CompletableFuture<Appended> commit;
    private CompletableFuture<Void> rollback;

    Txn(StreamingClient client, String vchannel, Duration keepalive) {
        Vchannels.validateVchannel(vchannel);
        Objects.requireNonNull(keepalive, "keepalive");
        if (keepalive.isNegative()) {
            throw StreamingException.invalidArgument("a transaction's keepalive must not be negative, got " + keepalive);
        }
        this.client = client;
        this.vchannel = vchannel;
        MutableMessage m = MutableMessage.builder(MessageType.BEGIN_TXN, vchannel)
                .header(BeginTxnHeader.newBuilder().setKeepaliveMillis(keepalive.toMillis()).build()).build();
        client.send(m.envelope(), m.serializedSize()).whenComplete(this::answered);
    }

    /** The vchannel of the transaction. */
    public String vchannel() {
        return vchannel;
    }

    /** The id the node assigned, once it acknowledged the begin; fails as the begin did. */
    public CompletableFuture<Long> id() {
        return begun.thenApply(x -> x);
    }

    /**
     * Appends {@code message} (an Insert, Delete or Raw on this transaction's vchannel) to the transaction. The
     * future completes once the message is durable in the log; consumers see it only with the commit.
     */
    public CompletableFuture<Appended> append(MutableMessage message) {
        Objects.requireNonNull(message, "message");
        StreamingException problem = problemWith(message);
        CompletableFuture<Appended> result = new CompletableFuture<>();
        synchronized (this) {
            if (state != State.OPEN) {
                return CompletableFuture.failedFuture(new StreamingException(ErrorCode.INVALID_TRANSACTION_STATE,
                        "transaction on " + vchannel + ": " + (state == State.COMMITTING ? "commit" : "rollback")
                                + " was already called; no more appends"));
            }
            appends.add(result);
            if (problem != null) {
                result.completeExceptionally(problem);
                return result;
            }
            Runnable sending = () -> sendInTxn(message.envelope(), result);
            if (answered) {
                sending.run();
            } else {
                waitingForBegin.add(sending);
            }
        }
        return result;
    }

    /**
     * Appends a {@code RAW} message carrying {@code payload}; see {@link #append}. The array is wrapped, not
     * copied: the caller must not change it until the returned future completes (as
     * {@link StreamingClient#appendRaw(String, byte[])} says).
     */
    public CompletableFuture<Appended> appendRaw(byte[] payload) {
        return appendRaw(payload, Map.of());
    }

    /**
     * Appends a {@code RAW} message carrying {@code payload} and application {@code properties}; see {@link #append}.
     * The array is wrapped, not copied, as {@link #appendRaw(byte[])} says.
     */
    public CompletableFuture<Appended> appendRaw(byte[] payload, Map<String, String> properties) {
        MutableMessage m;
        try {
            m = MutableMessage.builder(MessageType.RAW, vchannel)
                    .payload(UnsafeByteOperations.unsafeWrap(Objects.requireNonNull(payload, "payload")))
                    .properties(properties)
                    .limits(client.messageLimits()).build();
        } catch (StreamingException e) {
            synchronized (this) {
                if (state == State.OPEN) {
                    appends.add(CompletableFuture.failedFuture(e));
                }
            }
            return CompletableFuture.failedFuture(e);
        }
        return append(m);
    }

    /**
     * Commits: waits until every append was acknowledged, then appends the CommitTxn. Completes once the commit
     * is durable, with the commit's {@link Appended} (where consumers find the {@code TXN} message). If an append
     * failed, rolls back instead and fails with that append's code. Calling it again returns the same future.
     */
    public CompletableFuture<Appended> commit() {
        List<CompletableFuture<Appended>> all;
        synchronized (this) {
            if (state == State.COMMITTING) {
                return commit;
            }
            if (state == State.ROLLING_BACK) {
                return CompletableFuture.failedFuture(new StreamingException(ErrorCode.INVALID_TRANSACTION_STATE,
                        "transaction on " + vchannel + " was rolled back; it cannot commit"));
            }
            state = State.COMMITTING;
            all = List.copyOf(appends);
            commit = begun.thenCompose(txnId -> firstFailure(all).thenCompose(failed -> {
                if (failed != null) {
                    sendStep(MessageType.ROLLBACK_TXN, txnId);
                    throw new StreamingException(failed.code(), "transaction " + txnId + " on " + vchannel
                            + " is rolled back, not committed: one of its appends failed: " + failed.detail(), failed);
                }
                return sendStep(MessageType.COMMIT_TXN, txnId);
            }));
            return commit;
        }
    }

    /**
     * Rolls back: the node drops the transaction, and consumers never see anything of it. Completes once the
     * RollbackTxn is durable, or at once if there is nothing to roll back (the begin failed, or the node has
     * already finished the transaction). Calling it again returns the same future.
     */
    public CompletableFuture<Void> rollback() {
        synchronized (this) {
            if (state == State.ROLLING_BACK) {
                return rollback;
            }
            if (state == State.COMMITTING) {
                return CompletableFuture.failedFuture(new StreamingException(ErrorCode.INVALID_TRANSACTION_STATE,
                        "transaction on " + vchannel + " is committing; it cannot roll back"));
            }
            state = State.ROLLING_BACK;
            rollback = begun.handle((txnId, e) -> e == null ? txnId : 0L)
                    .thenCompose(txnId -> txnId != 0 ? sendStep(MessageType.ROLLBACK_TXN, txnId).handle(Txn::rolledBack)
                            : CompletableFuture.<Void>completedFuture(null));
            return rollback;
        }
    }

    private static Void rolledBack(Appended a, Throwable e) {
        if (e != null) {
            StreamingException cause = StreamingException.from(e);
            // the node already finished it: rolled back, expired or aborted, which is what was asked
            if (cause.code() != ErrorCode.INVALID_TRANSACTION_STATE && cause.code() != ErrorCode.TRANSACTION_EXPIRED) {
                throw cause;
            }
        }
        return null;
    }

    /** {@link #append} and wait; see {@link StreamingClient#appendBlocking}. */
    public Appended appendBlocking(MutableMessage message) {
        return StreamingClient.await(append(message));
    }

    /** {@link #appendRaw(byte[])} and wait. */
    public Appended appendRawBlocking(byte[] payload) {
        return StreamingClient.await(appendRaw(payload));
    }

    /** {@link #commit()} and wait. */
    public Appended commitBlocking() {
        return StreamingClient.await(commit());
    }

    /** {@link #rollback()} and wait. */
    public void rollbackBlocking() {
        StreamingClient.await(rollback());
    }

    /** Rolls the transaction back (without waiting) unless commit or rollback was called. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (state != State.OPEN) {
                return;
            }
        }
        rollback();
    }

    // ---- internals ----

    /** The begin was answered: record the id, send what waited for it (in order), then release the chains. */
    private void answered(Appended a, Throwable e) {
        synchronized (this) {
            answered = true;
            if (e != null) {
                beginFailure = StreamingException.from(e);
            } else if (a.txnId() <= 0) {
                beginFailure = new StreamingException(ErrorCode.INNER, "the node acknowledged the BeginTxn on " + vchannel
                        + " without a transaction id");
            } else {
                id = a.txnId();
            }
            List<Runnable> sends = List.copyOf(waitingForBegin);
            waitingForBegin.clear();
            // under the lock, so that an append racing with this answer is sent after them
            sends.forEach(Runnable::run);
        }
        if (beginFailure != null) {
            begun.completeExceptionally(beginFailure);
        } else {
            begun.complete(id);
        }
    }

    /** Under the lock, once the begin was answered: sends a body naming the transaction, or fails it as the begin failed. */
    private void sendInTxn(MessageEnvelope envelope, CompletableFuture<Appended> result) {
        if (id == 0) {
            result.completeExceptionally(beginFailure);
            return;
        }
        MessageEnvelope named = envelope.toBuilder().setTxn(TxnContext.newBuilder().setTxnId(id)).build();
        client.send(named, named.getSerializedSize()).whenComplete((r, e) -> {
            if (e != null) {
                result.completeExceptionally(e);
            } else {
                result.complete(r);
            }
        });
    }

    /** Sends the CommitTxn or RollbackTxn of transaction {@code txnId}. */
    private CompletableFuture<Appended> sendStep(MessageType type, long txnId) {
        MutableMessage.Builder b = MutableMessage.builder(type, vchannel);
        b.header(type == MessageType.COMMIT_TXN ? CommitTxnHeader.getDefaultInstance() : RollbackTxnHeader.getDefaultInstance());
        MessageEnvelope e = b.build().envelope().toBuilder().setTxn(TxnContext.newBuilder().setTxnId(txnId)).build();
        return client.send(e, e.getSerializedSize());
    }

    /** Once every future has completed: the first failure in order, or null. */
    private static CompletableFuture<StreamingException> firstFailure(List<CompletableFuture<Appended>> all) {
        return CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).handle((x, e) -> {
            for (CompletableFuture<Appended> f : all) {
                if (f.isCompletedExceptionally()) {
                    return f.handle((r, err) -> StreamingException.from(err)).join();
                }
            }
            return null;
        });
    }

    /** What the client itself refuses about a body, or null. */
    private StreamingException problemWith(MutableMessage m) {
        if (!MessageKind.isTxnBody(m.type())) {
            return StreamingException.invalidArgument("a transaction holds INSERT, DELETE and RAW messages, not "
                    + m.type());
        }
        if (!vchannel.equals(m.vchannel())) {
            return StreamingException.invalidArgument("the transaction is on " + vchannel + "; a message of "
                    + m.vchannel() + " cannot join it");
        }
        if (m.timeTick() != 0 || m.lastConfirmedId() != null || m.term() != 0 || m.txn() != null) {
            return StreamingException.invalidArgument("the message has fields the node sets at append time "
                    + "(time tick, last-confirmed id, term or transaction); send it as built");
        }
        MessageLimits limits = client.messageLimits();
        if (m.serializedSize() > limits.maxMessageBytes()) {
            return StreamingException.invalidArgument("message of " + m.serializedSize() + " bytes exceeds the maximum"
                    + " message size of " + limits.maxMessageBytes() + " bytes (" + MessageLimits.MAX_BYTES_KEY + ")");
        }
        return null;
    }
}
