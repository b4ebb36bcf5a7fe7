package io.tidelog.flush;

import com.google.protobuf.ByteString;
import io.tidelog.common.Backoff;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MutableMessage;
import io.tidelog.node.AppendResult;
import io.tidelog.node.WalExtension;
import io.tidelog.node.recovery.Checkpoint;
import io.tidelog.node.recovery.ExtensionState;
import io.tidelog.node.state.CollectionShard;
import io.tidelog.node.state.PchannelState;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.MessageType;
import io.tidelog.state.proto.CheckpointProto;
import io.tidelog.state.proto.FlusherStateProto;
import io.tidelog.tso.HybridTimestamps;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the stream of one pchannel into historical data: when a segment's {@code Flush} is published, writes the
 * segment's rows, which the {@link PchannelState} hands it with the Flush, to object storage as a Parquet file with
 * its manifest ({@link SegmentUploader}); buffers the deletes of every vchannel as the state makes them visible and
 * writes them to delete logs with the next segment flush of their vchannel, at a ManualFlush, at DropCollection, or
 * when they waited {@code flush.deletes.max.age}.
 *
 * <p><b>Checkpoint.</b> Its state ({@link #checkpointState}) names where it needs the log again: the first
 * message of the oldest data it holds not yet durable in object storage (a delete buffer, or a flush in
 * progress), or, when nothing waits, the last message it saw (the rows of growing segments are the pchannel
 * state's, which names its own point). The WAL is truncated below the earliest of those points and a reopen
 * replays from it, so every unflushed segment and delete is rebuilt and nothing already in object storage is
 * written again. A message is located by its last-confirmed id (which lies at or before the BeginTxn of every
 * transaction open when it was written) and its time tick: this flusher ignores a Flush or a delete at or below
 * the time tick.
 *
 * <p><b>Exactly once.</b> A segment's rows are exactly the inserts the log assigns to it (its id comes from
 * the log), so a flush repeated after a crash writes the same object keys with the same rows; the manifest is
 * created only if absent ({@code If-None-Match: *}), and a segment whose manifest exists is not written
 * again. Transactions are the pchannel state's: a transaction's rows join their segment, and its deletes reach
 * this flusher, at its CommitTxn, with the commit's time tick.
 *
 * <p><b>Bounded.</b> Growing segments are bounded by the shard manager's seal policies; what waits for
 * object storage by {@code flush.pending.max.bytes}: beyond it, inserts and deletes fail with
 * {@code RESOURCE_EXHAUSTED} (nothing written) until uploads catch up.
 *
 * <p><b>ManualFlush.</b> Its append completes once every segment it sealed and every delete before it on its
 * vchannel is durable in object storage ({@code flush.manual.timeout}, else {@code TIMEOUT}).
 *
 * <p><b>Threads.</b> {@link #observe} and the state's events on the WAL's publishing thread (it only keeps
 * references to payloads); uploads on {@code io}, the node's flush threads, retried with backoff until they
 * succeed or the WAL closes, reading back from the log what replay left there ({@link PchannelState#readBack}).
 * State under this object's monitor, never held during I/O.
 */
public final class Flusher implements WalExtension, PchannelState.Observer {
    private static final Logger LOG = LoggerFactory.getLogger(Flusher.class);

    private final String pchannel;
    private final Runnable retried;
    private final FlusherConfig config;
    private final SegmentUploader uploader;
    private final ScheduledExecutorService io;

    /** Deletes waiting for a delete log, by vchannel. Guarded by this. */
    private final Map<String, DeleteBuffer> deletes = new LinkedHashMap<>();
    /** Uploads not yet durable, in submission order. Guarded by this. */
    private final Map<Long, Upload> pending = new LinkedHashMap<>();
    /** Per published ManualFlush (live), what its append waits for. Guarded by this. */
    private final Map<MessageId, CompletableFuture<Void>> manualFlushes = new HashMap<>();
    /** Data at or below this time tick is in object storage already (restored checkpoint). Guarded by this. */
    private long skipThrough;
    /** Just after the last message seen. Guarded by this. */
    private Checkpoint position;
    private long uploads;
    /** Set at attach: the schemas of the collections, and the rows replay left in the log. */
    private volatile PchannelState state;
    /** Payload bytes of the uploads not yet durable. Guarded by this. */
    private long pendingBytes;
    private boolean closed;

    static final class DeleteBuffer {
        final long collectionId;
        final String vchannel;
        final Checkpoint first;
        final List<PchannelState.Piece> deletes = new ArrayList<>();
        long rows;

        DeleteBuffer(long collectionId, String vchannel, Checkpoint first) {
            this.collectionId = collectionId;
            this.vchannel = vchannel;
            this.first = first;
        }
    }

    /** A segment or a delete buffer on its way to object storage. */
    private final class Upload {
        final long id;
        final String vchannel;
        final Checkpoint first;
        final PchannelState.FlushedSegment segment;
        final DeleteBuffer deleted;
        final CollectionSchema schema;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final long bytes;
        final Backoff retries = new Backoff(config.retryBackoff(), config.retryMaxBackoff());
        int attempts;

        Upload(long id, String vchannel, Checkpoint first, PchannelState.FlushedSegment segment, DeleteBuffer deleted,
               CollectionSchema schema) {
            this.bytes = payloadBytes(segment != null ? segment.inserts() : deleted.deletes);
            this.id = id;
            this.vchannel = vchannel;
            this.first = first;
            this.segment = segment;
            this.deleted = deleted;
            this.schema = schema;
        }

        void run() {
            try {
                if (segment != null) {
                    uploader.uploadSegment(segment, schema, state.readBack(segment.inserts()));
                } else {
                    uploader.uploadDeletes(deleted, schema, state.readBack(deleted.deletes));
                }
            } catch (RuntimeException e) {
                retry(this, e);
                return;
            }
            synchronized (Flusher.this) {
                if (pending.remove(id) != null) {
                    pendingBytes -= bytes;
                }
            }
            done.complete(null);
        }

        String what() {
            return segment != null ? "segment " + segment.segmentId() + " of collection " + segment.collectionId()
                    : "the deletes of collection " + deleted.collectionId + " on " + deleted.vchannel;
        }
    }

    /**
     * @param io the node's flush threads (shared, not owned: the node shuts them down)
     */
    public Flusher(String pchannel, FlusherConfig config, SegmentUploader uploader, ScheduledExecutorService io) {
        this(pchannel, config, uploader, io, () -> { });
    }

    /**
     * @param io      the node's flush threads (shared, not owned: the node shuts them down)
     * @param retried called each time an upload failed and is retried (for metrics; cheap, takes no lock)
     */
    public Flusher(String pchannel, FlusherConfig config, SegmentUploader uploader, ScheduledExecutorService io,
                   Runnable retried) {
        this.retried = retried;
        this.pchannel = pchannel;
        this.config = config;
        this.uploader = uploader;
        this.io = io;
    }

    @Override
    public void attach(PchannelState state) {
        this.state = state;
        state.addObserver(this);
    }

    // ---- the log ----

    /** A sealed segment's Flush: its rows go to object storage, unless they are there already. */
    @Override
    public synchronized void segmentFlushed(PchannelState.FlushedSegment s) {
        if (Long.compareUnsigned(s.flushTimeTick(), skipThrough) <= 0) {
            return;
        }
        if (s.schema() == null) {
            LOG.error("pchannel {}: no schema of collection {} on {}: segment {} ({} rows since {}) cannot be flushed",
                    pchannel, s.collectionId(), s.vchannel(), s.segmentId(), s.rows(), s.first());
            return;
        }
        submit(s.vchannel(), s.first(), s, null, s.schema());
    }

    /** A visible delete joins its vchannel's delete buffer, unless it is in object storage already. */
    @Override
    public synchronized void deleted(PchannelState.Deleted d) {
        if (Long.compareUnsigned(d.piece().timeTick(), skipThrough) <= 0) {
            return;
        }
        DeleteBuffer b = deletes.computeIfAbsent(d.vchannel(), v -> new DeleteBuffer(d.collectionId(), v, d.before()));
        b.deletes.add(d.piece());
        b.rows += d.rows();
    }

    @Override
    public void observe(ImmutableMessage m, boolean replay) {
        try {
            synchronized (this) {
                apply(m, replay);
                advance(m);
            }
        } catch (RuntimeException e) {
            LOG.error("pchannel {}: the flusher could not apply {} at {}; its data may be missing from object storage",
                    pchannel, m.type(), m.id(), e);
        }
    }

    /** Under the monitor: the messages that cut a vchannel's delete buffer. */
    private void apply(ImmutableMessage m, boolean replay) {
        if (Long.compareUnsigned(m.timeTick(), skipThrough) <= 0) {
            return;
        }
        switch (m.type()) {
            case FLUSH, DROP_COLLECTION -> cutDeletes(m.vchannel());
            case MANUAL_FLUSH -> {
                cutDeletes(m.vchannel());
                if (!replay) {
                    manualFlushes.put(m.id(), allPendingOf(m.vchannel()));
                }
            }
            default -> {
            }
        }
    }

    private static MessageId confirmedOf(ImmutableMessage m) {
        return m.lastConfirmedId() != null ? m.lastConfirmedId() : m.id();
    }

    private void advance(ImmutableMessage m) {
        if (m.timeTick() != 0 && (position == null || Long.compareUnsigned(m.timeTick(), position.timeTick()) > 0)) {
            position = new Checkpoint(confirmedOf(m), m.timeTick());
        }
    }

    /** Under the monitor. */
    private void cutDeletes(String vchannel) {
        DeleteBuffer d = deletes.remove(vchannel);
        if (d == null) {
            return;
        }
        CollectionShard c = state.collection(vchannel);
        if (c == null || c.collectionId() != d.collectionId) {
            LOG.error("pchannel {}: no schema of collection {} on {}: its deletes since {} cannot be flushed", pchannel,
                    d.collectionId, vchannel, d.first);
            return;
        }
        submit(vchannel, d.first, null, d, c.rows().schema());
    }

    /** Under the monitor. */
    private void submit(String vchannel, Checkpoint first, PchannelState.FlushedSegment segment, DeleteBuffer deleted,
                        CollectionSchema schema) {
        Upload u = new Upload(++uploads, vchannel, first, segment, deleted, schema);
        pending.put(u.id, u);
        pendingBytes += u.bytes;
        if (!closed) {
            io.execute(u::run);
        }
    }

    private void retry(Upload u, RuntimeException failure) {
        long backoff;
        synchronized (this) {
            if (closed) {
                u.done.completeExceptionally(StreamingException.onShutdown("pchannel " + pchannel + " closed before "
                        + u.what() + " reached object storage"));
                return;
            }
            u.attempts++;
            backoff = TimeUnit.NANOSECONDS.toMillis(u.retries.nextNanos());
        }
        retried.run();
        LOG.warn("pchannel {}: flushing {} failed (attempt {}), retrying in {} ms: {}", pchannel, u.what(), u.attempts,
                backoff, failure.toString());
        io.schedule(u::run, backoff, TimeUnit.MILLISECONDS);
    }

    /** What a ManualFlush on {@code vchannel} waits for. Under the monitor. */
    private CompletableFuture<Void> allPendingOf(String vchannel) {
        List<CompletableFuture<Void>> waits = new ArrayList<>();
        for (Upload u : pending.values()) {
            if (u.vchannel.equals(vchannel)) {
                waits.add(u.done);
            }
        }
        return CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new));
    }

    // ---- appends: ManualFlush waits for object storage ----

    /** Only DML of collections (held back when uploads lag) and ManualFlush (waits for them) stop here. */
    @Override
    public boolean isPlain(MutableMessage m) {
        MessageType t = m.type();
        return t != MessageType.INSERT && t != MessageType.DELETE && t != MessageType.MANUAL_FLUSH;
    }

    @Override
    public CompletableFuture<AppendResult> append(MutableMessage m, Next next) {
        if (m.type() == MessageType.INSERT || m.type() == MessageType.DELETE) {
            long waiting;
            synchronized (this) {
                waiting = pendingBytes;
            }
            if (waiting > config.pendingMaxBytes()) {
                return CompletableFuture.failedFuture(new StreamingException(ErrorCode.RESOURCE_EXHAUSTED, "pchannel "
                        + pchannel + ": " + waiting + " bytes of sealed segments and deletes wait for object storage"
                        + " (flush.pending.max.bytes " + config.pendingMaxBytes() + "); retry once uploads catch up"));
            }
        }
        if (m.type() != MessageType.MANUAL_FLUSH) {
            return next.append(m);
        }
        return next.append(m).thenCompose(r -> {
            CompletableFuture<Void> durable;
            synchronized (this) {
                durable = manualFlushes.remove(r.id());
            }
            if (durable == null) {
                return CompletableFuture.completedFuture(r);
            }
            Duration timeout = config.manualTimeout();
            return durable.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).handle((v, e) -> {
                if (e == null) {
                    return r;
                }
                Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
                if (cause instanceof TimeoutException) {
                    throw new StreamingException(ErrorCode.TIMEOUT, "pchannel " + pchannel + ": the segments of "
                            + m.vchannel() + " are sealed, but their files were not in object storage within " + timeout
                            + "; they will be flushed when the object store accepts them");
                }
                throw StreamingException.from(cause);
            });
        });
    }

    // ---- time ticks: deletes that waited too long ----

    @Override
    public void onTimeTick(long timeTick) {
        long now = HybridTimestamps.physicalMillis(timeTick);
        synchronized (this) {
            List<String> due = new ArrayList<>();
            for (DeleteBuffer d : deletes.values()) {
                long waited = now - HybridTimestamps.physicalMillis(d.first.timeTick() + 1);
                if (d.rows >= config.deletesMaxRows() || waited >= config.deletesMaxAge().toMillis()) {
                    due.add(d.vchannel);
                }
            }
            due.forEach(this::cutDeletes);
        }
    }

    // ---- recovery ----

    @Override
    public String stateName() {
        return "flusher";
    }

    /** Where it needs the log again (see the class comment). */
    @Override
    public synchronized ExtensionState checkpointState() {
        Checkpoint from = position;
        for (Upload u : pending.values()) {
            from = earlier(from, u.first);
        }
        for (DeleteBuffer d : deletes.values()) {
            from = earlier(from, d.first);
        }
        FlusherStateProto.Builder b = FlusherStateProto.newBuilder();
        if (from == null) {
            return ExtensionState.of(b.build().toByteString());
        }
        b.setCheckpoint(from.toProto());
        return new ExtensionState(b.build().toByteString(), from);
    }

    private static Checkpoint earlier(Checkpoint a, Checkpoint b) {
        if (a == null) {
            return b;
        }
        return new Checkpoint(Checkpoint.earlierId(a.messageId(), b.messageId()), Math.min(a.timeTick(), b.timeTick()));
    }

    /** Its checkpoint; the collections earlier flushers kept are the pchannel state's now, and ignored here. */
    @Override
    public synchronized void restore(ByteString state) {
        FlusherStateProto p = ExtensionState.parse(FlusherStateProto.parser(), state,
                "pchannel " + pchannel + ": the persisted flusher state");
        if (p.hasCheckpoint()) {
            CheckpointProto cp = p.getCheckpoint();
            position = Checkpoint.fromProto(cp);
            skipThrough = cp.getTimeTick();
        }
    }

    @Override
    public void close() {
        List<Upload> left;
        synchronized (this) {
            closed = true;
            left = new ArrayList<>(pending.values());
            manualFlushes.clear();
        }
        for (Upload u : left) {
            u.done.completeExceptionally(StreamingException.onShutdown("pchannel " + pchannel + " closed before "
                    + u.what() + " reached object storage"));
        }
    }

    private static long payloadBytes(List<PchannelState.Piece> pieces) {
        long n = 0;
        for (PchannelState.Piece p : pieces) {
            n += p.payload() == null ? 0 : p.payload().size();
        }
        return n;
    }

    /** Payload bytes waiting for object storage (sealed, not yet uploaded). */
    public synchronized long pendingBytes() {
        return pendingBytes;
    }
}
