package io.tidelog.node.state;

import com.google.protobuf.ByteString;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.RowValidator;
import io.tidelog.node.recovery.Checkpoint;
import io.tidelog.node.recovery.ExtensionState;
import io.tidelog.proto.AlterCollectionBody;
import io.tidelog.proto.AlterCollectionHeader;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.CreateCollectionBody;
import io.tidelog.proto.CreateCollectionHeader;
import io.tidelog.proto.CreatePartitionHeader;
import io.tidelog.proto.CreateSegmentHeader;
import io.tidelog.proto.DeleteHeader;
import io.tidelog.proto.DropCollectionHeader;
import io.tidelog.proto.DropPartitionHeader;
import io.tidelog.proto.FlushHeader;
import io.tidelog.proto.InsertHeader;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.PartitionSegment;
import io.tidelog.state.proto.CollectionShardProto;
import io.tidelog.state.proto.GrowingSegmentProto;
import io.tidelog.state.proto.OpenTxnProto;
import io.tidelog.state.proto.ShardStateProto;
import io.tidelog.state.proto.TxnStateProto;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.LogRecord;
import io.tidelog.wal.WalScanner;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one log-derived state of a pchannel: what its log says about collections (schema versions, partitions,
 * dropped), growing segments (their CreateSegment, the rows the log assigns them and where those rows are) and
 * transactions open in the log (their bodies, visible only at their CommitTxn). Every reader of these facts reads
 * them here: the shard rules ({@code ShardManager}), transactions ({@code TxnManager}: which the next term rolls
 * back), the flusher (the rows of a segment at its Flush, deletes as they become visible), and the status.
 *
 * <p><b>One writer, in log order.</b> {@link #apply} is called by the pchannel's {@code StreamingWal} for every
 * message, before any extension observes it: on the replaying thread while the WAL starts, then on the publishing
 * step (the backend's acknowledgement thread, under the WAL's publication monitor). The only other change is a
 * decision of the node kept with the facts because a checkpoint must carry it ({@link #markSealed}: a segment that
 * takes no more inserts while its Flush is not yet in the log). Readers on other threads take this object's
 * monitor, which is a leaf: nothing is called while it is held, observers included.
 *
 * <p><b>Checkpoint and replay.</b> {@link #checkpointStates} gives the facts after the last message applied under
 * the names the node has always persisted them ({@value #SHARDS}: collections and segments, {@value #TXNS}: open
 * transactions), and where the log is needed again: the first row of the oldest growing segment and the begin of
 * the oldest open transaction, whose rows only the log holds. Replay then feeds the records from there; those at
 * or before the checkpoint's position ({@link Phase#BEFORE_CHECKPOINT}) only rebuild where rows are, the facts
 * being already restored; rows rebuilt by replay keep only their record's id, read back from the log when needed
 * ({@link #readBack}), so a restart holds no rows in memory.
 *
 * <p><b>Observers</b> ({@link Observer}) learn, on the applying thread right after the state changed and outside
 * its monitor, of each segment's Flush with its rows, and of each insert and each delete as it becomes visible.
 * Rows are kept only for them: without an observer (a node that flushes nothing) the state holds no rows, names no
 * point before its checkpoint, and replay reads only what follows the checkpoint.
 */
public final class PchannelState {
    private static final Logger LOG = LoggerFactory.getLogger(PchannelState.class);

    /** Under this name the collections and their growing segments are persisted (as {@link ShardStateProto}). */
    public static final String SHARDS = "shards";
    /** Under this name the transactions open in the log are persisted (as {@link TxnStateProto}). */
    public static final String TXNS = "txns";
    /** Dropped collections are remembered (for clear errors) up to this many per pchannel, oldest forgotten first. */
    static final int MAX_DROPPED_KEPT = 1024;

    /** Where a message given to {@link #apply} comes from. */
    public enum Phase {
        /** Replayed, at or before the restored checkpoint: the facts have it already, only rows are rebuilt. */
        BEFORE_CHECKPOINT,
        /** Replayed after the restored checkpoint (or without one). */
        REPLAY,
        /** Published while the WAL serves. */
        LIVE
    }

    /**
     * Learns what the state derives. Called on the applying thread (see the class comment), after the state
     * changed, outside its monitor, in log order; must be quick and must not append.
     */
    public interface Observer {
        /** A segment's Flush: the segment with every row the log assigned it. */
        default void segmentFlushed(FlushedSegment segment) {
        }

        /** A delete became visible (at itself, or at its transaction's commit). */
        default void deleted(Deleted delete) {
        }

        /**
         * Rows became visible (an insert at itself, or at its transaction's commit), also while the log is replayed,
         * before and after the checkpoint: a reader of growing data rebuilds it from these. Rows of a segment that
         * is flushed already come again on a replay, followed by its {@link #segmentFlushed}.
         */
        default void inserted(Inserted insert) {
        }
    }

    /**
     * One InsertBody or DeleteBody of the log, still encoded, with the time tick at which it became visible.
     *
     * @param payload null when replay left it in the log at {@code id} ({@link #readBack} fetches it)
     */
    public record Piece(ByteString payload, MessageId id, long timeTick) {
        Piece withPayload(ByteString p) {
            return new Piece(p, id, timeTick);
        }
    }

    /**
     * A segment whose Flush was just applied.
     *
     * @param schema        the schema of its rows (the version its CreateSegment names, else the current one);
     *                      null if the collection is not known here
     * @param first         the point before its first row: replay from there rebuilds it
     * @param flushTimeTick the time tick of its Flush
     * @param inserts       its rows in log order
     */
    public record FlushedSegment(long segmentId, long collectionId, long partitionId, String vchannel,
                                 CollectionSchema schema, Checkpoint first, long flushTimeTick, List<Piece> inserts,
                                 long rows) {
        public FlushedSegment {
            inserts = List.copyOf(inserts);
        }
    }

    /**
     * A delete that just became visible.
     *
     * @param before  the point just before it: replay from there sees it again
     * @param rows    primary keys it deletes
     * @param payload the encoded {@code DeleteBody}, always present (the piece holds it only while the WAL serves)
     */
    public record Deleted(long collectionId, String vchannel, Checkpoint before, Piece piece, long rows,
                          ByteString payload) {
    }

    /**
     * Rows that just became visible.
     *
     * @param schema   the schema of the segment's rows (the version its CreateSegment names, else the current one);
     *                 null if the collection is not known here
     * @param payload  the encoded {@code InsertBody}, always present (also on a replay)
     * @param timeTick the time tick at which they became visible (the insert's, or its transaction's commit's)
     */
    public record Inserted(long collectionId, long partitionId, long segmentId, String vchannel,
                           CollectionSchema schema, ByteString payload, MessageId id, long timeTick, long rows) {
    }

    /** A growing segment as the log defines it. Guarded by the state. */
    private static final class Segment {
        final SegmentSpec spec;
        long createTimeTick;
        long rows;
        long bytes;
        long lastInsertTimeTick;
        SealReason sealedBy;
        /** Its rows in log order (visible ones: a transaction's at its commit). */
        final List<Piece> pieces = new ArrayList<>();
        long pieceRows;
        /** Before its first piece; null while it has none. */
        Checkpoint first;
        /**
         * Known only from rows rebuilt before the checkpoint (a segment flushed there): its facts are not the
         * checkpoint's, and it is not persisted.
         */
        final boolean rebuiltOnly;

        Segment(SegmentSpec spec, boolean rebuiltOnly) {
            this.spec = spec;
            this.rebuiltOnly = rebuiltOnly;
        }

        ShardSnapshot.Segment view() {
            return new ShardSnapshot.Segment(spec.id(), spec.partitionId(), spec.schemaVersion(), spec.maxBytes(),
                    spec.maxRows(), createTimeTick, rows, bytes, lastInsertTimeTick);
        }
    }

    /** A transaction begun and not yet ended in the log. Guarded by the state. */
    private static final class Txn {
        final long id;
        final String vchannel;
        /** From where replay sees its begin and bodies; null if not known (restored from an older state). */
        final Checkpoint begin;
        /** Its Insert and Delete bodies in log order, applied at its commit. */
        final List<ImmutableMessage> bodies = new ArrayList<>();
        /** Growing segments it inserted into: their Flush waits for its end. */
        final Set<Long> segments = new HashSet<>();

        Txn(long id, String vchannel, Checkpoint begin) {
            this.id = id;
            this.vchannel = vchannel;
            this.begin = begin;
        }
    }

    private final String pchannel;
    private final Function<DeliverPolicy, WalScanner> log;
    private final List<Observer> observers = new CopyOnWriteArrayList<>();
    /**
     * Whether rows are kept (and the log held for them): only when an observer needs them. A node that flushes
     * nothing keeps no rows and replays only what follows its checkpoint.
     */
    private volatile boolean keepsRows;
    /** By vchannel. Written under this object's monitor, read without it (the records are immutable). */
    private final Map<String, CollectionShard> collections = new ConcurrentHashMap<>();
    /** Vchannels of dropped collections, oldest first. Guarded by this. */
    private final ArrayDeque<String> dropped = new ArrayDeque<>();
    /** Growing segments by id, oldest first. Guarded by this. */
    private final Map<Long, Segment> segments = new LinkedHashMap<>();
    /** Seals of segments whose CreateSegment is not applied yet. Guarded by this. */
    private final Map<Long, SealReason> sealedEarly = new HashMap<>();
    /** By transaction id, oldest first. Guarded by this. */
    private final Map<Long, Txn> txns = new LinkedHashMap<>();
    /**
     * What the message being applied led to, for the observers: filled under the monitor, dispatched and cleared
     * after it by the same thread. Owned by the applying thread (one at a time, see the class comment); reused, so
     * applying a message allocates nothing for it.
     */
    private final List<Object> pending = new ArrayList<>();

    /**
     * @param log reads the pchannel's records as stored (for {@link #readBack})
     */
    public PchannelState(String pchannel, Function<DeliverPolicy, WalScanner> log) {
        this.pchannel = Objects.requireNonNull(pchannel, "pchannel");
        this.log = Objects.requireNonNull(log, "log");
    }

    public String pchannel() {
        return pchannel;
    }

    /**
     * {@code o} learns of flushed segments and visible deletes from the next message applied on; from then on the
     * state keeps the rows of growing segments and the bodies of open transactions. Call it before replay.
     */
    public void addObserver(Observer o) {
        observers.add(Objects.requireNonNull(o, "observer"));
        keepsRows = true;
    }

    // ---- reads ----

    /** The collection shard of {@code vchannel} (live or dropped), or null. Takes no lock: every append reads it. */
    public CollectionShard collection(String vchannel) {
        return collections.get(vchannel);
    }

    /** The growing segment {@code id} as the log defines it (its CreateSegment applied), or null. */
    public synchronized ShardSnapshot.Segment segment(long id) {
        Segment s = segments.get(id);
        return s == null || s.rebuiltOnly || s.createTimeTick == 0 ? null : s.view();
    }

    /** Why segment {@code id} takes no more inserts, or null: it takes them, or it is not growing. */
    public synchronized SealReason sealedBy(long id) {
        Segment s = segments.get(id);
        return s == null ? null : s.sealedBy;
    }

    /** Whether a transaction with inserts in segment {@code id} is still open in the log (its Flush must wait). */
    public synchronized boolean hasOpenTxnsIn(long id) {
        for (Txn t : txns.values()) {
            if (t.segments.contains(id)) {
                return true;
            }
        }
        return false;
    }

    /** The transactions open in the log: id → vchannel, oldest first. */
    public synchronized Map<Long, String> openTxns() {
        Map<Long, String> out = new LinkedHashMap<>();
        txns.forEach((id, t) -> out.put(id, t.vchannel));
        return out;
    }

    /** The growing segments (CreateSegment applied, no Flush yet), oldest first. */
    public synchronized List<ShardSnapshot.Segment> segments() {
        List<ShardSnapshot.Segment> out = new ArrayList<>();
        for (Segment s : segments.values()) {
            if (!s.rebuiltOnly && s.createTimeTick != 0) {
                out.add(s.view());
            }
        }
        return out;
    }

    /** How many of the growing segments ({@link #segments()}) are sealed: they take no more inserts, their Flush is due. */
    public synchronized int sealedSegments() {
        int n = 0;
        for (Segment s : segments.values()) {
            if (!s.rebuiltOnly && s.createTimeTick != 0 && s.sealedBy != null) {
                n++;
            }
        }
        return n;
    }

    /** The collection shards with their growing segments, as the log defines them. */
    public synchronized ShardSnapshot snapshot() {
        Map<String, List<ShardSnapshot.Segment>> byVchannel = new HashMap<>();
        for (Segment s : segments.values()) {
            if (!s.rebuiltOnly && s.createTimeTick != 0) {
                byVchannel.computeIfAbsent(s.spec.vchannel(), v -> new ArrayList<>()).add(s.view());
            }
        }
        Map<String, ShardSnapshot.Collection> out = new HashMap<>();
        collections.forEach((v, c) -> out.put(v, c.snapshot(byVchannel.getOrDefault(v, List.of()))));
        return new ShardSnapshot(out);
    }

    /**
     * {@code pieces} with every payload in memory: those replay left in the log are read back in one scan from the
     * first of them. Blocks on the log: call it on an I/O thread.
     *
     * @throws StreamingException {@code DATA_CORRUPTED} if a record is missing from the log, {@code TIMEOUT} if the
     *                            log stalls, {@code ON_SHUTDOWN} once the WAL is closed
     */
    public List<Piece> readBack(List<Piece> pieces) {
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
        List<Piece> out = new ArrayList<>(pieces);
        try (WalScanner s = log.apply(DeliverPolicy.startFrom(first))) {
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

    // ---- the node's decision kept with the facts ----

    /** Segment {@code id} takes no more inserts (its Flush follows); recorded for checkpoints. */
    public synchronized void markSealed(long id, SealReason reason) {
        Segment s = segments.get(id);
        if (s != null) {
            if (s.sealedBy == null) {
                s.sealedBy = reason;
            }
        } else {
            sealedEarly.putIfAbsent(id, reason);
        }
    }

    /** Segment {@code id} will never be created (its CreateSegment failed): forget a seal recorded for it. */
    public synchronized void forgetSeal(long id) {
        sealedEarly.remove(id);
    }

    // ---- the log ----

    /**
     * Applies one message of the log, in log order (see the class comment); then tells the observers what
     * followed from it. Never throws: a message that cannot be applied is logged and leaves the state as it was.
     */
    public void apply(ImmutableMessage m, Phase phase) {
        List<Object> events;
        synchronized (this) {
            try {
                events = phase == Phase.BEFORE_CHECKPOINT ? rebuild(m) : applyFully(m, phase == Phase.REPLAY);
            } catch (RuntimeException e) {
                LOG.warn("pchannel {}: {} at {} was not applied to the pchannel state: {}", pchannel, m.type(), m.id(),
                        e.toString());
                events = pending;
            }
        }
        if (!events.isEmpty()) {
            try {
                notify(events);
            } finally {
                events.clear();
            }
        }
    }

    private void notify(List<Object> events) {
        assert !Thread.holdsLock(this) : "observers are called outside the state's monitor";
        for (Object e : events) {
            for (Observer o : observers) {
                try {
                    if (e instanceof FlushedSegment f) {
                        o.segmentFlushed(f);
                    } else if (e instanceof Inserted i) {
                        o.inserted(i);
                    } else {
                        o.deleted((Deleted) e);
                    }
                } catch (RuntimeException failure) {
                    LOG.error("pchannel {}: an observer of the pchannel state failed on {}", pchannel, e, failure);
                }
            }
        }
    }

    /** Under the monitor: a record at or before the restored checkpoint rebuilds rows, and nothing else. */
    private List<Object> rebuild(ImmutableMessage m) {
        List<Object> events = pending;
        switch (m.type()) {
            case BEGIN_TXN, COMMIT_TXN, ROLLBACK_TXN -> applyTxnControl(m, true, events);
            case INSERT, DELETE -> {
                if (m.txn() != null) {
                    addBody(m);
                } else {
                    visible(m, m, true, events);
                }
            }
            case CREATE_SEGMENT -> {
                CreateSegmentHeader h = m.header(CreateSegmentHeader.class);
                segments.computeIfAbsent(h.getSegmentId(), id -> new Segment(SegmentSpec.of(h, m.vchannel()), true));
            }
            case FLUSH -> flushed(m, events);
            default -> {
            }
        }
        return events;
    }

    /** Under the monitor. */
    private List<Object> applyFully(ImmutableMessage m, boolean replay) {
        List<Object> events = pending;
        switch (m.type()) {
            case CREATE_COLLECTION -> applyCreateCollection(m);
            case DROP_COLLECTION -> applyDropCollection(m);
            case CREATE_PARTITION -> {
                CreatePartitionHeader h = m.header(CreatePartitionHeader.class);
                CollectionShard c = live(m.vchannel(), h.getCollectionId());
                if (c != null) {
                    collections.put(c.vchannel(), c.withPartition(h.getPartitionId(), true));
                }
            }
            case DROP_PARTITION -> applyDropPartition(m);
            case ALTER_COLLECTION -> {
                AlterCollectionHeader h = m.header(AlterCollectionHeader.class);
                RowValidator rows = RowValidator.of(m.body(AlterCollectionBody.parser()).getSchema());
                CollectionShard c = live(m.vchannel(), h.getCollectionId());
                if (c != null && rows.schema().getVersion() > c.schemaVersion()) {
                    collections.put(c.vchannel(), c.altered(rows));
                }
            }
            case CREATE_SEGMENT -> applyCreateSegment(m);
            case INSERT -> applyInsert(m, replay, events);
            case DELETE -> {
                if (m.txn() != null) {
                    addBody(m);
                } else {
                    visible(m, m, replay, events);
                }
            }
            case BEGIN_TXN, COMMIT_TXN, ROLLBACK_TXN -> applyTxnControl(m, replay, events);
            case FLUSH -> flushed(m, events);
            default -> {
            }
        }
        return events;
    }

    /** Under the monitor: a transaction begins, or ends (its bodies visible at a commit, dropped at a rollback). */
    private void applyTxnControl(ImmutableMessage m, boolean replay, List<Object> events) {
        if (m.txn() == null) {
            return;
        }
        long id = m.txn().getTxnId();
        if (m.type() == MessageType.BEGIN_TXN) {
            txns.putIfAbsent(id, new Txn(id, m.vchannel(), before(m)));
            return;
        }
        Txn t = txns.remove(id);
        if (t != null && m.type() == MessageType.COMMIT_TXN) {
            t.bodies.forEach(b -> visible(b, m, replay, events));
        }
    }

    /** Under the monitor: a body of an open transaction, kept (when rows are) until its end. */
    private void addBody(ImmutableMessage m) {
        Txn t = txns.get(m.txn().getTxnId());
        if (t != null && keepsRows) {
            t.bodies.add(m);
        }
    }

    private void applyCreateCollection(ImmutableMessage m) {
        CreateCollectionHeader h = m.header(CreateCollectionHeader.class);
        RowValidator rows = RowValidator.of(m.body(CreateCollectionBody.parser()).getSchema());
        if (!collections.containsKey(m.vchannel()) && h.getPartitionIdsCount() > 0) {
            collections.put(m.vchannel(), CollectionShard.created(m.vchannel(), h.getCollectionId(), rows,
                    h.getPartitionIdsList()));
        }
    }

    private void applyDropCollection(ImmutableMessage m) {
        CollectionShard c = live(m.vchannel(), m.header(DropCollectionHeader.class).getCollectionId());
        if (c == null) {
            return;
        }
        collections.put(c.vchannel(), c.dropped());
        segments.values().removeIf(s -> s.spec.vchannel().equals(c.vchannel()));
        dropped.add(c.vchannel());
        while (dropped.size() > MAX_DROPPED_KEPT) {
            collections.remove(dropped.poll());
        }
    }

    private void applyDropPartition(ImmutableMessage m) {
        DropPartitionHeader h = m.header(DropPartitionHeader.class);
        CollectionShard c = live(m.vchannel(), h.getCollectionId());
        if (c != null && h.getPartitionId() != c.defaultPartition()) {
            collections.put(c.vchannel(), c.withPartition(h.getPartitionId(), false));
            segments.values().removeIf(s -> s.spec.vchannel().equals(c.vchannel()) && s.spec.partitionId() == h.getPartitionId());
        }
    }

    /**
     * The node opened the segment before its CreateSegment was appended; here the log records it. A growing
     * segment of the same partition it replaces was sealed (its Flush never written if replay finds it unsealed:
     * the node stopped in between); it is sealed now and flushed at the next time tick.
     */
    private void applyCreateSegment(ImmutableMessage m) {
        CreateSegmentHeader h = m.header(CreateSegmentHeader.class);
        CollectionShard c = live(m.vchannel(), h.getCollectionId());
        if (c == null) {
            return;
        }
        Segment s = segments.get(h.getSegmentId());
        if (s == null) {
            for (Segment before : segments.values()) {
                if (before.spec.vchannel().equals(m.vchannel()) && before.spec.partitionId() == h.getPartitionId()
                        && before.sealedBy == null && !before.rebuiltOnly) {
                    before.sealedBy = SealReason.RECOVERED;
                    LOG.info("{}: segment {} of partition {} sealed ({}): {} rows, {} bytes", c.where(), before.spec.id(),
                            before.spec.partitionId(), SealReason.RECOVERED, before.rows, before.bytes);
                }
            }
            s = new Segment(SegmentSpec.of(h, m.vchannel()), false);
            s.sealedBy = sealedEarly.remove(s.spec.id());
            segments.put(s.spec.id(), s);
        }
        s.createTimeTick = m.timeTick();
    }

    private void applyInsert(ImmutableMessage m, boolean replay, List<Object> events) {
        InsertHeader h = m.header(InsertHeader.class);
        if (live(m.vchannel(), h.getCollectionId()) == null) {
            return;
        }
        Txn t = m.txn() == null ? null : txns.get(m.txn().getTxnId());
        for (PartitionSegment p : h.getPartitionsList()) {
            Segment s = segments.get(p.getSegmentId());
            if (s == null || s.rebuiltOnly) {
                continue;
            }
            s.rows += p.getRows();
            s.bytes += p.getBinarySize();
            s.lastInsertTimeTick = m.timeTick();
            if (t != null) {
                t.segments.add(s.spec.id());
            }
        }
        if (m.txn() == null) {
            visible(m, m, replay, events);
        } else {
            addBody(m);
        }
    }

    /**
     * {@code body} (an Insert or Delete) became visible at {@code at} (itself, or its transaction's commit): an
     * insert's rows join its segment, a delete goes to the observers.
     */
    private void visible(ImmutableMessage body, ImmutableMessage at, boolean replay, List<Object> events) {
        if (!keepsRows) {
            return;
        }
        Checkpoint before = before(at);
        Piece piece = new Piece(replay ? null : body.payload(), body.id(), at.timeTick());
        if (body.type() == MessageType.DELETE) {
            DeleteHeader h = body.header(DeleteHeader.class);
            events.add(new Deleted(h.getCollectionId(), body.vchannel(), before, piece, h.getRows(), body.payload()));
            return;
        }
        InsertHeader h = body.header(InsertHeader.class);
        if (h.getPartitionsCount() != 1) {
            throw new StreamingException(ErrorCode.DATA_CORRUPTED, "an insert names " + h.getPartitionsCount()
                    + " partitions; the node assigns exactly one");
        }
        PartitionSegment p = h.getPartitions(0);
        Segment s = segments.computeIfAbsent(p.getSegmentId(), id -> new Segment(new SegmentSpec(id,
                h.getCollectionId(), p.getPartitionId(), body.vchannel(), 0, 0, 0), true));
        if (s.first == null) {
            s.first = before;
        }
        s.pieces.add(piece);
        s.pieceRows += p.getRows();
        CollectionShard c = collections.get(body.vchannel());
        CollectionSchema schema = c == null || c.collectionId() != h.getCollectionId() ? null
                : c.schema(s.spec.schemaVersion());
        events.add(new Inserted(h.getCollectionId(), p.getPartitionId(), p.getSegmentId(), body.vchannel(), schema,
                body.payload(), body.id(), at.timeTick(), p.getRows()));
    }

    private void flushed(ImmutableMessage m, List<Object> events) {
        FlushHeader h = m.header(FlushHeader.class);
        Segment s = segments.get(h.getSegmentId());
        if (s == null || !s.spec.vchannel().equals(m.vchannel())) {
            return;
        }
        segments.remove(s.spec.id());
        for (Txn t : txns.values()) {
            t.segments.remove(s.spec.id());
        }
        if (s.pieces.isEmpty()) {
            return;
        }
        CollectionShard c = collections.get(s.spec.vchannel());
        CollectionSchema schema = c == null || c.collectionId() != s.spec.collectionId() ? null : c.schema(s.spec.schemaVersion());
        events.add(new FlushedSegment(s.spec.id(), s.spec.collectionId(), s.spec.partitionId(), s.spec.vchannel(), schema, s.first, m.timeTick(),
                s.pieces, s.pieceRows));
    }

    /** The live collection {@code id} of {@code vchannel}, or null. Under the monitor. */
    private CollectionShard live(String vchannel, long id) {
        CollectionShard c = collections.get(vchannel);
        return c == null || c.collectionId() != id || c.isDropped() ? null : c;
    }

    /** The point just before {@code m}: its last-confirmed id (at or before every open BeginTxn), its time tick - 1. */
    private static Checkpoint before(ImmutableMessage m) {
        return new Checkpoint(m.lastConfirmedId() != null ? m.lastConfirmedId() : m.id(), m.timeTick() - 1);
    }

    // ---- checkpoint ----

    /**
     * The state after the last message applied, by the names it is persisted under ({@value #SHARDS}, {@value #TXNS});
     * the first names where the log is needed again (see the class comment). Called while no message is applied
     * (the WAL holds its publication monitor).
     */
    public synchronized Map<String, ExtensionState> checkpointStates() {
        Checkpoint from = null;
        Map<Long, List<Long>> txnsBySegment = new HashMap<>();
        TxnStateProto.Builder tb = TxnStateProto.newBuilder();
        for (Txn t : txns.values()) {
            OpenTxnProto.Builder o = OpenTxnProto.newBuilder().setTxnId(t.id).setVchannel(t.vchannel);
            if (t.begin != null) {
                o.setBegin(t.begin.toProto());
                if (keepsRows) {
                    from = earlier(from, t.begin);
                }
            }
            tb.addOpen(o);
            t.segments.forEach(s -> txnsBySegment.computeIfAbsent(s, k -> new ArrayList<>()).add(t.id));
        }
        Map<String, CollectionShardProto.Builder> byVchannel = new LinkedHashMap<>();
        ShardStateProto.Builder sb = ShardStateProto.newBuilder().addAllDropped(dropped);
        collections.forEach((v, c) -> byVchannel.put(v, CollectionShardProto.newBuilder().setVchannel(v)
                .setCollectionId(c.collectionId()).setDropped(c.isDropped()).addAllSchemas(c.schemas().values())
                .addAllPartitions(c.partitions()).setDefaultPartition(c.defaultPartition())));
        for (Segment s : segments.values()) {
            CollectionShardProto.Builder cb = byVchannel.get(s.spec.vchannel());
            if (s.first != null) {
                from = earlier(from, s.first);
            }
            if (s.rebuiltOnly || s.createTimeTick == 0 || cb == null) {
                continue;
            }
            cb.addSegments(GrowingSegmentProto.newBuilder().setId(s.spec.id()).setPartitionId(s.spec.partitionId())
                    .setSchemaVersion(s.spec.schemaVersion()).setMaxBytes(s.spec.maxBytes()).setMaxRows(s.spec.maxRows())
                    .setCreateTimeTick(s.createTimeTick).setRows(s.rows).setBytes(s.bytes)
                    .setLastInsertTimeTick(s.lastInsertTimeTick)
                    .setSealedBy(s.sealedBy == null ? "" : s.sealedBy.name()).setActive(s.sealedBy == null)
                    .addAllOpenTxns(txnsBySegment.getOrDefault(s.spec.id(), List.of())));
        }
        byVchannel.values().forEach(sb::addCollections);
        Map<String, ExtensionState> out = new LinkedHashMap<>();
        out.put(SHARDS, new ExtensionState(sb.build().toByteString(), from));
        out.put(TXNS, ExtensionState.of(tb.build().toByteString()));
        return out;
    }

    private static Checkpoint earlier(Checkpoint a, Checkpoint b) {
        if (a == null) {
            return b;
        }
        return new Checkpoint(Checkpoint.earlierId(a.messageId(), b.messageId()), Math.min(a.timeTick(), b.timeTick()));
    }

    /**
     * Before replay: the states {@link #checkpointStates} gave (either may be null: not persisted). Rows are not
     * restored; replay rebuilds them.
     *
     * @throws StreamingException {@code DATA_CORRUPTED} if a state cannot be read
     */
    public synchronized void restore(ByteString shards, ByteString open) {
        collections.clear();
        dropped.clear();
        segments.clear();
        txns.clear();
        if (open != null) {
            TxnStateProto p = ExtensionState.parse(TxnStateProto.parser(), open, "pchannel " + pchannel
                    + ": the persisted transactions");
            for (OpenTxnProto t : p.getOpenList()) {
                txns.put(t.getTxnId(), new Txn(t.getTxnId(), t.getVchannel(),
                        t.hasBegin() ? Checkpoint.fromProto(t.getBegin()) : null));
            }
        }
        if (shards != null) {
            restoreShards(ExtensionState.parse(ShardStateProto.parser(), shards, "pchannel " + pchannel
                    + ": the persisted collection shards"));
        }
    }

    private void restoreShards(ShardStateProto p) {
        for (CollectionShardProto cp : p.getCollectionsList()) {
            if (cp.getSchemasCount() == 0 || cp.getPartitionsCount() == 0
                    || cp.getPartitions(0) != cp.getDefaultPartition()) {
                throw new StreamingException(ErrorCode.DATA_CORRUPTED, "pchannel " + pchannel
                        + ": the persisted shard of " + cp.getVchannel() + " lacks a schema or its default partition");
            }
            CollectionShard c = CollectionShard.created(cp.getVchannel(), cp.getCollectionId(),
                    RowValidator.of(cp.getSchemas(0)), cp.getPartitionsList());
            for (int i = 1; i < cp.getSchemasCount(); i++) {
                c = c.altered(RowValidator.of(cp.getSchemas(i)));
            }
            String vchannel = c.vchannel();
            collections.put(vchannel, cp.getDropped() ? c.dropped() : c);
            for (GrowingSegmentProto g : cp.getSegmentsList()) {
                Segment s = new Segment(new SegmentSpec(g.getId(), cp.getCollectionId(), g.getPartitionId(), vchannel,
                        g.getSchemaVersion(), g.getMaxBytes(), g.getMaxRows()), false);
                s.createTimeTick = g.getCreateTimeTick();
                s.rows = g.getRows();
                s.bytes = g.getBytes();
                s.lastInsertTimeTick = g.getLastInsertTimeTick();
                s.sealedBy = g.getSealedBy().isEmpty() ? null : SealReason.valueOf(g.getSealedBy());
                segments.put(s.spec.id(), s);
                for (long txn : g.getOpenTxnsList()) {
                    txns.computeIfAbsent(txn, id -> new Txn(id, vchannel, null)).segments.add(s.spec.id());
                }
            }
        }
        dropped.addAll(p.getDroppedList());
    }
}
