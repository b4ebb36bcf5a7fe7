package io.tidelog.recovery;

import com.google.protobuf.ByteString;
import io.tidelog.common.Backoff;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MutableMessage;
import io.tidelog.node.AppendResult;
import io.tidelog.node.Checkpoint;
import io.tidelog.node.ExtensionState;
import io.tidelog.node.StreamingWal;
import io.tidelog.node.WalExtension;
import io.tidelog.objectstore.ObjectStore;
import io.tidelog.proto.AlterCollectionBody;
import io.tidelog.proto.AlterCollectionHeader;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.CreateCollectionBody;
import io.tidelog.proto.CreateCollectionHeader;
import io.tidelog.proto.DeleteBody;
import io.tidelog.proto.DeleteHeader;
import io.tidelog.proto.DropCollectionHeader;
import io.tidelog.proto.FlushHeader;
import io.tidelog.proto.InsertBody;
import io.tidelog.proto.InsertHeader;
import io.tidelog.proto.MessageType;
import io.tidelog.state.proto.CheckpointProto;
import io.tidelog.state.proto.FlusherCollectionProto;
import io.tidelog.state.proto.FlusherStateProto;
import io.tidelog.tso.HybridTimestamps;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.LogRecord;
import io.tidelog.wal.WalScanner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the stream of one pchannel into historical data: buffers the rows of every growing segment and the
 * deletes of every vchannel as they are published, and when a segment's {@code Flush} is published writes it
 * to object storage as a Parquet file with its manifest ({@link SegmentUploader}); deletes go to delete logs
 * with the next segment flush of their vchannel, at a ManualFlush, at DropCollection, or when they waited
 * {@code flush.deletes.max.age}.
 *
 * <p><b>Checkpoint.</b> Its state ({@link #checkpointState}) names where it needs the log again: the first
 * message of the oldest data not yet durable in object storage (a buffered segment or delete buffer, or a
 * flush in progress), or, when nothing waits, the last message it saw. The WAL is truncated below that point
 * and a reopen replays from it, so the rows of every unflushed segment are rebuilt and nothing already in
 * object storage is read again. A message is located by its last-confirmed id (which lies at or before the
 * BeginTxn of every transaction open when it was written) and its time tick: replay reads from that id and
 * this flusher ignores data at or below the time tick.
 *
 * <p><b>Exactly once.</b> A segment's rows are exactly the inserts the log assigns to it (its id comes from
 * the log), so a flush repeated after a crash writes the same object keys with the same rows; the manifest is
 * created only if absent ({@code If-None-Match: *}), and a segment whose manifest exists is not written
 * again. Transactions: the bodies of a transaction are kept until its CommitTxn (then applied with the
 * commit's time tick) or dropped at its RollbackTxn, or when a newer term shows up (the new term rolled it back).
 *
 * <p><b>Bounded.</b> Growing segments are bounded by the shard manager's seal policies; what waits for
 * object storage by {@code flush.pending.max.bytes}: beyond it, inserts and deletes fail with
 * {@code RESOURCE_EXHAUSTED} (nothing written) until uploads catch up.
 *
 * <p><b>ManualFlush.</b> Its append completes once every segment it sealed and every delete before it on its
 * vchannel is durable in object storage ({@code flush.manual.timeout}, else {@code TIMEOUT}).
 *
 * <p><b>Threads.</b> {@link #observe} on the WAL's publishing thread (it only keeps references to payloads);
 * uploads on {@code io}, the node's flush threads, retried with backoff until they succeed or the WAL closes.
 * State under this object's monitor, never held during I/O.
 */
public final class Flusher implements WalExtension {
    private static final Logger LOG = LoggerFactory.getLogger(Flusher.class);

    private final String pchannel;
    private final FlusherConfig config;
    private final SegmentUploader uploader;
    private final ScheduledExecutorService io;

    /** Collections by vchannel (schemas for the files). Guarded by this. */
    private final Map<String, Shard> shards = new HashMap<>();
    /** Rows of growing segments, by segment id. Guarded by this. */
    private final Map<Long, SegmentBuffer> growing = new LinkedHashMap<>();
    /** Deletes waiting for a delete log, by vchannel. Guarded by this. */
    private final Map<String, DeleteBuffer> deletes = new LinkedHashMap<>();
    /** Data bodies of open transactions, by transaction id. Guarded by this. */
    private final Map<Long, OpenTxn> txns = new HashMap<>();
    /** Uploads not yet durable, in submission order. Guarded by this. */
    private final Map<Long, Upload> pending = new LinkedHashMap<>();
    /** Per published ManualFlush (live), what its append waits for. Guarded by this. */
    private final Map<MessageId, CompletableFuture<Void>> manualFlushes = new HashMap<>();
    /** Data at or below this time tick is in object storage already (restored checkpoint). Guarded by this. */
    private long skipThrough;
    /** Just after the last message seen. Guarded by this. */
    private Checkpoint position;
    private long term;
    private long uploads;
    /** Set at bind: where replayed pieces are read back from. */
    private volatile StreamingWal log;
    /** Payload bytes of the uploads not yet durable. Guarded by this. */
    private long pendingBytes;
    private boolean closed;

    private static final class Shard {
        final long collectionId;
        final TreeMap<Integer, CollectionSchema> schemas = new TreeMap<>();

        Shard(long collectionId) {
            this.collectionId = collectionId;
        }

        CollectionSchema current() {
            return schemas.lastEntry().getValue();
        }
    }

    /**
     * One payload (an InsertBody or DeleteBody, still encoded) with the time tick it became visible at. Replayed
     * pieces keep only the id of their record ({@code payload} null): recovery holds no rows in memory, and the
     * upload reads them back from the log, which keeps them until the checkpoint passes them.
     */
    record Piece(ByteString payload, MessageId id, long timeTick) {
        Piece withPayload(ByteString p) {
            return new Piece(p, id, timeTick);
        }
    }

    static final class SegmentBuffer {
        final long segmentId;
        final long collectionId;
        final long partitionId;
        final String vchannel;
        final Checkpoint first;
        final List<Piece> inserts = new ArrayList<>();
        long rows;

        SegmentBuffer(long segmentId, long collectionId, long partitionId, String vchannel, Checkpoint first) {
            this.segmentId = segmentId;
            this.collectionId = collectionId;
            this.partitionId = partitionId;
            this.vchannel = vchannel;
            this.first = first;
        }
    }

    static final class DeleteBuffer {
        final long collectionId;
        final String vchannel;
        final Checkpoint first;
        final List<Piece> deletes = new ArrayList<>();
        long rows;

        DeleteBuffer(long collectionId, String vchannel, Checkpoint first) {
            this.collectionId = collectionId;
            this.vchannel = vchannel;
            this.first = first;
        }
    }

    private static final class OpenTxn {
        final long term;
        final List<ImmutableMessage> bodies = new ArrayList<>();

        OpenTxn(long term) {
            this.term = term;
        }
    }

    /** A segment or a delete buffer on its way to object storage. */
    private final class Upload {
        final long id;
        final String vchannel;
        final Checkpoint first;
        final SegmentBuffer segment;
        final DeleteBuffer deleted;
        final CollectionSchema schema;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final long bytes;
        final Backoff retries = new Backoff(config.retryBackoff(), config.retryMaxBackoff());
        int attempts;

        Upload(long id, String vchannel, Checkpoint first, SegmentBuffer segment, DeleteBuffer deleted,
               CollectionSchema schema) {
            this.bytes = payloadBytes(segment != null ? segment.inserts : deleted.deletes);
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
                    uploader.uploadSegment(segment, schema, readBack(segment.inserts));
                } else {
                    uploader.uploadDeletes(deleted, schema, readBack(deleted.deletes));
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
            return segment != null ? "segment " + segment.segmentId + " of collection " + segment.collectionId
                    : "the deletes of collection " + deleted.collectionId + " on " + deleted.vchannel;
        }
    }

    /**
     * @param io the node's flush threads (shared, not owned: the node shuts them down)
     */
    public Flusher(String pchannel, FlusherConfig config, SegmentUploader uploader, ScheduledExecutorService io) {
        this.pchannel = pchannel;
        this.config = config;
        this.uploader = uploader;
        this.io = io;
    }

    // ---- the log ----

    @Override
    public void observe(ImmutableMessage m, boolean replay) {
        try {
            synchronized (this) {
                if (m.term() > term) {
                    term = m.term();
                    txns.values().removeIf(t -> t.term < term);
                }
                apply(m, replay);
                advance(m);
            }
        } catch (RuntimeException e) {
            LOG.error("pchannel {}: the flusher could not apply {} at {}; its data may be missing from object storage",
                    pchannel, m.type(), m.id(), e);
        }
    }

    /** Under the monitor. */
    private void apply(ImmutableMessage m, boolean replay) {
        MessageType type = m.type();
        switch (type) {
            case TIME_TICK -> {
            }
            case CREATE_COLLECTION -> {
                CreateCollectionHeader h = m.header(CreateCollectionHeader.class);
                CollectionSchema schema = m.body(CreateCollectionBody.parser()).getSchema();
                shards.computeIfAbsent(m.vchannel(), v -> new Shard(h.getCollectionId()))
                        .schemas.putIfAbsent(schema.getVersion(), schema);
            }
            case ALTER_COLLECTION -> {
                AlterCollectionHeader h = m.header(AlterCollectionHeader.class);
                CollectionSchema schema = m.body(AlterCollectionBody.parser()).getSchema();
                Shard s = shards.get(m.vchannel());
                if (s != null && s.collectionId == h.getCollectionId()) {
                    s.schemas.putIfAbsent(schema.getVersion(), schema);
                }
            }
            case BEGIN_TXN -> {
                if (m.txn() != null) {
                    txns.put(m.txn().getTxnId(), new OpenTxn(m.term()));
                }
            }
            case COMMIT_TXN -> {
                OpenTxn t = m.txn() == null ? null : txns.remove(m.txn().getTxnId());
                if (t != null && m.timeTick() > skipThrough) {
                    for (ImmutableMessage body : t.bodies) {
                        applyData(body, m, replay);
                    }
                }
            }
            case ROLLBACK_TXN -> {
                if (m.txn() != null) {
                    txns.remove(m.txn().getTxnId());
                }
            }
            case INSERT, DELETE -> {
                if (m.txn() != null) {
                    OpenTxn t = txns.get(m.txn().getTxnId());
                    if (t != null) {
                        t.bodies.add(m);
                    }
                } else if (m.timeTick() > skipThrough) {
                    applyData(m, m, replay);
                }
            }
            case FLUSH -> {
                if (m.timeTick() > skipThrough) {
                    FlushHeader h = m.header(FlushHeader.class);
                    SegmentBuffer s = growing.remove(h.getSegmentId());
                    if (s != null) {
                        submit(s.vchannel, s.first, s, null);
                    }
                    cutDeletes(m.vchannel());
                }
            }
            case MANUAL_FLUSH -> {
                if (m.timeTick() > skipThrough) {
                    cutDeletes(m.vchannel());
                    if (!replay) {
                        manualFlushes.put(m.id(), allPendingOf(m.vchannel()));
                    }
                }
            }
            case DROP_COLLECTION -> {
                if (m.timeTick() > skipThrough) {
                    cutDeletes(m.vchannel());
                }
                Shard s = shards.get(m.vchannel());
                if (s != null && s.collectionId == m.header(DropCollectionHeader.class).getCollectionId()
                        && growing.values().stream().noneMatch(g -> g.vchannel.equals(m.vchannel()))) {
                    shards.remove(m.vchannel());
                }
            }
            default -> {
            }
        }
    }

    /**
     * Buffers the rows or keys of {@code body}, visible from {@code at} (itself, or its transaction's commit): the
     * payload itself when live, only the record's id on replay.
     */
    private void applyData(ImmutableMessage body, ImmutableMessage at, boolean replay) {
        Checkpoint before = new Checkpoint(confirmedOf(at), at.timeTick() - 1);
        Piece piece = new Piece(replay ? null : body.payload(), body.id(), at.timeTick());
        if (body.type() == MessageType.INSERT) {
            InsertHeader h = body.header(InsertHeader.class);
            if (h.getPartitionsCount() != 1) {
                throw new StreamingException(ErrorCode.DATA_CORRUPTED, "an insert names " + h.getPartitionsCount()
                        + " partitions; the node assigns exactly one");
            }
            var p = h.getPartitions(0);
            SegmentBuffer s = growing.computeIfAbsent(p.getSegmentId(), id -> new SegmentBuffer(id,
                    h.getCollectionId(), p.getPartitionId(), body.vchannel(), before));
            s.inserts.add(piece);
            s.rows += p.getRows();
        } else {
            DeleteHeader h = body.header(DeleteHeader.class);
            DeleteBuffer d = deletes.computeIfAbsent(body.vchannel(), v -> new DeleteBuffer(h.getCollectionId(), v, before));
            d.deletes.add(piece);
            d.rows += h.getRows();
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
        if (d != null) {
            submit(vchannel, d.first, null, d);
        }
    }

    /** Under the monitor. */
    private void submit(String vchannel, Checkpoint first, SegmentBuffer segment, DeleteBuffer deleted) {
        Shard shard = shards.get(vchannel);
        long collection = segment != null ? segment.collectionId : deleted.collectionId;
        if (shard == null || shard.collectionId != collection) {
            LOG.error("pchannel {}: no schema of collection {} on {}: its data since {} cannot be flushed", pchannel,
                    collection, vchannel, first);
            return;
        }
        Upload u = new Upload(++uploads, vchannel, first, segment, deleted, shard.current());
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

    @Override
    public void bind(StreamingWal wal) {
        this.log = wal;
    }

    /**
     * {@code pieces} with every payload in memory: those replay left in the log are read back from it (one scan
     * from the first of them). Runs on a flush thread.
     */
    private List<Piece> readBack(List<Piece> pieces) {
        Map<MessageId, Integer> missing = new HashMap<>();
        MessageId first = null;
        MessageId last = null;
        for (int i = 0; i < pieces.size(); i++) {
            Piece p = pieces.get(i);
            if (p.payload() == null) {
                missing.put(p.id(), i);
                first = first == null || p.id().isBefore(first) ? p.id() : first;
                last = last == null || p.id().isAfter(last) ? p.id() : last;
            }
        }
        if (missing.isEmpty()) {
            return pieces;
        }
        StreamingWal wal = log;
        if (wal == null) {
            throw StreamingException.onShutdown("pchannel " + pchannel + " does not serve yet: its log cannot be read back");
        }
        List<Piece> out = new ArrayList<>(pieces);
        try (WalScanner s = wal.readLog(DeliverPolicy.startFrom(first))) {
            int left = missing.size();
            while (left > 0) {
                LogRecord r = s.poll(Duration.ofSeconds(30));
                if (r == null) {
                    throw new StreamingException(ErrorCode.TIMEOUT, "pchannel " + pchannel + ": reading back records "
                            + first + ".." + last + " stalled");
                }
                Integer at = missing.get(r.id());
                if (at != null) {
                    out.set(at, out.get(at).withPayload(ImmutableMessage.decode(r.id(), r.payload()).payload()));
                    left--;
                } else if (r.id().isAfter(last)) {
                    throw new StreamingException(ErrorCode.DATA_CORRUPTED, "pchannel " + pchannel + ": " + left
                            + " records between " + first + " and " + last + " are missing from the log");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StreamingException.onShutdown("interrupted while reading back pchannel " + pchannel);
        }
        return out;
    }

    // ---- appends: ManualFlush waits for object storage ----

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

    /** The schemas it knows and where it needs the log again (see the class comment). */
    @Override
    public synchronized ExtensionState checkpointState() {
        Checkpoint from = position;
        for (Upload u : pending.values()) {
            from = earlier(from, u.first);
        }
        for (SegmentBuffer s : growing.values()) {
            from = earlier(from, s.first);
        }
        for (DeleteBuffer d : deletes.values()) {
            from = earlier(from, d.first);
        }
        FlusherStateProto.Builder b = FlusherStateProto.newBuilder();
        shards.forEach((v, s) -> b.addCollections(FlusherCollectionProto.newBuilder().setVchannel(v)
                .setCollectionId(s.collectionId).addAllSchemas(s.schemas.values())));
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

    @Override
    public synchronized void restore(ByteString state) {
        FlusherStateProto p = ExtensionState.parse(FlusherStateProto.parser(), state,
                "pchannel " + pchannel + ": the persisted flusher state");
        shards.clear();
        for (FlusherCollectionProto c : p.getCollectionsList()) {
            Shard s = new Shard(c.getCollectionId());
            c.getSchemasList().forEach(schema -> s.schemas.put(schema.getVersion(), schema));
            if (!s.schemas.isEmpty()) {
                shards.put(c.getVchannel(), s);
            }
        }
        if (p.hasCheckpoint()) {
            CheckpointProto cp = p.getCheckpoint();
            position = Checkpoint.fromProto(cp);
            skipThrough = cp.getTimeTick();
        }
    }

    // ---- status ----

    /** Segments and delete buffers not yet durable in object storage (buffered or uploading). */
    public synchronized int waiting() {
        return growing.size() + deletes.size() + pending.size();
    }

    /** Rows buffered in growing segments. */
    public synchronized long bufferedRows() {
        long rows = 0;
        for (SegmentBuffer s : growing.values()) {
            rows += s.rows;
        }
        return rows;
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

    private static long payloadBytes(List<Piece> pieces) {
        long n = 0;
        for (Piece p : pieces) {
            n += p.payload() == null ? 0 : p.payload().size();
        }
        return n;
    }

    /** Payload bytes waiting for object storage (sealed, not yet uploaded). */
    public synchronized long pendingBytes() {
        return pendingBytes;
    }

    static InsertBody insertBody(Piece p) {
        return ExtensionState.parse(InsertBody.parser(), p.payload(), "an insert body in the log at " + p.id());
    }

    static DeleteBody deleteBody(Piece p) {
        return ExtensionState.parse(DeleteBody.parser(), p.payload(), "a delete body in the log at " + p.id());
    }
}
