package io.tidelog.node;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MessageIds;
import io.tidelog.message.MessageKind;
import io.tidelog.message.MutableMessage;
import io.tidelog.message.Vchannels;
import io.tidelog.node.recovery.Checkpoint;
import io.tidelog.node.recovery.ExtensionState;
import io.tidelog.node.recovery.RecoveryStore;
import io.tidelog.node.retention.Retention;
import io.tidelog.node.retention.RetentionConfig;
import io.tidelog.node.retention.Subscription;
import io.tidelog.node.retention.WalRetention;
import io.tidelog.node.scan.MessageScanner;
import io.tidelog.node.scan.ReadAheadScanner;
import io.tidelog.node.scan.ReadOptions;
import io.tidelog.node.scan.SwitchableScanner;
import io.tidelog.node.scan.WriteAheadBuffer;
import io.tidelog.node.state.PchannelState;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.TimeTickHeader;
import io.tidelog.state.proto.ExtensionStateProto;
import io.tidelog.state.proto.RecoverySnapshotProto;
import io.tidelog.tso.TimestampAllocator;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.LogRecord;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalScanner;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WAL of one pchannel on a streaming node at one term, over any backend: assigns time ticks,
 * keeps consumers in strict time-tick order, emits TimeTicks, and serves tail reads from memory.
 *
 * <p><b>Order.</b> A message's time tick is taken from the TSO and the message handed to the backend
 * in one critical section, so the log order is the time-tick order: a consumer sees strictly
 * increasing time ticks without any reordering, and concurrent appends are still acknowledged
 * concurrently (the backend's group commit makes them durable together). Acknowledgements are
 * published in log order: an append is acknowledged, and enters the write-ahead buffer, only after
 * every append before it was (the in-flight queue below).
 *
 * <pre>
 *  append ─▶ interceptors ─▶ [lock: time tick, last-confirmed, encode, backend.append, enqueue] ─▶ in-flight
 *  backend ack ─▶ pop the acknowledged prefix of in-flight ─▶ write-ahead buffer ─▶ result future
 * </pre>
 *
 * <p><b>Last confirmed.</b> Every message carries the id of the last message acknowledged when its
 * time tick was assigned; everything after that id in the log has a greater time tick. The first
 * message of a term is a TimeTick written when the pchannel opens; it confirms itself. Extensions may
 * hold the stamped id further back ({@link WalExtension#lastConfirmedLimit}: an open transaction keeps
 * it at or before its BeginTxn); an earlier id keeps the promise, it only makes a resuming reader
 * read more.
 *
 * <p><b>TimeTicks.</b> {@link #tick()} (the node calls it every {@code node.timetick.interval})
 * appends a TimeTick promising that no later message has a time tick at or below its own. It is
 * written to the backend only if data was appended since the last written one; otherwise it only
 * enters the write-ahead buffer, for tailing readers.
 *
 * <p><b>Failure.</b> A backend failure of an append other than {@code INVALID_ARGUMENT} (a fence by a newer
 * term, a full disk, an outcome unknown) makes the WAL unavailable for good: every later append fails at once
 * with the reason ({@link #failure()}; a retriable code unless fenced, since the node reopens such a WAL at the
 * same term, see {@link WalManager}). After an unknown outcome the write-ahead buffer also closes and appends
 * still in flight fail "outcome unknown" even if they became durable, so readers go back to the backend,
 * which holds the truth; after a failure that wrote nothing ({@link ErrorCode#isNothingWritten()}: a full disk's
 * {@code RESOURCE_EXHAUSTED}) appends already in flight are acknowledged as usual.
 *
 * <p><b>Threads.</b> {@link #append} and {@link #read} from any thread; acknowledgements run on the
 * backend's thread and complete result futures there (callers move heavy work elsewhere); {@link #tick}
 * from the node's ticker. The WAL owns no thread.
 *
 * <p><b>Locks</b>, in this order, each checked where it is taken (assertions, on in every test run): the append
 * lock (time tick, last-confirmed id and hand-off to the backend, one message at a time); the in-flight monitor
 * (publication in log order: the write-ahead buffer, the pchannel state, the extensions' observe); the pchannel
 * state's monitor, a leaf. A checkpoint takes {@code checkpointing}, then the in-flight monitor, never the append
 * lock. Extensions' own locks are taken before the append lock (an extension appends without holding its monitor)
 * or inside the in-flight monitor (observe).
 */
public final class StreamingWal implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StreamingWal.class);

    private final Wal wal;
    private final TimestampAllocator tso;
    private final WriteAheadBuffer buffer;
    private final List<WalExtension> extensions;
    /** The pchannel's one log-derived state: applied before any extension observes a message. */
    private final PchannelState state;
    private final ReentrantLock appendLock = new ReentrantLock();
    private final ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
    private final List<SwitchableScanner> scanners = new ArrayList<>();
    private final AtomicLong appended = new AtomicLong();
    private final NodeConfig config;
    private final RecoveryStore recovery;
    private final WalRetention retention;
    private final WalMetrics metrics;
    /** One checkpoint at a time. */
    private final Object checkpointing = new Object();

    /** Data messages published since the last checkpoint was taken. Guarded by the in-flight monitor. */
    private long sinceCheckpoint;
    /** The time tick of the last message stored (lastConfirmed's). Guarded by the in-flight monitor. */
    private long lastStoredTimeTick;
    /** Guarded by checkpointing. */
    private long lastCheckpointNanos = System.nanoTime();
    /** Guarded by checkpointing. */
    private long lastRetentionNanos = System.nanoTime();
    private volatile Checkpoint savedCheckpoint;
    private volatile WalStatus.Replay replayed = new WalStatus.Replay(0, 0, 0, null);

    /** Guarded by appendLock. */
    private boolean dataSinceTick;
    /** Written under the in-flight monitor, read under appendLock. */
    private volatile MessageId lastConfirmed;
    private volatile long lastTimeTick;
    /** The backend failure that made the WAL unavailable (null while it is not); set once. */
    private volatile StreamingException unavailable;
    /** Set after an append of unknown outcome: what later results fail with. Guarded by the in-flight monitor. */
    private StreamingException orderLost;
    private volatile boolean closed;

    /** An append on its way to the backend, or a TimeTick that only goes to the buffer. */
    private static class InFlight {
        final long timeTick;
        final MutableMessage message;
        final int bytes;
        final boolean persisted;
        final CompletableFuture<AppendResult> result;
        /** When the WAL took it ({@link System#nanoTime}), for {@link WalMetrics}. */
        final long startNanos = System.nanoTime();
        boolean done;
        MessageId id;
        Throwable error;

        InFlight(long timeTick, MutableMessage message, int bytes, boolean persisted, CompletableFuture<AppendResult> result) {
            this.timeTick = timeTick;
            this.message = message;
            this.bytes = bytes;
            this.persisted = persisted;
            this.result = result;
        }
    }

    /**
     * A run of plain messages on its way to the backend as one unit ({@link #tryAppendRun}): one entry of the
     * in-flight queue, published message by message in one pass. {@link #timeTick} is the run's last time tick.
     */
    private static final class RunInFlight extends InFlight implements Wal.RecordBatch {
        final MutableMessage[] run;
        final int[] sizes;
        final long firstTimeTick;
        final MessageId confirmed;
        final CompletableFuture<AppendedRun> runResult;
        MessageId[] ids;

        RunInFlight(MutableMessage[] run, int[] sizes, long firstTimeTick, MessageId confirmed,
                    CompletableFuture<AppendedRun> runResult) {
            super(firstTimeTick + run.length - 1, null, 0, true, null);
            this.run = run;
            this.sizes = sizes;
            this.firstTimeTick = firstTimeTick;
            this.confirmed = confirmed;
            this.runResult = runResult;
        }

        @Override
        public int count() {
            return run.length;
        }

        long bytes() {
            long sum = 0;
            for (int size : sizes) {
                sum += size;
            }
            return sum;
        }

        @Override
        public int size(int i) {
            return sizes[i];
        }

        @Override
        public void write(int i, ByteBuffer out) {
            run[i].encodeTo(out);
        }
    }

    private StreamingWal(Wal wal, TimestampAllocator tso, NodeConfig config, List<WalExtension> extensions,
                         RecoveryStore recovery, Retention retention, WalMetrics metrics) {
        this.wal = wal;
        this.metrics = metrics;
        this.tso = tso;
        this.config = config;
        this.recovery = recovery;
        this.retention = new WalRetention(wal.pchannel(), wal, retention);
        this.extensions = List.copyOf(extensions);
        this.state = new PchannelState(wal.pchannel(), this::readLog);
        for (WalExtension x : this.extensions) {
            String name = x.stateName();
            if (PchannelState.SHARDS.equals(name) || PchannelState.TXNS.equals(name)) {
                throw new IllegalArgumentException("extension " + x.getClass().getSimpleName() + " persists its state as "
                        + name + ", a name of the pchannel state");
            }
            x.attach(state);
        }
        this.buffer = new WriteAheadBuffer(config.bufferCapacity(), WriteAheadBuffer.nanos(config.bufferKeepalive()), System::nanoTime);
    }

    /**
     * Starts serving a backend log that was just opened read-write, with no recovery storage: every open
     * replays the whole log into the extensions.
     */
    public static StreamingWal start(Wal wal, TimestampAllocator tso, NodeConfig config, List<WalExtension> extensions) {
        return start(wal, tso, config, extensions, RecoveryStore.NONE);
    }

    /**
     * Starts serving a backend log that was just opened read-write (and so fenced every older term):
     * claims the pchannel's recovery state for the term, writes the term's first TimeTick and waits until it
     * is durable, restores the extensions from the last persisted snapshot, replays the log from its
     * checkpoint to the first TimeTick, then binds them. If any step fails, the extensions are closed and the
     * failure is thrown; the backend's log is left open for the caller to close.
     */
    public static StreamingWal start(Wal wal, TimestampAllocator tso, NodeConfig config, List<WalExtension> extensions,
                                     RecoveryStore recovery) {
        return start(wal, tso, config, extensions, recovery, Retention.untilCheckpoint());
    }

    /**
     * Starts serving as {@link #start(Wal, TimestampAllocator, NodeConfig, List, RecoveryStore)} does, keeping the
     * log as {@code retention} says: truncated after each checkpoint only below the checkpoint, the retention bound
     * and every durable subscription within its maximum lag.
     */
    public static StreamingWal start(Wal wal, TimestampAllocator tso, NodeConfig config, List<WalExtension> extensions,
                                     RecoveryStore recovery, Retention retention) {
        return start(wal, tso, config, extensions, recovery, retention, WalMetrics.NONE);
    }

    /**
     * Starts serving as {@link #start(Wal, TimestampAllocator, NodeConfig, List, RecoveryStore, Retention)} does,
     * telling {@code metrics} about every acknowledged append (not those replayed).
     */
    public static StreamingWal start(Wal wal, TimestampAllocator tso, NodeConfig config, List<WalExtension> extensions,
                                     RecoveryStore recovery, Retention retention, WalMetrics metrics) {
        StreamingWal w = new StreamingWal(wal, tso, config, extensions, recovery, retention, metrics);
        try {
            recovery.claim(wal.pchannel(), wal.term());
            MessageId firstTick = w.writeFirstTimeTick(config);
            w.replay(firstTick, recovery.load(wal.pchannel()).orElse(null));
            for (WalExtension e : w.extensions) {
                e.bind(w);
            }
            w.retention.opened();
            return w;
        } catch (RuntimeException e) {
            // The WAL never served: its extensions stop with it (the backend's log stays the caller's to close).
            w.buffer.close();
            for (WalExtension x : w.extensions) {
                try {
                    x.close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /**
     * Restores the extensions from {@code snapshot} and feeds them the log from its checkpoint (all of it
     * without a snapshot) to the term's first TimeTick, in log order: an extension whose state names where
     * it needs the log again ({@link ExtensionState#replayFrom}) gets every record from there, the others the
     * records after the snapshot's position. The WAL does not serve until this is done, so no append can slip
     * between the replayed state and the live one.
     */
    private void replay(MessageId firstTick, RecoverySnapshotProto snapshot) {
        if (extensions.isEmpty() && recovery == RecoveryStore.NONE) {
            // Nothing needs the log's past: nothing will truncate it either (see checkpoint).
            return;
        }
        if (snapshot != null && snapshot.hasRetention()) {
            retention.restore(snapshot.getRetention());
        }
        long started = System.nanoTime();
        MessageId position = null;
        long positionTimeTick = 0;
        Map<WalExtension, MessageId> from = new IdentityHashMap<>();
        Checkpoint start = null;
        if (snapshot != null) {
            position = MessageIds.fromProto(snapshot.getPosition());
            positionTimeTick = snapshot.getPositionTimeTick();
            start = new Checkpoint(position, positionTimeTick);
            ExtensionStateProto shards = snapshot.getExtensionsMap().get(PchannelState.SHARDS);
            ExtensionStateProto txns = snapshot.getExtensionsMap().get(PchannelState.TXNS);
            state.restore(shards == null ? null : shards.getState(), txns == null ? null : txns.getState());
            if (shards != null && shards.hasReplayFrom()) {
                start = new Checkpoint(Checkpoint.earlierId(start.messageId(), MessageIds.fromProto(shards.getReplayFrom())),
                        Math.min(start.timeTick(), shards.getReplayFromTimeTick()));
            }
            for (WalExtension e : extensions) {
                String name = e.stateName();
                ExtensionStateProto state = name == null ? null : snapshot.getExtensionsMap().get(name);
                if (name != null && state == null) {
                    LOG.warn("pchannel {}: the snapshot at {} has no state of {}; it replays from there", pchannel(),
                            position, name);
                }
                if (state == null) {
                    continue;
                }
                e.restore(state.getState());
                if (state.hasReplayFrom()) {
                    MessageId f = MessageIds.fromProto(state.getReplayFrom());
                    from.put(e, f);
                    start = new Checkpoint(Checkpoint.earlierId(start.messageId(), f),
                            Math.min(start.timeTick(), state.getReplayFromTimeTick()));
                }
            }
            savedCheckpoint = start;
        }
        DeliverPolicy policy = start == null ? DeliverPolicy.all()
                : start.messageId().equals(position) ? DeliverPolicy.startAfter(position)
                : DeliverPolicy.startFrom(start.messageId());
        long messages = 0;
        long bytes = 0;
        // The log is read ahead on a thread of its own, so the disk and the extensions work at the same time.
        try (WalScanner s = wal.read(policy);
             ReadAheadScanner records = new ReadAheadScanner(pchannel(), s, firstTick, Duration.ofSeconds(30), 64 << 20)) {
            while (true) {
                LogRecord r;
                try {
                    r = records.next();
                } catch (StreamingException e) {
                    throw new StreamingException(e.code(), "pchannel " + pchannel()
                            + ": replay did not reach the first TimeTick " + firstTick + ": " + e.detail(), e);
                }
                boolean last = r.id().equals(firstTick);
                ImmutableMessage m = ImmutableMessage.decode(r.id(), r.payload());
                boolean afterCheckpoint = position == null || r.id().isAfter(position);
                if (afterCheckpoint) {
                    retention.observe(r.id(), m.timeTick(), r.payload().remaining());
                }
                state.apply(m, last ? PchannelState.Phase.LIVE : afterCheckpoint ? PchannelState.Phase.REPLAY
                        : PchannelState.Phase.BEFORE_CHECKPOINT);
                for (WalExtension e : extensions) {
                    MessageId f = from.get(e);
                    if (last || position == null || (f != null ? !r.id().isBefore(f) : r.id().isAfter(position))) {
                        e.observe(m, !last);
                    }
                }
                if (last) {
                    break;
                }
                messages++;
                bytes += r.payload().remaining();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StreamingException.onShutdown("interrupted while replaying pchannel " + pchannel());
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        replayed = new WalStatus.Replay(messages, bytes, millis, start);
        LOG.info("pchannel {} term {}: replayed {} messages ({} bytes) in {} ms from {}", pchannel(), term(), messages,
                bytes, millis, start == null ? "the start of the log" : "checkpoint " + start);
    }

    private MessageId writeFirstTimeTick(NodeConfig config) {
        // The previous owner's time ticks came from the same oracle, perhaps from timestamps this node's allocator
        // does not hold yet: only a fresh one is sure to lie above them.
        tso.sync();
        long tt = tso.next();
        MutableMessage tick = timeTick().withTimeTick(tt).withTerm(wal.term());
        byte[] record = tick.encode();
        MessageId id;
        try {
            id = wal.append(ByteBuffer.wrap(record)).get(config.openTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw StreamingException.from(e.getCause());
        } catch (TimeoutException e) {
            throw new StreamingException(ErrorCode.TIMEOUT, "pchannel " + pchannel() + ": the first TimeTick was not durable within "
                    + config.openTimeout(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StreamingException.onShutdown("interrupted while opening pchannel " + pchannel());
        }
        lastConfirmed = id;
        lastTimeTick = tt;
        synchronized (inFlight) {
            lastStoredTimeTick = tt;
        }
        appended.incrementAndGet();
        buffer.append(id, tick, true);
        return id;
    }

    private MutableMessage timeTick() {
        return MutableMessage.builder(MessageType.TIME_TICK, pchannel()).header(TimeTickHeader.getDefaultInstance()).build();
    }

    /** Takes the append lock: never inside the in-flight monitor (see the class comment). */
    private void lockAppends() {
        assert !Thread.holdsLock(inFlight) : "the append lock is taken before the in-flight monitor";
        appendLock.lock();
    }

    /** Whether the calling thread holds the append lock (for the lock-order checks of extensions). */
    public boolean holdsAppendLock() {
        return appendLock.isHeldByCurrentThread();
    }

    /** Where this pchannel's events are counted (the same instance in every term). */
    public WalMetrics metrics() {
        return metrics;
    }

    /** The pchannel's log-derived state (collections, growing segments, transactions open in the log). */
    public PchannelState state() {
        return state;
    }

    public String pchannel() {
        return wal.pchannel();
    }

    public long term() {
        return wal.term();
    }

    /** The largest encoded message (with the node's fields) the backend stores. */
    public int maxRecordBytes() {
        return wal.maxRecordBytes();
    }

    /**
     * Appends a message of this pchannel. The future completes once the message is durable, with its
     * id, time tick and last-confirmed id; or fails: {@code INVALID_ARGUMENT} (nothing written),
     * {@code CHANNEL_FENCED}, {@code ON_SHUTDOWN}, or another code from the backend.
     */
    public CompletableFuture<AppendResult> append(MutableMessage message) {
        if (!message.belongsTo(pchannel())) {
            return CompletableFuture.failedFuture(StreamingException.invalidArgument("message of vchannel "
                    + message.vchannel() + " does not belong to pchannel " + pchannel()));
        }
        return next(0).append(message);
    }

    private AppendInterceptor.Next next(int index) {
        if (index == extensions.size()) {
            return this::appendInOrder;
        }
        return m -> extensions.get(index).append(m, next(index + 1));
    }

    /**
     * Appends a message the node itself emits (a self-controlled or system type: CreateSegment, Flush,
     * RollbackTxn...) past the extensions' interceptors, straight into the ordered path.
     */
    public CompletableFuture<AppendResult> appendSystem(MutableMessage message) {
        if (!message.belongsTo(pchannel())) {
            return CompletableFuture.failedFuture(StreamingException.invalidArgument("message of vchannel "
                    + message.vchannel() + " does not belong to pchannel " + pchannel()));
        }
        return appendInOrder(message);
    }

    /**
     * Whether {@code message} may travel in a run of plain messages ({@link #tryAppendRun}): a message of this
     * pchannel, with no barrier and no transaction, that every extension lets through unchanged
     * ({@link WalExtension#isPlain}).
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} for a message an extension refuses (as {@link #append}
     *         would fail it; nothing of it is appended)
     */
    public boolean isPlain(MutableMessage message) {
        if (!message.belongsTo(pchannel())) {
            throw StreamingException.invalidArgument("message of vchannel " + message.vchannel()
                    + " does not belong to pchannel " + pchannel());
        }
        if (message.barrierTimeTick() != 0 || message.txn() != null || extensions.isEmpty()) {
            return false;
        }
        for (WalExtension x : extensions) {
            if (!x.isPlain(message)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Appends a run of plain messages ({@link #isPlain}, in append order) as one unit: their time ticks are taken
     * together (consecutive), they go to the backend together ({@link Wal#appendBatch}: serialized once, into the
     * backend's buffer), enter the in-flight queue as one entry and are published and acknowledged together, in
     * order, exactly as if each had been {@link #append appended} one after another.
     *
     * @return the run's outcome (every message appended, or all failed alike, as {@link #append} fails); or
     *         {@code null} if an extension cannot hold the run now (a DDL of one of its vchannels waits or runs),
     *         in which case nothing was done and the caller appends the messages one by one
     */
    public CompletableFuture<AppendedRun> tryAppendRun(List<MutableMessage> run) {
        return appendRun(run, true);
    }

    /**
     * As {@link #tryAppendRun}, but never waits: not for the append lock, the TSO ({@link TimestampAllocator#tryAllocate})
     * or room in the backend ({@link Wal#tryAppendBatch}). For a thread that must never wait (a transport thread).
     *
     * @return as {@code tryAppendRun}; {@code null} also when something would have to wait, with nothing done (a
     *         time tick may have been taken and left unused): the caller then calls {@code tryAppendRun} from a
     *         thread that may wait
     */
    public CompletableFuture<AppendedRun> appendRunWithoutWaiting(List<MutableMessage> run) {
        return appendRun(run, false);
    }

    private CompletableFuture<AppendedRun> appendRun(List<MutableMessage> run, boolean mayWait) {
        if (run.isEmpty()) {
            throw new IllegalArgumentException("an empty run");
        }
        StreamingException down = availability();
        if (down != null) {
            return CompletableFuture.failedFuture(down);
        }
        Runnable[] held = new Runnable[extensions.size()];
        for (int i = 0; i < held.length; i++) {
            held[i] = extensions.get(i).holdRun(run);
            if (held[i] == null) {
                releaseAll(held, i);
                return null;
            }
        }
        CompletableFuture<AppendedRun> result = new CompletableFuture<>();
        int n = run.size();
        MutableMessage[] stamped = new MutableMessage[n];
        int[] sizes = new int[n];
        if (mayWait) {
            lockAppends();
        } else if (!appendLock.tryLock()) {
            releaseAll(held, held.length);
            return null;
        }
        try {
            down = availability();
            if (down != null) {
                releaseAll(held, held.length);
                return CompletableFuture.failedFuture(down);
            }
            long first = mayWait ? tso.allocate(n) : tso.tryAllocate(n);
            if (first == 0) {
                releaseAll(held, held.length);
                return null;
            }
            MessageId confirmed = confirmedForStamp();
            long term = term();
            int max = wal.maxRecordBytes();
            for (int i = 0; i < n; i++) {
                stamped[i] = run.get(i).stamped(first + i, confirmed, term);
                sizes[i] = stamped[i].serializedSize();
                if (sizes[i] > max) {
                    releaseAll(held, held.length);
                    return CompletableFuture.failedFuture(StreamingException.invalidArgument("message " + i
                            + " of the run encodes to " + sizes[i] + " bytes, over the WAL's limit of " + max));
                }
            }
            RunInFlight entry = new RunInFlight(stamped, sizes, first, confirmed, result);
            // Entered in flight only once the backend took it: nothing else enters while this thread holds the lock.
            CompletableFuture<MessageId[]> stored = mayWait ? wal.appendBatch(entry) : wal.tryAppendBatch(entry);
            if (stored == null) {
                releaseAll(held, held.length);
                return null;
            }
            synchronized (inFlight) {
                inFlight.add(entry);
            }
            dataSinceTick = true;
            stored.whenComplete((ids, err) -> {
                entry.ids = ids;
                acknowledged(entry, null, err);
            });
        } catch (RuntimeException e) {
            releaseAll(held, held.length);
            return CompletableFuture.failedFuture(StreamingException.from(e));
        } finally {
            appendLock.unlock();
        }
        return result.whenComplete((r, e) -> releaseAll(held, held.length));
    }

    private static void releaseAll(Runnable[] held, int count) {
        for (int i = count - 1; i >= 0; i--) {
            if (held[i] != null) {
                held[i].run();
            }
        }
    }

    private CompletableFuture<AppendResult> appendInOrder(MutableMessage message) {
        CompletableFuture<AppendResult> result = new CompletableFuture<>();
        MutableMessage stamped;
        lockAppends();
        try {
            StreamingException down = availability();
            if (down != null) {
                return CompletableFuture.failedFuture(down);
            }
            long tt = allocateAbove(message.barrierTimeTick());
            stamped = message.stamped(tt, confirmedForStamp(), term());
            byte[] record = stamped.encode();
            InFlight entry = new InFlight(tt, stamped, record.length, true, result);
            synchronized (inFlight) {
                inFlight.add(entry);
            }
            dataSinceTick = true;
            wal.append(ByteBuffer.wrap(record)).whenComplete((id, err) -> acknowledged(entry, id, err));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(StreamingException.from(e));
        } finally {
            appendLock.unlock();
        }
        return result;
    }

    /**
     * The last-confirmed id to stamp now: the WAL's, held back by the extensions' limits
     * ({@link WalExtension#lastConfirmedLimit}). Read in that order, under appendLock.
     */
    private MessageId confirmedForStamp() {
        MessageId confirmed = lastConfirmed;
        for (WalExtension x : extensions) {
            MessageId limit = x.lastConfirmedLimit();
            if (limit != null && limit.isBefore(confirmed)) {
                confirmed = limit;
            }
        }
        return confirmed;
    }

    private long allocateAbove(long barrier) {
        long tt = tso.next();
        if (tt <= barrier) {
            // The barrier came from the same oracle, issued before this call: after a sync a timestamp exceeds it.
            tso.sync();
            tt = tso.next();
        }
        if (tt <= barrier) {
            throw StreamingException.invalidArgument("barrier time tick " + barrier + " lies ahead of the TSO (" + tt + ")");
        }
        return tt;
    }

    /**
     * Emits a TimeTick: written to the backend if data was appended since the last written one,
     * otherwise only into the write-ahead buffer. Also evicts expired buffer entries.
     */
    public void tick() {
        buffer.evictExpired();
        long tt;
        lockAppends();
        try {
            if (availability() != null) {
                return;
            }
            tt = tso.next();
            MutableMessage tick = timeTick().stamped(tt, confirmedForStamp(), term());
            if (dataSinceTick) {
                byte[] record = tick.encode();
                InFlight entry = new InFlight(tt, tick, record.length, true, new CompletableFuture<>());
                synchronized (inFlight) {
                    inFlight.add(entry);
                }
                dataSinceTick = false;
                wal.append(ByteBuffer.wrap(record)).whenComplete((id, err) -> acknowledged(entry, id, err));
            } else {
                InFlight entry = new InFlight(tt, tick, tick.serializedSize(), false, null);
                synchronized (inFlight) {
                    inFlight.add(entry);
                }
                acknowledged(entry, null, null);
            }
        } catch (RuntimeException e) {
            LOG.warn("pchannel {}: time tick failed: {}", pchannel(), e.toString());
            return;
        } finally {
            appendLock.unlock();
        }
        for (WalExtension x : extensions) {
            try {
                x.onTimeTick(tt);
            } catch (RuntimeException e) {
                LOG.warn("pchannel {}: extension {} failed at time tick {}: {}", pchannel(), x.getClass().getSimpleName(), tt, e.toString());
            }
        }
    }

    /** Records one outcome, then publishes the prefix of the in-flight queue that is complete, in order. */
    private void acknowledged(InFlight entry, MessageId id, Throwable error) {
        List<Runnable> completions = new ArrayList<>();
        synchronized (inFlight) {
            if (error == null && entry.persisted) {
                metrics.stored(System.nanoTime() - entry.startNanos);
            }
            entry.done = true;
            entry.id = id;
            entry.error = error;
            InFlight head;
            while ((head = inFlight.peek()) != null && head.done) {
                inFlight.poll();
                publish(head, completions);
            }
        }
        completions.forEach(Runnable::run);
    }

    /** Called in log order under the in-flight monitor. */
    private void publish(InFlight e, List<Runnable> completions) {
        if (e.error != null) {
            StreamingException cause = StreamingException.from(e.error);
            if (cause.code() != ErrorCode.INVALID_ARGUMENT) {
                becomeUnavailable(cause);
            }
            fail(e, cause, completions);
            return;
        }
        if (orderLost != null) {
            // After an unknown outcome the buffer is closed and later results must not pretend order.
            fail(e, orderLost, completions);
            return;
        }
        if (e instanceof RunInFlight r) {
            publishRun(r, completions);
            return;
        }
        MessageId at = e.persisted ? e.id : lastConfirmed;
        ImmutableMessage published = e.message.intoImmutable(at);
        buffer.append(at, e.message, e.persisted);
        state.apply(published, PchannelState.Phase.LIVE);
        for (WalExtension x : extensions) {
            try {
                x.observe(published, false);
            } catch (RuntimeException failure) {
                LOG.error("pchannel {}: extension {} failed on {}", pchannel(), x.getClass().getSimpleName(), published.id(), failure);
            }
        }
        lastTimeTick = e.timeTick;
        if (e.persisted) {
            MessageId confirmed = e.message.lastConfirmedId();
            retention.observe(e.id, e.timeTick, e.bytes);
            lastConfirmed = e.id;
            lastStoredTimeTick = e.timeTick;
            if (e.message.type() != MessageType.TIME_TICK) {
                sinceCheckpoint++;
                metrics.appended(1, e.bytes, System.nanoTime() - e.startNanos);
            }
            appended.incrementAndGet();
            if (e.result != null) {
                AppendResult r = new AppendResult(e.id, e.timeTick, confirmed);
                completions.add(() -> e.result.complete(r));
            }
        }
    }

    private static void fail(InFlight e, StreamingException cause, List<Runnable> completions) {
        if (e.result != null) {
            completions.add(() -> e.result.completeExceptionally(cause));
        }
        if (e instanceof RunInFlight r) {
            completions.add(() -> r.runResult.completeExceptionally(cause));
        }
    }

    /** A run's messages, one by one as {@link #publish} does a message's; one completion for the run. */
    private void publishRun(RunInFlight r, List<Runnable> completions) {
        for (int i = 0; i < r.run.length; i++) {
            MessageId id = r.ids[i];
            long tt = r.firstTimeTick + i;
            ImmutableMessage published = r.run[i].intoImmutable(id);
            buffer.append(id, r.run[i], true);
            state.apply(published, PchannelState.Phase.LIVE);
            for (WalExtension x : extensions) {
                try {
                    x.observe(published, false);
                } catch (RuntimeException failure) {
                    LOG.error("pchannel {}: extension {} failed on {}", pchannel(), x.getClass().getSimpleName(), id, failure);
                }
            }
            retention.observe(id, tt, r.sizes[i]);
            lastConfirmed = id;
            lastTimeTick = tt;
            lastStoredTimeTick = tt;
        }
        sinceCheckpoint += r.run.length;
        appended.addAndGet(r.run.length);
        metrics.appended(r.run.length, r.bytes(), System.nanoTime() - r.startNanos);
        AppendedRun done = new AppendedRun(r.ids, r.firstTimeTick, r.confirmed);
        completions.add(() -> r.runResult.complete(done));
    }

    /** Called in log order under the in-flight monitor. */
    private void becomeUnavailable(StreamingException cause) {
        if (unavailable == null) {
            unavailable = cause;
            LOG.warn("pchannel {} term {}: unavailable: {}", pchannel(), term(), cause.getMessage());
        }
        // A fence wrote nothing either, but it ends the term: readers go to the backend, which the new owner writes.
        // What is still in flight behind the failure may be durable, so it fails with an outcome-unknown code,
        // never with the fence itself, which would say "nothing written" and let a client send it again.
        if ((cause.isOutcomeUnknown() || cause.isFenced()) && orderLost == null) {
            orderLost = new StreamingException(cause.isOutcomeUnknown() ? cause.code() : ErrorCode.ON_SHUTDOWN,
                    "pchannel " + pchannel() + " at term " + term() + " stopped after a failed append (" + cause.detail()
                            + "); outcome unknown", cause);
            buffer.close();
        }
    }

    /**
     * Why appends are refused now (null if they are not): the failure that stopped the WAL, or its close
     * ({@code CHANNEL_NOT_EXIST}).
     */
    private StreamingException availability() {
        StreamingException failure = unavailable;
        if (failure != null) {
            return failure.isFenced() ? failure : new StreamingException(failure.isRetriable() ? failure.code()
                    : ErrorCode.INNER, "pchannel " + pchannel() + " at term " + term() + " is unavailable: "
                    + failure.detail() + " (the node reopens it; retry later)", failure);
        }
        if (closed) {
            // Refused before anything was written, and the pchannel is served elsewhere (or nowhere) from now on:
            // a wrong node, so a client sends the append again to the owner it finds next.
            return new StreamingException(ErrorCode.CHANNEL_NOT_EXIST, "pchannel " + pchannel() + " at term " + term()
                    + " is closed: it is not served here any more");
        }
        return null;
    }

    /**
     * The backend failure that made this WAL unavailable for good, or null: {@code CHANNEL_FENCED} (a newer term
     * owns the pchannel), or any other (a full disk, an outcome unknown), which a reopen at the same term mends.
     */
    public StreamingException failure() {
        return unavailable;
    }

    /** Whether appends are accepted: not closed, fenced or failed. */
    public boolean isAvailable() {
        return availability() == null;
    }

    /**
     * Opens a scanner; see {@link ReadOptions}. Throws {@code OUT_OF_RANGE} for a truncated start; its poll throws
     * it if truncation passes it. Either names the earliest retained message.
     */
    public MessageScanner read(ReadOptions options) {
        SwitchableScanner s;
        synchronized (scanners) {
            if (closed) {
                throw StreamingException.onShutdown("pchannel " + pchannel() + " is closed");
            }
            try {
                s = new SwitchableScanner(wal, buffer, options, lastConfirmed, this::forget, metrics::read);
            } catch (StreamingException e) {
                throw retention.explain(e);
            }
            scanners.add(s);
        }
        return new MessageScanner() {
            @Override
            public ImmutableMessage poll(Duration timeout) throws InterruptedException {
                try {
                    return s.poll(timeout);
                } catch (StreamingException e) {
                    throw retention.explain(e);
                }
            }

            @Override
            public void close() {
                s.close();
            }
        };
    }

    /** The earliest message the log retains: its id and time tick (null if unknown). */
    public Checkpoint earliest() {
        return retention.earliest();
    }

    /**
     * The durable subscription {@code name} of {@code vchannel} (a vchannel of this pchannel), created at
     * {@code start} if it does not exist yet, and claimed by the calling consumer if {@code claim} (its generation
     * goes up: commits of the consumer it takes over from fail). From then on the WAL keeps its position (see
     * {@link RetentionConfig}).
     *
     * @return the subscription, and whether this call created it
     * @throws StreamingException {@code OUT_OF_RANGE} for a start below the retained log (naming the earliest);
     *         {@code INVALID_ARGUMENT} for a vchannel of another pchannel or a bad name
     */
    public Subscribed subscribe(String vchannel, String name, DeliverPolicy start, boolean claim) {
        checkOwn(vchannel);
        Subscription.validateName(name);
        WalRetention.Subscribed s = retention.subscribe(vchannel, name, start, latestPosition(), claim);
        return new Subscribed(s.subscription(), s.created());
    }

    /** A subscription and whether the call that returned it created it. */
    public record Subscribed(Subscription subscription, boolean created) {
    }

    /**
     * Commits a subscription's position (the resume point after the last message its consumer processed), for the
     * consumer that claimed generation {@code claim} (0: an administrative commit).
     *
     * @throws StreamingException {@code NOT_FOUND} for a deleted subscription; {@code OUT_OF_RANGE} for a position
     *         below the retained log; {@code INVALID_ARGUMENT} for one beyond its end; {@code SUBSCRIPTION_TAKEN_OVER}
     *         if a newer consumer claimed it
     */
    public Subscription commitSubscription(String vchannel, String name, Checkpoint position, long claim) {
        checkOwn(vchannel);
        return retention.commit(vchannel, name, position, new Checkpoint(lastConfirmed, lastTimeTick), claim);
    }

    /** Whether {@code s} lags beyond {@code wal.retention.max.lag}, so that it no longer holds this WAL. */
    public boolean isLetGo(Subscription s) {
        return retention.isLetGo(s);
    }

    private void checkOwn(String vchannel) {
        Vchannels.validateVchannel(vchannel);
        if (!pchannel().equals(Vchannels.pchannelOf(vchannel))) {
            throw StreamingException.invalidArgument("vchannel " + vchannel + " does not belong to pchannel " + pchannel());
        }
    }

    /**
     * Where a reader starting now resumes: the last-confirmed id it would be stamped with (held back before the
     * BeginTxn of open transactions) and the last time tick published.
     */
    private Checkpoint latestPosition() {
        lockAppends();
        try {
            return new Checkpoint(confirmedForStamp(), lastTimeTick);
        } finally {
            appendLock.unlock();
        }
    }

    /**
     * The backend's records as they are stored (no assembly, no filters, nothing from memory), for extensions that
     * read back what they observed (the flusher reads the payloads replay left in the log).
     */
    public WalScanner readLog(DeliverPolicy policy) {
        if (closed) {
            throw StreamingException.onShutdown("pchannel " + pchannel() + " is closed");
        }
        return wal.read(policy);
    }

    private void forget(SwitchableScanner s) {
        synchronized (scanners) {
            scanners.remove(s);
        }
    }

    /**
     * Persists the recovery state if it is due ({@code node.checkpoint.interval} passed and something changed,
     * or {@code node.checkpoint.dirty.messages} were appended), then truncates the log as far as retention allows
     * (after a save, and every {@code node.checkpoint.interval}: messages age out of retention without appends).
     * Called by the node's checkpointing thread; blocks on the recovery store.
     *
     * @return whether a checkpoint was saved
     */
    public boolean checkpointIfDue() {
        return checkpoint(false);
    }

    /** Persists the recovery state now (if it changed) and truncates the log as far as retention allows. */
    public boolean checkpointNow() {
        return checkpoint(true);
    }

    private boolean checkpoint(boolean force) {
        if (recovery == RecoveryStore.NONE || unavailable != null) {
            return false;
        }
        assert !Thread.holdsLock(inFlight) && !appendLock.isHeldByCurrentThread()
                : "a checkpoint takes checkpointing first, then the in-flight monitor";
        synchronized (checkpointing) {
            boolean saved = save(force);
            long now = System.nanoTime();
            if (!closed && (saved || force || now - lastRetentionNanos >= config.checkpointInterval().toNanos())) {
                lastRetentionNanos = now;
                try {
                    retention.pass(savedCheckpoint);
                } catch (RuntimeException e) {
                    LOG.warn("pchannel {} term {}: truncation failed: {}", pchannel(), term(), e.toString());
                }
            }
            return saved;
        }
    }

    /** Saves the recovery state if due; called holding checkpointing. */
    private boolean save(boolean force) {
        long now = System.nanoTime();
        boolean intervalPassed = now - lastCheckpointNanos >= config.checkpointInterval().toNanos();
        RecoverySnapshotProto.Builder snapshot = RecoverySnapshotProto.newBuilder().setTerm(term());
        Checkpoint position;
        Checkpoint start;
        long dirty;
        synchronized (inFlight) {
            dirty = sinceCheckpoint;
            if (!force && dirty < config.checkpointDirtyMessages() && !intervalPassed) {
                return false;
            }
            position = new Checkpoint(lastConfirmed, lastStoredTimeTick);
            Map<String, ExtensionState> states = new LinkedHashMap<>(state.checkpointStates());
            for (WalExtension x : extensions) {
                String name = x.stateName();
                ExtensionState s = name == null ? null : x.checkpointState();
                if (s != null) {
                    states.put(name, s);
                }
            }
            start = position;
            for (Map.Entry<String, ExtensionState> e : states.entrySet()) {
                ExtensionStateProto.Builder p = ExtensionStateProto.newBuilder().setState(e.getValue().state());
                Checkpoint f = e.getValue().replayFrom();
                if (f != null) {
                    p.setReplayFrom(MessageIds.toProto(f.messageId())).setReplayFromTimeTick(f.timeTick());
                    start = new Checkpoint(Checkpoint.earlierId(start.messageId(), f.messageId()),
                            Math.min(start.timeTick(), f.timeTick()));
                }
                snapshot.putExtensions(e.getKey(), p.build());
            }
            snapshot.setRetention(retention.snapshot());
            sinceCheckpoint = 0;
        }
        lastCheckpointNanos = now;
        if (dirty == 0 && start.equals(savedCheckpoint)) {
            return false;
        }
        snapshot.setPosition(MessageIds.toProto(position.messageId())).setPositionTimeTick(position.timeTick());
        try {
            recovery.save(pchannel(), term(), snapshot.build(), start);
        } catch (StreamingException e) {
            synchronized (inFlight) {
                sinceCheckpoint += dirty;
            }
            if (e.isFenced()) {
                LOG.info("pchannel {} term {}: checkpoint not saved, a newer term owns the pchannel", pchannel(), term());
            } else {
                LOG.warn("pchannel {} term {}: checkpoint not saved: {}", pchannel(), term(), e.getMessage());
            }
            return false;
        }
        savedCheckpoint = start;
        return true;
    }

    private WalStatus.Scanners scannerModes() {
        int catchingUp = 0;
        int all;
        synchronized (scanners) {
            all = scanners.size();
            for (SwitchableScanner s : scanners) {
                if (s.isCatchingUp()) {
                    catchingUp++;
                }
            }
        }
        return new WalStatus.Scanners(catchingUp, all - catchingUp);
    }

    public WalStatus status() {
        int pending;
        long storedTimeTick;
        synchronized (inFlight) {
            pending = inFlight.size();
            storedTimeTick = lastStoredTimeTick;
        }
        StreamingException down = availability();
        return new WalStatus(pchannel(), term(), down == null, lastTimeTick, lastConfirmed, storedTimeTick, pending,
                buffer.entries(), buffer.bytes(), scannerModes(), appended.get(), savedCheckpoint, replayed, retainedBytes(),
                retention.status(), down == null ? null : down.getMessage());
    }

    private long retainedBytes() {
        try {
            return wal.retainedBytes();
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** The time tick of the last message published (a data message or a TimeTick). */
    public long lastTimeTick() {
        return lastTimeTick;
    }

    /** Stops appends, waits for accepted ones, closes scanners and the backend log. Idempotent. */
    @Override
    public void close() {
        List<SwitchableScanner> open;
        lockAppends();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            appendLock.unlock();
        }
        synchronized (scanners) {
            open = new ArrayList<>(scanners);
        }
        wal.close(); // completes every accepted append
        // A clean shutdown leaves a fresh checkpoint, so the next open replays (almost) nothing.
        checkpoint(true);
        open.forEach(SwitchableScanner::close);
        buffer.close();
        for (WalExtension x : extensions) {
            x.close();
        }
    }

    static boolean isDataType(MessageType type) {
        return !MessageKind.isPchannelWide(type);
    }
}
