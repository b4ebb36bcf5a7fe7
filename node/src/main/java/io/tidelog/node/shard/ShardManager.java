package io.tidelog.node.shard;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.CollectionSchemas;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MutableMessage;
import io.tidelog.message.RowValidator;
import io.tidelog.message.Vchannels;
import io.tidelog.node.AppendResult;
import io.tidelog.node.StreamingWal;
import io.tidelog.node.WalExtension;
import io.tidelog.node.state.CollectionShard;
import io.tidelog.node.state.PchannelState;
import io.tidelog.node.state.SealReason;
import io.tidelog.node.state.SegmentSpec;
import io.tidelog.node.state.ShardSnapshot;
import io.tidelog.proto.AlterCollectionBody;
import io.tidelog.proto.AlterCollectionHeader;
import io.tidelog.proto.CreateCollectionBody;
import io.tidelog.proto.CreateCollectionHeader;
import io.tidelog.proto.CreatePartitionHeader;
import io.tidelog.proto.DeleteBody;
import io.tidelog.proto.DeleteHeader;
import io.tidelog.proto.DropCollectionHeader;
import io.tidelog.proto.DropPartitionHeader;
import io.tidelog.proto.FlushHeader;
import io.tidelog.proto.InsertBody;
import io.tidelog.proto.InsertHeader;
import io.tidelog.proto.ManualFlushHeader;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.Partition;
import io.tidelog.proto.PartitionSegment;
import io.tidelog.tso.TimestampAllocator;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collection shards of one pchannel on the append side (Milvus's shard interceptor): it enforces the
 * DDL/DML invariants against the collections as the log defines them ({@link PchannelState}, which alone keeps
 * them) and manages the lifecycle of growing segments: which segment takes each insert, when a segment is sealed,
 * when its Flush is appended.
 *
 * <p><b>Invariants</b> ({@link ShardRules}) are checked on append, before anything is written, against the
 * collection as the log defines it. These checks read state that the log defines: the extension must run inside
 * {@code VchannelLocks} (after it in the chain), which holds a DDL until the DML before it is published and the DML
 * after it until the DDL is published, so each check sees exactly the messages before it.
 *
 * <p><b>Partitions.</b> The coordinator allocates partition ids (positive, unique in the cluster). A
 * CreateCollection lists the partitions the collection starts with; the first is its default
 * partition: an insert whose body names partition 0 goes there, and it cannot be dropped. The node
 * writes the partition it resolved into the Insert's header.
 *
 * <p><b>Segments.</b> Every insert is assigned to the growing segment of its (collection, partition,
 * vchannel); the node rewrites the Insert's header to name that segment, the rows and the payload
 * bytes. When the partition has no segment, or the insert does not fit the one it has (size or rows),
 * the node opens one: it takes a segment id from the TSO (unique across nodes and restarts), appends
 * {@code CreateSegment} with {@link StreamingWal#appendSystem} and hands the insert on right after it, in one
 * step ({@code insertOrder}), so the CreateSegment precedes every insert of its segment in the log and inserts
 * keep their order. An insert larger than a whole segment fails at once. A sealed segment takes no more inserts;
 * its {@code Flush} is appended once no insert assigned to it is in flight and no transaction with inserts in it
 * is open in the log, so it follows every insert of its segment, including those a later CommitTxn makes visible
 * (DDL and ManualFlush flush at once: they abort the open transactions of their vchannel).
 * Seal policies, evaluated at each time tick ({@link #onTimeTick}) against the injected clock and the
 * physical part of the time ticks in the log: size, rows, lifetime, idle, and the node's growing bytes
 * over the high-water mark ({@link GrowingSegmentBytes}; the largest are sealed until the low-water
 * mark). ManualFlush, AlterCollection, DropCollection and DropPartition seal the segments they concern
 * and are appended only once those Flushes are durable, so the DDL follows them in the log. A
 * ManualFlush's header ({@code segment_ids}) and result ({@link AppendResult#flushedSegmentIds()}) list
 * exactly the segments whose Flush it waited for: every growing segment of its collection on its
 * vchannel (including one a policy sealed just before, whose Flush was still on its way).
 *
 * <p><b>What it keeps</b> is only what the log does not say yet: per growing segment, the inserts assigned and in
 * flight, whether it is sealed, and its CreateSegment and Flush on their way ({@link GrowingSegment}). At
 * {@link #bind} it takes the growing segments replay left in the pchannel state; a seal is recorded there too
 * ({@link PchannelState#markSealed}), as a checkpoint carries it.
 *
 * <p><b>Threads and locks.</b> {@link #append} on appenders' threads; {@link #observe} on the publishing thread,
 * quick and without appending; {@link #onTimeTick} on the node's ticker. Two locks, in one order, checked where they
 * are taken: {@code insertOrder} (an insert's assignment and its hand-off to the WAL, with the CreateSegment it
 * causes), then this object's monitor (the segments' bookkeeping, never held while appending or taking an id from
 * the TSO, as an append may publish, and so call {@link #observe}, on the same thread). {@code insertOrder} is
 * never taken while holding the monitor or the WAL's append lock; the pchannel state's monitor is a leaf below
 * both.
 */
public final class ShardManager implements WalExtension {
    private static final Logger LOG = LoggerFactory.getLogger(ShardManager.class);

    /** Orders inserts with the CreateSegments they cause; see the class comment for its place in the lock order. */
    private final ReentrantLock insertOrder = new ReentrantLock();
    private final String pchannel;
    private final ShardConfig config;
    private final TimestampAllocator segmentIds;
    private final InstantSource clock;
    private final GrowingSegmentBytes nodeBytes;
    /** Growing segments on the append side, by id, oldest first. Guarded by this. */
    private final Map<Long, GrowingSegment> segments = new LinkedHashMap<>();
    /** Per (vchannel, partition), the growing segment that takes its inserts (at most one). Guarded by this. */
    private final Map<PartitionKey, GrowingSegment> active = new HashMap<>();
    private volatile PchannelState state;
    private volatile StreamingWal wal;
    /** Guarded by this. */
    private boolean closed;

    private record PartitionKey(String vchannel, long partition) {
    }

    /**
     * @param pchannel   the pchannel whose WAL this extends (for logs)
     * @param segmentIds where segment ids come from: the cluster's TSO
     * @param clock      the clock the time-driven seal policies read
     * @param nodeBytes  the node's growing bytes, shared by every pchannel of the node
     */
    public ShardManager(String pchannel, ShardConfig config, TimestampAllocator segmentIds, InstantSource clock,
                        GrowingSegmentBytes nodeBytes) {
        this.pchannel = Objects.requireNonNull(pchannel, "pchannel");
        this.config = Objects.requireNonNull(config, "config");
        this.segmentIds = Objects.requireNonNull(segmentIds, "segmentIds");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.nodeBytes = Objects.requireNonNull(nodeBytes, "nodeBytes");
    }

    @Override
    public void attach(PchannelState state) {
        this.state = state;
    }

    private PchannelState state() {
        PchannelState s = state;
        if (s == null) {
            throw new StreamingException(ErrorCode.INNER, "pchannel " + pchannel + ": the shard manager has no state");
        }
        return s;
    }

    // ---- append: invariants and segment assignment ----

    /**
     * Checks a message of a collection against its vchannel's shard and passes it on (an Insert with its
     * segment assigned, a Delete with its row count, a ManualFlush with its segments; a DDL that seals
     * segments after their Flushes are durable). Other types pass untouched. Runs on the appender's
     * thread, or on the thread that completes what the message waits for (a CreateSegment, a Flush).
     *
     * @return the rest of the chain's result; failed, with nothing appended, by {@code INVALID_ARGUMENT}
     *         naming the vchannel, the collection and the problem, or {@code ON_SHUTDOWN} once closing;
     *         or by the failure of the CreateSegment or Flush it waited for
     */
    /**
     * A Raw message passes unchanged once checked against its vchannel ({@code INVALID_ARGUMENT} as {@link #append}
     * refuses it); every other type of a collection is rewritten or ordered here.
     */
    @Override
    public boolean isPlain(MutableMessage m) {
        if (m.type() != MessageType.RAW) {
            return false;
        }
        ShardRules.checkRaw(pchannel, m, state().collection(m.vchannel()));
        return true;
    }

    @Override
    public CompletableFuture<AppendResult> append(MutableMessage m, Next next) {
        try {
            switch (m.type()) {
                case INSERT:
                    return appendInsert(m, next);
                case DELETE: {
                    DeleteHeader h = m.header(DeleteHeader.class);
                    return next.append(ShardRules.checkedDelete(liveCollection(m.vchannel(), h.getCollectionId(),
                            m.type()), m));
                }
                case CREATE_COLLECTION:
                    ShardRules.checkCreateCollection(m, state().collection(m.vchannel()));
                    return next.append(m);
                case CREATE_PARTITION: {
                    CreatePartitionHeader h = m.header(CreatePartitionHeader.class);
                    ShardRules.checkCreatePartition(liveCollection(m.vchannel(), h.getCollectionId(), m.type()), h);
                    return next.append(m);
                }
                case DROP_PARTITION:
                    return appendDropPartition(m, next);
                case ALTER_COLLECTION:
                    return appendAlterCollection(m, next);
                case DROP_COLLECTION:
                    return appendDropCollection(m, next);
                case MANUAL_FLUSH:
                    return appendManualFlush(m, next);
                case RAW:
                    ShardRules.checkRaw(pchannel, m, state().collection(m.vchannel()));
                    return next.append(m);
                default:
                    return next.append(m);
            }
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(StreamingException.from(e));
        }
    }

    private CompletableFuture<AppendResult> appendInsert(MutableMessage m, Next next) {
        InsertHeader h = m.header(InsertHeader.class);
        InsertBody body = m.body(InsertBody.parser());
        CollectionShard c = liveCollection(m.vchannel(), h.getCollectionId(), m.type());
        long partition = ShardRules.insertPartition(c, h, body);
        ShardRules.checkRows(c, body);
        long rows = body.getNumRows();
        long bytes = m.payload().size();
        ShardRules.checkFitsASegment(c, config, rows, bytes);
        // Assigning a segment, appending its CreateSegment when it is new, and handing the insert on happen
        // under one lock: the CreateSegment precedes every insert of its segment in the log, and inserts keep
        // the order in which they arrived (none waits for another's CreateSegment to be durable, which would
        // let later inserts overtake it). Held only while appends are enqueued, never across their durability.
        assert !Thread.holdsLock(this) : "insertOrder is taken before the shard manager's monitor";
        assert wal == null || !wal.holdsAppendLock() : "insertOrder is taken before the WAL's append lock";
        GrowingSegment s;
        CompletableFuture<AppendResult> appended;
        insertOrder.lock();
        try {
            s = assign(c, partition, rows, bytes);
            if (s.created.isCompletedExceptionally()) {
                appended = s.created.thenApply(v -> (AppendResult) null);
            } else {
                MutableMessage assigned = m.withHeader(InsertHeader.newBuilder().setCollectionId(c.collectionId())
                        .addPartitions(PartitionSegment.newBuilder().setPartitionId(partition).setRows(rows)
                                .setBinarySize(bytes).setSegmentId(s.spec.id()))
                        .build());
                appended = next.append(assigned);
            }
        } finally {
            insertOrder.unlock();
        }
        GrowingSegment segment = s;
        return appended.whenComplete((r, e) -> released(segment, rows, bytes, e));
    }

    /**
     * Assigns an insert to the partition's growing segment, sealing it and opening a new one if the
     * insert does not fit; appends the Flush and CreateSegment that takes. Two rounds at most: a
     * segment id is taken from the TSO outside the monitor, and the second round opens a segment with
     * it unless another insert opened one meanwhile.
     */
    private GrowingSegment assign(CollectionShard c, long partition, long rows, long bytes) {
        long spareId = 0;
        PartitionKey key = new PartitionKey(c.vchannel(), partition);
        while (true) {
            GrowingSegment target = null;
            GrowingSegment opened = null;
            GrowingSegment toFlush = null;
            synchronized (this) {
                if (closed) {
                    throw StreamingException.onShutdown("pchannel " + pchannel + " is closing");
                }
                CollectionShard now = state().collection(c.vchannel());
                if (now == null || now.isDropped() || !now.partitions().contains(partition)) {
                    throw ShardRules.invalid(c.where() + ": the collection or partition " + partition + " was dropped");
                }
                GrowingSegment s = active.get(key);
                SealReason full = s == null ? null : s.overflowBy(rows, bytes);
                if (full != null) {
                    seal(s, full);
                    if (readyToFlush(s)) {
                        s.flush = new CompletableFuture<>();
                        toFlush = s;
                    }
                    s = null;
                }
                if (s == null && spareId != 0) {
                    s = open(now, partition, spareId);
                    opened = s;
                }
                if (s != null) {
                    s.inFlight++;
                    s.rows += rows;
                    s.bytes += bytes;
                    nodeBytes.put(s.spec.id(), s.bytes);
                    target = s;
                }
            }
            if (toFlush != null) {
                appendFlush(toFlush);
            }
            if (target != null) {
                if (opened != null) {
                    appendCreate(opened);
                }
                return target;
            }
            spareId = segmentIds.next();
        }
    }

    /** A new growing segment, registered and active; the caller appends its CreateSegment. Under the monitor. */
    private GrowingSegment open(CollectionShard c, long partition, long id) {
        GrowingSegment s = new GrowingSegment(new SegmentSpec(id, c.collectionId(), partition, c.vchannel(),
                c.schemaVersion(), config.segmentMaxBytes(), config.segmentMaxRows()), new CompletableFuture<>());
        register(s);
        return s;
    }

    /** Under the monitor. */
    private void register(GrowingSegment s) {
        segments.put(s.spec.id(), s);
        if (s.sealedBy == null) {
            active.put(new PartitionKey(s.spec.vchannel(), s.spec.partitionId()), s);
            nodeBytes.put(s.spec.id(), s.bytes);
        }
    }

    /** Under the monitor. */
    private void unregister(GrowingSegment s) {
        if (segments.remove(s.spec.id(), s)) {
            active.remove(new PartitionKey(s.spec.vchannel(), s.spec.partitionId()), s);
            nodeBytes.remove(s.spec.id());
        }
    }

    /** Sealed, no insert in flight, no transaction with inserts in it open, Flush not appended, created. Under the monitor. */
    private boolean readyToFlush(GrowingSegment s) {
        return s.readyToFlush() && !state().hasOpenTxnsIn(s.spec.id());
    }

    /** An insert assigned to {@code s} completed; takes its rows back if it failed. */
    private void released(GrowingSegment s, long rows, long bytes, Throwable error) {
        boolean flushNow;
        synchronized (this) {
            s.inFlight--;
            boolean registered = segments.get(s.spec.id()) == s;
            if (error != null) {
                s.rows -= rows;
                s.bytes -= bytes;
                if (registered && s.sealedBy == null) {
                    nodeBytes.put(s.spec.id(), s.bytes);
                }
            }
            flushNow = registered && readyToFlush(s);
            if (flushNow) {
                s.flush = new CompletableFuture<>();
            }
        }
        if (flushNow) {
            appendFlush(s);
        }
    }

    /** Stops assigning inserts to {@code s}. Under the monitor. */
    private void seal(GrowingSegment s, SealReason reason) {
        s.sealedBy = reason;
        active.remove(new PartitionKey(s.spec.vchannel(), s.spec.partitionId()), s);
        nodeBytes.remove(s.spec.id());
        state().markSealed(s.spec.id(), reason);
        LOG.info("vchannel {}, collection {}: segment {} of partition {} sealed ({}): {} rows, {} bytes", s.spec.vchannel(),
                s.spec.collectionId(), s.spec.id(), s.spec.partitionId(), reason, s.rows, s.bytes);
    }

    private void appendCreate(GrowingSegment s) {
        MutableMessage create = MutableMessage.builder(MessageType.CREATE_SEGMENT, s.spec.vchannel())
                .header(s.spec.header()).build();
        boundWal().appendSystem(create).whenComplete((r, e) -> {
            if (e == null) {
                s.created.complete(null);
                return;
            }
            synchronized (this) {
                unregister(s);
            }
            state().forgetSeal(s.spec.id());
            LOG.warn("vchannel {}: CreateSegment {} failed: {}", s.spec.vchannel(), s.spec.id(), e.toString());
            s.created.completeExceptionally(e);
        });
    }

    /**
     * Appends the Flush of {@code s}; the caller set {@code s.flush} under the monitor (so no one else
     * appends it) and calls this outside. A failed Flush is tried again at the next time tick.
     */
    private void appendFlush(GrowingSegment s) {
        CompletableFuture<Void> done;
        synchronized (this) {
            done = s.flush;
        }
        MutableMessage flush = MutableMessage.builder(MessageType.FLUSH, s.spec.vchannel())
                .header(FlushHeader.newBuilder().setCollectionId(s.spec.collectionId()).setPartitionId(s.spec.partitionId())
                        .setSegmentId(s.spec.id()).build())
                .build();
        boundWal().appendSystem(flush).whenComplete((r, e) -> {
            if (e == null) {
                done.complete(null);
                return;
            }
            synchronized (this) {
                if (s.flush == done) {
                    s.flush = null; // the next time tick tries again
                }
            }
            LOG.warn("vchannel {}: Flush of segment {} failed: {}", s.spec.vchannel(), s.spec.id(), e.toString());
            done.completeExceptionally(e);
        });
    }

    /** The WAL to append a CreateSegment or a Flush to; never while holding this object's monitor. */
    private StreamingWal boundWal() {
        assert !Thread.holdsLock(this) : "the shard manager appends without holding its monitor";
        StreamingWal w = wal;
        if (w == null) {
            throw new StreamingException(ErrorCode.INNER, "pchannel " + pchannel + ": the shard manager is not bound");
        }
        return w;
    }

    /**
     * Seals the collection's growing segments whose partition passes {@code partitions} and appends
     * their Flushes. Completes, with their ids, once the Flush of each of them (also of those sealed
     * before and still being flushed) is durable, so what the caller appends next follows them all.
     * Runs under the vchannel's write lock, so no insert of the vchannel is in flight.
     */
    private CompletableFuture<List<Long>> flushSegments(CollectionShard c, LongPredicate partitions, SealReason reason) {
        List<GrowingSegment> toFlush = new ArrayList<>();
        List<CompletableFuture<Void>> waits = new ArrayList<>();
        List<Long> ids = new ArrayList<>();
        synchronized (this) {
            for (GrowingSegment s : segments.values()) {
                if (!s.spec.vchannel().equals(c.vchannel()) || !partitions.test(s.spec.partitionId())) {
                    continue;
                }
                if (s.inFlight > 0) {
                    throw new StreamingException(ErrorCode.INNER, c.where() + ": an insert into segment " + s.spec.id()
                            + " is in flight during a DDL; the shard manager must run inside the vchannel locks");
                }
                if (s.sealedBy == null) {
                    seal(s, reason);
                }
                if (s.flush == null) {
                    s.flush = new CompletableFuture<>();
                    toFlush.add(s);
                }
                waits.add(s.flush);
                ids.add(s.spec.id());
            }
        }
        toFlush.forEach(this::appendFlush);
        return CompletableFuture.allOf(waits.toArray(new CompletableFuture<?>[0])).thenApply(v -> ids);
    }

    private CompletableFuture<AppendResult> appendDropPartition(MutableMessage m, Next next) {
        DropPartitionHeader h = m.header(DropPartitionHeader.class);
        long p = h.getPartitionId();
        CollectionShard c = liveCollection(m.vchannel(), h.getCollectionId(), m.type());
        ShardRules.checkDropPartition(c, p);
        return flushSegments(c, q -> q == p, SealReason.PARTITION_DROPPED).thenCompose(ids -> next.append(m));
    }

    private CompletableFuture<AppendResult> appendAlterCollection(MutableMessage m, Next next) {
        AlterCollectionHeader h = m.header(AlterCollectionHeader.class);
        AlterCollectionBody body = m.body(AlterCollectionBody.parser());
        CollectionShard c = liveCollection(m.vchannel(), h.getCollectionId(), m.type());
        ShardRules.checkAlterCollection(c, h, body);
        return flushSegments(c, q -> true, SealReason.SCHEMA_CHANGE).thenCompose(ids -> next.append(m));
    }

    private CompletableFuture<AppendResult> appendDropCollection(MutableMessage m, Next next) {
        DropCollectionHeader h = m.header(DropCollectionHeader.class);
        CollectionShard c = liveCollection(m.vchannel(), h.getCollectionId(), m.type());
        return flushSegments(c, q -> true, SealReason.COLLECTION_DROPPED).thenCompose(ids -> next.append(m));
    }

    private CompletableFuture<AppendResult> appendManualFlush(MutableMessage m, Next next) {
        ManualFlushHeader h = m.header(ManualFlushHeader.class);
        CollectionShard c = liveCollection(m.vchannel(), h.getCollectionId(), m.type());
        return flushSegments(c, q -> true, SealReason.MANUAL_FLUSH).thenCompose(ids ->
                next.append(m.withHeader(h.toBuilder().clearSegmentIds().addAllSegmentIds(ids).build()))
                        .thenApply(r -> r.withFlushedSegmentIds(ids)));
    }

    /** The live collection {@code collectionId} of {@code vchannel}, as the log defines it now. */
    private CollectionShard liveCollection(String vchannel, long collectionId, MessageType what) {
        return ShardRules.live(state().collection(vchannel), vchannel, collectionId, what);
    }

    // ---- the log ----

    /**
     * A published message ends what the append side keeps of a segment: its Flush, or the drop of its collection or
     * partition (the pchannel state applied it already). Replayed messages are left to {@link #bind}.
     */
    @Override
    public void observe(ImmutableMessage m, boolean replay) {
        if (replay) {
            return;
        }
        try {
            switch (m.type()) {
                case FLUSH -> {
                    long id = m.header(FlushHeader.class).getSegmentId();
                    forget(s -> s.spec.id() == id && s.spec.vchannel().equals(m.vchannel()));
                }
                case DROP_COLLECTION -> {
                    long id = m.header(DropCollectionHeader.class).getCollectionId();
                    forget(s -> s.spec.vchannel().equals(m.vchannel()) && s.spec.collectionId() == id);
                }
                case DROP_PARTITION -> {
                    DropPartitionHeader h = m.header(DropPartitionHeader.class);
                    CollectionShard c = state().collection(m.vchannel());
                    if (c != null && h.getPartitionId() != c.defaultPartition()) {
                        forget(s -> s.spec.vchannel().equals(m.vchannel()) && s.spec.collectionId() == h.getCollectionId()
                                && s.spec.partitionId() == h.getPartitionId());
                    }
                }
                default -> {
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("pchannel {}: {} at {} left the growing segments unchanged: {}", pchannel, m.type(), m.id(),
                    e.toString());
        }
    }

    private synchronized void forget(java.util.function.Predicate<GrowingSegment> which) {
        for (GrowingSegment s : new ArrayList<>(segments.values())) {
            if (which.test(s)) {
                unregister(s);
            }
        }
    }

    // ---- time ticks: seal policies ----

    /** Replay is over: the growing segments it left in the pchannel state take inserts (or wait for their Flush). */
    @Override
    public void bind(StreamingWal wal) {
        synchronized (this) {
            for (ShardSnapshot.Collection c : state().snapshot().collections().values()) {
                for (ShardSnapshot.Segment g : c.segments()) {
                    if (segments.containsKey(g.id())) {
                        continue;
                    }
                    GrowingSegment s = new GrowingSegment(new SegmentSpec(g.id(), c.collectionId(), g.partitionId(),
                            c.vchannel(), g.schemaVersion(), g.maxBytes(), g.maxRows()), CompletableFuture.completedFuture(null));
                    s.rows = g.rows();
                    s.bytes = g.bytes();
                    s.sealedBy = state().sealedBy(g.id());
                    register(s);
                }
            }
        }
        this.wal = wal;
    }

    /**
     * Evaluates the seal policies of every growing segment of the pchannel at the clock's time: size,
     * rows, lifetime, idle, the node's growing bytes over the high-water mark. Then appends the Flush
     * of each sealed segment with no insert in flight (also of segments sealed earlier whose Flush
     * failed or waited for inserts).
     */
    @Override
    public void onTimeTick(long timeTick) {
        if (wal == null) {
            return;
        }
        List<GrowingSegment> toFlush = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            long now = clock.millis();
            Set<Long> overHighWater = nodeBytes.overHighWater();
            for (GrowingSegment s : new ArrayList<>(segments.values())) {
                if (s.sealedBy == null) {
                    SealReason reason = s.due(now, config, state().segment(s.spec.id()));
                    if (reason == null && overHighWater.contains(s.spec.id())) {
                        reason = SealReason.GROWING_BYTES_HIGH_WATER;
                    }
                    if (reason != null) {
                        seal(s, reason);
                    }
                }
                if (readyToFlush(s)) {
                    s.flush = new CompletableFuture<>();
                    toFlush.add(s);
                }
            }
        }
        toFlush.forEach(this::appendFlush);
    }

    /** How many segments created and not yet flushed are sealed (take no more inserts); for gauges. */
    public int sealedSegments() {
        return state().sealedSegments();
    }

    /** The collection shards as the log defines them (see {@link ShardSnapshot}). */
    public ShardSnapshot snapshot() {
        return state().snapshot();
    }

    /** The WAL closes: its segments no longer count as the node's growing bytes. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        segments.keySet().forEach(nodeBytes::remove);
    }
}
