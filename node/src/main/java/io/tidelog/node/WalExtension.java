package io.tidelog.node;

import io.tidelog.common.MessageId;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.node.recovery.ExtensionState;
import io.tidelog.node.state.PchannelState;

/**
 * A per-pchannel component of the streaming node built on the log: it sees every message of the
 * pchannel in log order, may check or change appends on their way in, and acts on time ticks (the
 * collection shard state, transactions, the dedup window are extensions).
 *
 * <p><b>Lifecycle.</b> Created for one {@link StreamingWal} (one pchannel at one term); {@link #attach} to the
 * pchannel's {@link PchannelState} (what the log says about collections, segments and transactions: an extension
 * reads those facts there and keeps no copy of them), {@link #restore}
 * with the state it persisted at the last checkpoint (if it has a {@link #stateName} and one was saved),
 * then {@link #observe} for every message of the log it needs (replay, {@code replay = true}: all of
 * them without a saved state, otherwise those after the checkpoint, see {@link ExtensionState}) before the
 * WAL serves anything, then {@link #bind} once, then {@link #observe} for every message as it is
 * published ({@code replay = false}), and {@link #close} when the WAL closes. {@link #checkpointState}
 * is called now and then while the WAL serves.
 *
 * <p><b>Threads.</b> {@link #observe} runs in log order on the publishing thread (the backend's
 * acknowledgement thread) while the WAL holds its publication monitor: it must be quick, must not
 * block and must not append. {@link #append} runs on the appender's thread. {@link #onTimeTick} runs
 * on the node's ticker thread, outside every WAL lock: it may append (through
 * {@link StreamingWal#appendSystem}).
 */
public interface WalExtension extends AppendInterceptor {

    /**
     * First of all, before any restore or replay: the pchannel's state, which the WAL applies every message to
     * before the extensions observe it. An extension may keep it to read, and register as its observer here.
     */
    default void attach(PchannelState state) {
    }

    /** A message of the log, in log order; see the class comment. */
    default void observe(ImmutableMessage message, boolean replay) {
    }

    /** Called once replay is over, before the WAL serves: the extension may keep the WAL to append with. */
    default void bind(StreamingWal wal) {
    }

    /**
     * How far the last-confirmed id of a message stamped now may reach, or {@code null} for no limit. The WAL
     * stamps every message (TimeTicks included) with the smaller of its last-confirmed id and every
     * extension's limit, so a consumer resuming from any message's last-confirmed id reads from this id on.
     * Transactions use it: while one is open, nothing may confirm past its BeginTxn, so a resuming consumer
     * sees the begin of every transaction it may still receive.
     *
     * <p>Called under the WAL's append lock, after the WAL read its own last-confirmed id: a limit must be in
     * place before the message it protects is published ({@link #observe} runs before the WAL's last-confirmed
     * id moves past the message). Must be quick and must not call into the WAL.
     */
    default MessageId lastConfirmedLimit() {
        return null;
    }

    /** The node just emitted a TimeTick with this time tick: time-driven work (expiry, seal policies). */
    default void onTimeTick(long timeTick) {
    }

    @Override
    default java.util.concurrent.CompletableFuture<AppendResult> append(io.tidelog.message.MutableMessage message, Next next) {
        return next.append(message);
    }

    /** What {@link #holdRun} returns when there is nothing to release. */
    Runnable NOTHING_HELD = () -> { };

    /**
     * Whether {@code message} is plain for this extension: its {@link #append} would pass it on unchanged and it
     * needs nothing held past this extension but what {@link #holdRun} takes, so it may travel in a run of plain
     * messages ({@link StreamingWal#tryAppendRun}) without passing {@code append}. Throws as {@code append} would
     * refuse it ({@code INVALID_ARGUMENT}): the message is then refused alone. Called on the appending thread, in
     * append order; must be quick.
     *
     * <p>Default {@code false}, the safe answer for an extension that intercepts appends: every extension of a
     * pchannel must say {@code true} for a message to travel in a run.
     */
    default boolean isPlain(io.tidelog.message.MutableMessage message) {
        return false;
    }

    /**
     * Takes what the run of plain messages must hold past this extension until its outcome is known, at once or not
     * at all: returns the release (run once the run is published or failed), or {@code null} if it cannot be taken
     * now, in which case the run's messages go through {@link #append} one by one and wait their turn there.
     * Called on the appending thread, in append order, outside every WAL lock.
     */
    default Runnable holdRun(java.util.List<io.tidelog.message.MutableMessage> run) {
        return NOTHING_HELD;
    }

    /**
     * The name its state is persisted under, unique among the extensions of a WAL, or {@code null} if it
     * keeps no state across restarts (it then replays from the checkpoint like the others).
     */
    default String stateName() {
        return null;
    }

    /**
     * Its state after the last message published (for a checkpoint), or {@code null} if it has none.
     * Called on a checkpointing thread while the WAL holds its publication monitor, so no message is
     * observed meanwhile and every extension's state describes the same point of the log: it must be quick
     * and must not call into the WAL.
     */
    default ExtensionState checkpointState() {
        return null;
    }

    /** Before replay: the state {@link #checkpointState} gave at the last persisted checkpoint. */
    default void restore(com.google.protobuf.ByteString state) {
    }

    /** The WAL closes; release what the extension holds. */
    default void close() {
    }
}
