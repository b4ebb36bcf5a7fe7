package io.tidelog.node;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.CollectionSchemas;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MutableMessage;
import io.tidelog.message.RowValidator;
import io.tidelog.message.Vchannels;
import io.tidelog.proto.AlterCollectionBody;
import io.tidelog.proto.AlterCollectionHeader;
import io.tidelog.proto.CreateCollectionBody;
import io.tidelog.proto.CreateCollectionHeader;
import io.tidelog.proto.CreatePartitionHeader;
import io.tidelog.state.proto.CollectionShardProto;
import io.tidelog.proto.CreateSegmentHeader;
import io.tidelog.state.proto.GrowingSegmentProto;
import io.tidelog.state.proto.ShardStateProto;
import com.google.protobuf.ByteString;
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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collection shards of one pchannel (Milvus's shard interceptor): per vchannel, the collection's
 * state, schema versions, partitions and growing segments, built from the log; it enforces the
 * DDL/DML invariants on append and manages the lifecycle of growing segments.
 *
 * <p><b>State from the log.</b> {@link #observe} applies CreateCollection, AlterCollection,
 * Create/DropPartition, DropCollection, CreateSegment, Insert and Flush in log order, on replay and
 * live alike, so replay after a restart rebuilds the same state ({@link #snapshot()}): collections,
 * partitions, and growing segments with their rows, bytes and time ticks. Raw messages, and every
 * other type, are left alone.
 *
 * <p><b>Invariants, checked on append before anything is written</b> (each violation fails with
 * {@code INVALID_ARGUMENT} naming the vchannel and the collection, and nothing is appended):
 * <ul>
 *   <li>Insert and Delete only into a collection created and not dropped on their vchannel, naming it;
 *       an Insert only into a partition that exists, with rows matching the current schema
 *       ({@link RowValidator}); a Delete with primary keys of the key's type;</li>
 *   <li>CreateCollection only on a vchannel named for it ({@code <pchannel>_<collectionId>v<shard>}) that
 *       never held a collection, with a valid schema and at least one partition; CreatePartition of a new id;
 *       DropPartition of an existing partition other than the default; AlterCollection only to a compatible
 *       schema ({@link CollectionSchemas#validateChange}); every DDL only on a live collection;</li>
 *   <li>Raw (also as the body of a transaction) only on a vchannel that is not a collection's: neither of the
 *       collection form ({@link Vchannels#isCollectionVchannel}: the name decides, whatever the state, so a
 *       dropped collection's vchannel, one whose state was forgotten or never seen, and one of a collection not
 *       created yet all refuse it, identically after a restart) nor holding or having held a collection (a
 *       collection the log created under another name, before this rule).</li>
 * </ul>
 * Together they keep a vchannel's contents one kind: a collection's shard carries no Raw message, and a
 * vchannel that carries Raw never becomes a collection's shard (its name is not of the collection form).
 * These checks read state that the log defines: the extension must run inside {@link VchannelLocks}
 * (after it in the chain), which holds a DDL until the DML before it is published and the DML after
 * it until the DDL is published, so each check sees exactly the messages before it.
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
 * {@code CreateSegment} with {@link StreamingWal#appendSystem} and hands the insert on right after it, under
 * one lock, so the CreateSegment precedes every insert of its segment in the log and inserts keep their order. An insert larger
 * than a whole segment fails at once. A sealed segment takes no more inserts; its {@code Flush} is
 * appended once no insert assigned to it is in flight and no transaction with inserts in it is open, so it
 * follows every insert of its segment, including those a later CommitTxn makes visible (DDL and ManualFlush
 * flush at once: they abort the open transactions of their vchannel).
 * Seal policies, evaluated at each time tick ({@link #onTimeTick}) against the injected clock and the
 * physical part of the time ticks in the log: size, rows, lifetime, idle, and the node's growing bytes
 * over the high-water mark ({@link GrowingSegmentBytes}; the largest are sealed until the low-water
 * mark). ManualFlush, AlterCollection, DropCollection and DropPartition seal the segments they concern
 * and are appended only once those Flushes are durable, so the DDL follows them in the log. A
 * ManualFlush's header ({@code segment_ids}) and result ({@link AppendResult#flushedSegmentIds()}) list
 * exactly the segments whose Flush it waited for: every growing segment of its collection on its
 * vchannel (including one a policy sealed just before, whose Flush was still on its way).
 *
 * <p><b>Threads.</b> {@link #append} on appenders' threads; {@link #observe} on the publishing thread,
 * quick and without appending; {@link #onTimeTick} on the node's ticker; all state under this object's
 * monitor, which is never held while appending or taking an id from the TSO (appends may call back
 * into {@link #observe} on the same thread).
 */
public final class ShardManager implements WalExtension {
    /** Orders inserts with the CreateSegments they cause; see appendInsert. Taken before appendLock, never inside it. */
    private final java.util.concurrent.locks.ReentrantLock insertOrder = new java.util.concurrent.locks.ReentrantLock();

    private static final Logger LOG = LoggerFactory.getLogger(ShardManager.class);
    /** Dropped collections are remembered (for clear errors) up to this many per pchannel, oldest forgotten first. */
    static final int MAX_DROPPED_KEPT = 1024;
    /** The most partitions a collection has at once. */
    static final int MAX_PARTITIONS = 4096;

    private final String pchannel;
    private final ShardConfig config;
    private final TimestampAllocator segmentIds;
    private final InstantSource clock;
    private final GrowingSegmentBytes nodeBytes;
    /** By vchannel. Guarded by this. */
    private final Map<String, CollectionShard> collections = new HashMap<>();
    /** Vchannels of dropped collections, oldest first. Guarded by this. */
    private final ArrayDeque<String> dropped = new ArrayDeque<>();
    private volatile StreamingWal wal;
    /** Guarded by this. */
    private boolean closed;

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
    @Override
    public CompletableFuture<AppendResult> append(MutableMessage m, Next next) {
        try {
            switch (m.type()) {
                case INSERT:
                    return appendInsert(m, next);
                case DELETE:
                    return next.append(checkedDelete(m));
                case CREATE_COLLECTION:
                    checkCreateCollection(m);
                    return next.append(m);
                case CREATE_PARTITION:
                    checkCreatePartition(m);
                    return next.append(m);
                case DROP_PARTITION:
                    return appendDropPartition(m, next);
                case ALTER_COLLECTION:
                    return appendAlterCollection(m, next);
                case DROP_COLLECTION:
                    return appendDropCollection(m, next);
                case MANUAL_FLUSH:
                    return appendManualFlush(m, next);
                case RAW:
                    checkRaw(m);
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
        CollectionShard c;
        long partition;
        RowValidator validator;
        synchronized (this) {
            c = liveCollection(m.vchannel(), h.getCollectionId(), m.type());
            partition = insertPartition(c, h, body);
            validator = c.rows;
        }
        try {
            validator.checkInsert(body);
        } catch (StreamingException e) {
            throw invalid(c.where() + ", schema version " + validator.schema().getVersion() + ": " + e.detail());
        }
        long rows = body.getNumRows();
        long bytes = m.payload().size();
        if (bytes > config.segmentMaxBytes() || (config.segmentMaxRows() != 0 && rows > config.segmentMaxRows())) {
            throw invalid(c.where() + ": an insert of " + rows + " rows and " + bytes + " bytes is larger than a whole"
                    + " segment (" + config.segmentMaxBytes() + " bytes" + (config.segmentMaxRows() == 0 ? ""
                    : ", " + config.segmentMaxRows() + " rows") + "); split it");
        }
        // Assigning a segment, appending its CreateSegment when it is new, and handing the insert on happen
        // under one lock: the CreateSegment precedes every insert of its segment in the log, and inserts keep
        // the order in which they arrived (none waits for another's CreateSegment to be durable, which would
        // let later inserts overtake it). Held only while appends are enqueued, never across their durability.
        GrowingSegment s;
        CompletableFuture<AppendResult> appended;
        insertOrder.lock();
        try {
            s = assign(c, partition, rows, bytes);
            if (s.created.isCompletedExceptionally()) {
                appended = s.created.thenApply(v -> (AppendResult) null);
            } else {
                MutableMessage assigned = m.withHeader(InsertHeader.newBuilder().setCollectionId(c.collectionId)
                        .addPartitions(PartitionSegment.newBuilder().setPartitionId(partition).setRows(rows)
                                .setBinarySize(bytes).setSegmentId(s.id))
                        .build());
                appended = next.append(assigned);
            }
        } finally {
            insertOrder.unlock();
        }
        GrowingSegment segment = s;
        return appended.whenComplete((r, e) -> released(segment, rows, bytes, e));
    }

    /** The partition the insert goes to: named by the body (0: the default) or the header; it must exist. */
    private static long insertPartition(CollectionShard c, InsertHeader h, InsertBody body) {
        if (h.getPartitionsCount() > 1) {
            throw invalid(c.where() + ": an insert's rows go to one partition, its header lists "
                    + h.getPartitionsCount());
        }
        long named = h.getPartitionsCount() == 1 ? h.getPartitions(0).getPartitionId() : 0;
        if (named != 0 && body.getPartitionId() != 0 && named != body.getPartitionId()) {
            throw invalid(c.where() + ": the insert's header names partition " + named + ", its body "
                    + body.getPartitionId());
        }
        long p = body.getPartitionId() != 0 ? body.getPartitionId() : named != 0 ? named : c.defaultPartition;
        if (!c.partitions.contains(p)) {
            throw invalid(c.where() + ": partition " + p + " does not exist (never created, or dropped)");
        }
        return p;
    }

    /**
     * Assigns an insert to the partition's growing segment, sealing it and opening a new one if the
     * insert does not fit; appends the Flush and CreateSegment that takes. Two rounds at most: a
     * segment id is taken from the TSO outside the monitor, and the second round opens a segment with
     * it unless another insert opened one meanwhile.
     */
    private GrowingSegment assign(CollectionShard c, long partition, long rows, long bytes) {
        long spareId = 0;
        while (true) {
            GrowingSegment target = null;
            GrowingSegment opened = null;
            GrowingSegment toFlush = null;
            synchronized (this) {
                if (closed) {
                    throw StreamingException.onShutdown("pchannel " + pchannel + " is closing");
                }
                if (c.isDropped() || !c.partitions.contains(partition)) {
                    throw invalid(c.where() + ": the collection or partition " + partition + " was dropped");
                }
                GrowingSegment s = c.active.get(partition);
                SealReason full = s == null ? null : s.overflowBy(rows, bytes);
                if (full != null) {
                    seal(c, s, full);
                    if (s.readyToFlush()) {
                        s.flush = new CompletableFuture<>();
                        toFlush = s;
                    }
                    s = null;
                }
                if (s == null && spareId != 0) {
                    s = open(c, partition, spareId);
                    opened = s;
                }
                if (s != null) {
                    s.inFlight++;
                    s.rows += rows;
                    s.bytes += bytes;
                    nodeBytes.put(s.id, s.bytes);
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
        GrowingSegment s = new GrowingSegment(id, c.collectionId, partition, c.vchannel, c.schemaVersion(),
                config.segmentMaxBytes(), config.segmentMaxRows(), new CompletableFuture<>());
        c.segments.put(id, s);
        c.active.put(partition, s);
        nodeBytes.put(id, 0);
        return s;
    }

    /** An insert assigned to {@code s} completed; takes its rows back if it failed. */
    private void released(GrowingSegment s, long rows, long bytes, Throwable error) {
        boolean flushNow;
        synchronized (this) {
            s.inFlight--;
            boolean registered = isRegistered(s);
            if (error != null) {
                s.rows -= rows;
                s.bytes -= bytes;
                if (registered && s.sealedBy == null) {
                    nodeBytes.put(s.id, s.bytes);
                }
            }
            flushNow = registered && s.readyToFlush();
            if (flushNow) {
                s.flush = new CompletableFuture<>();
            }
        }
        if (flushNow) {
            appendFlush(s);
        }
    }

    private boolean isRegistered(GrowingSegment s) {
        CollectionShard c = collections.get(s.vchannel);
        return c != null && c.segments.get(s.id) == s;
    }

    /** Stops assigning inserts to {@code s}. Under the monitor. */
    private void seal(CollectionShard c, GrowingSegment s, SealReason reason) {
        s.sealedBy = reason;
        c.active.remove(s.partitionId, s);
        nodeBytes.remove(s.id);
        LOG.info("{}: segment {} of partition {} sealed ({}): {} rows, {} bytes", c.where(), s.id, s.partitionId,
                reason, s.rows, s.bytes);
    }

    private void appendCreate(GrowingSegment s) {
        MutableMessage create = MutableMessage.builder(MessageType.CREATE_SEGMENT, s.vchannel)
                .header(CreateSegmentHeader.newBuilder().setCollectionId(s.collectionId).setPartitionId(s.partitionId)
                        .setSegmentId(s.id).setMaxSegmentBytes(s.maxBytes).setMaxRows(s.maxRows)
                        .setSchemaVersion(s.schemaVersion).build())
                .build();
        boundWal().appendSystem(create).whenComplete((r, e) -> {
            if (e == null) {
                s.created.complete(null);
                return;
            }
            synchronized (this) {
                CollectionShard c = collections.get(s.vchannel);
                if (c != null && c.segments.remove(s.id, s)) {
                    c.active.remove(s.partitionId, s);
                    nodeBytes.remove(s.id);
                }
            }
            LOG.warn("vchannel {}: CreateSegment {} failed: {}", s.vchannel, s.id, e.toString());
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
        MutableMessage flush = MutableMessage.builder(MessageType.FLUSH, s.vchannel)
                .header(FlushHeader.newBuilder().setCollectionId(s.collectionId).setPartitionId(s.partitionId)
                        .setSegmentId(s.id).build())
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
            LOG.warn("vchannel {}: Flush of segment {} failed: {}", s.vchannel, s.id, e.toString());
            done.completeExceptionally(e);
        });
    }

    private StreamingWal boundWal() {
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
            for (GrowingSegment s : c.segments.values()) {
                if (!partitions.test(s.partitionId)) {
                    continue;
                }
                if (s.inFlight > 0) {
                    throw new StreamingException(ErrorCode.INNER, c.where() + ": an insert into segment " + s.id
                            + " is in flight during a DDL; the shard manager must run inside the vchannel locks");
                }
                if (s.sealedBy == null) {
                    seal(c, s, reason);
                }
                if (s.flush == null) {
                    s.flush = new CompletableFuture<>();
                    toFlush.add(s);
                }
                waits.add(s.flush);
                ids.add(s.id);
            }
        }
        toFlush.forEach(this::appendFlush);
        return CompletableFuture.allOf(waits.toArray(new CompletableFuture<?>[0])).thenApply(v -> ids);
    }

    private MutableMessage checkedDelete(MutableMessage m) {
        DeleteHeader h = m.header(DeleteHeader.class);
        DeleteBody body = m.body(DeleteBody.parser());
        CollectionShard c;
        RowValidator validator;
        synchronized (this) {
            c = liveCollection(m.vchannel(), h.getCollectionId(), m.type());
            validator = c.rows;
        }
        int keys;
        try {
            keys = validator.checkDelete(body);
        } catch (StreamingException e) {
            throw invalid(c.where() + ": " + e.detail());
        }
        if (h.getRows() == keys) {
            return m;
        }
        if (h.getRows() != 0) {
            throw invalid(c.where() + ": the delete's header says " + h.getRows() + " rows, its body has " + keys
                    + " primary keys");
        }
        return m.withHeader(h.toBuilder().setRows(keys).build());
    }

    /** A Raw message goes to a vchannel that is not a collection's, by name or by state. */
    private void checkRaw(MutableMessage m) {
        if (Vchannels.isCollectionVchannel(m.vchannel())) {
            throw invalid("vchannel " + m.vchannel() + ": a RAW message cannot go to a collection's vchannel (names"
                    + " <pchannel>_<collection id>v<shard> are reserved for collection shards); use another suffix,"
                    + " such as " + pchannel + "_events");
        }
        synchronized (this) {
            CollectionShard c = collections.get(m.vchannel());
            if (c != null) {
                throw invalid(c.where() + ": a RAW message cannot go to a vchannel that holds or held a collection ("
                        + c.state + ")");
            }
        }
    }

    private void checkCreateCollection(MutableMessage m) {
        CreateCollectionHeader h = m.header(CreateCollectionHeader.class);
        String where = "vchannel " + m.vchannel() + ", collection " + h.getCollectionId();
        if (h.getCollectionId() <= 0) {
            throw invalid(where + ": a collection id is positive");
        }
        OptionalLong named = Vchannels.collectionIdOf(m.vchannel());
        if (named.isEmpty() || named.getAsLong() != h.getCollectionId()) {
            throw invalid(where + ": the shards of collection " + h.getCollectionId() + " are named <pchannel>_"
                    + h.getCollectionId() + "v<shard>, and " + m.vchannel() + " is not");
        }
        CreateCollectionBody body = m.body(CreateCollectionBody.parser());
        checkPartitionIds(where, h.getPartitionIdsList(), body);
        if (body.getVchannelsCount() > 0 && !body.getVchannelsList().contains(m.vchannel())) {
            throw invalid(where + ": the CreateCollection lists vchannels " + body.getVchannelsList()
                    + ", not this one");
        }
        try {
            CollectionSchemas.validate(body.getSchema());
        } catch (StreamingException e) {
            throw invalid(where + ": " + e.detail());
        }
        synchronized (this) {
            CollectionShard existing = collections.get(m.vchannel());
            if (existing != null) {
                throw invalid(where + ": the vchannel already holds collection " + existing.collectionId
                        + " (" + existing.state + "); a vchannel holds one collection, created once");
            }
        }
    }

    private static void checkPartitionIds(String where, List<Long> ids, CreateCollectionBody body) {
        if (ids.isEmpty()) {
            throw invalid(where + ": a CreateCollection lists at least one partition (the first is the default)");
        }
        if (ids.size() > MAX_PARTITIONS) {
            throw invalid(where + ": a collection has at most " + MAX_PARTITIONS + " partitions");
        }
        Set<Long> seen = new HashSet<>();
        for (long p : ids) {
            if (p <= 0 || !seen.add(p)) {
                throw invalid(where + ": partition ids are positive and distinct, got " + ids);
            }
        }
        if (body.getPartitionsCount() > 0) {
            List<Long> named = new ArrayList<>();
            for (Partition p : body.getPartitionsList()) {
                named.add(p.getId());
            }
            if (!named.equals(ids)) {
                throw invalid(where + ": the header lists partitions " + ids + ", the body " + named);
            }
        }
    }

    private void checkCreatePartition(MutableMessage m) {
        CreatePartitionHeader h = m.header(CreatePartitionHeader.class);
        synchronized (this) {
            CollectionShard c = liveCollection(m.vchannel(), h.getCollectionId(), m.type());
            if (h.getPartitionId() <= 0) {
                throw invalid(c.where() + ": a partition id is positive, got " + h.getPartitionId());
            }
            if (c.partitions.contains(h.getPartitionId())) {
                throw invalid(c.where() + ": partition " + h.getPartitionId() + " already exists");
            }
            if (c.partitions.size() >= MAX_PARTITIONS) {
                throw invalid(c.where() + ": a collection has at most " + MAX_PARTITIONS + " partitions");
            }
        }
    }

    private CompletableFuture<AppendResult> appendDropPartition(MutableMessage m, Next next) {
        DropPartitionHeader h = m.header(DropPartitionHeader.class);
        long p = h.getPartitionId();
        CollectionShard c;
        synchronized (this) {
            c = liveCollection(m.vchannel(), h.getCollectionId(), m.type());
            if (!c.partitions.contains(p)) {
                throw invalid(c.where() + ": cannot drop partition " + p + ": it does not exist (never created, or dropped)");
            }
            if (p == c.defaultPartition) {
                throw invalid(c.where() + ": cannot drop partition " + p + ": it is the default partition");
            }
        }
        return flushSegments(c, q -> q == p, SealReason.PARTITION_DROPPED).thenCompose(ids -> next.append(m));
    }

    private CompletableFuture<AppendResult> appendAlterCollection(MutableMessage m, Next next) {
        AlterCollectionHeader h = m.header(AlterCollectionHeader.class);
        AlterCollectionBody body = m.body(AlterCollectionBody.parser());
        CollectionShard c;
        synchronized (this) {
            c = liveCollection(m.vchannel(), h.getCollectionId(), m.type());
            try {
                CollectionSchemas.validateChange(c.rows.schema(), body.getSchema());
            } catch (StreamingException e) {
                throw invalid(c.where() + ": " + e.detail());
            }
        }
        if (h.getSchemaVersion() != 0 && h.getSchemaVersion() != body.getSchema().getVersion()) {
            throw invalid(c.where() + ": the AlterCollection header names schema version " + h.getSchemaVersion()
                    + ", its body " + body.getSchema().getVersion());
        }
        return flushSegments(c, q -> true, SealReason.SCHEMA_CHANGE).thenCompose(ids -> next.append(m));
    }

    private CompletableFuture<AppendResult> appendDropCollection(MutableMessage m, Next next) {
        DropCollectionHeader h = m.header(DropCollectionHeader.class);
        CollectionShard c;
        synchronized (this) {
            c = liveCollection(m.vchannel(), h.getCollectionId(), m.type());
        }
        return flushSegments(c, q -> true, SealReason.COLLECTION_DROPPED).thenCompose(ids -> next.append(m));
    }

    private CompletableFuture<AppendResult> appendManualFlush(MutableMessage m, Next next) {
        ManualFlushHeader h = m.header(ManualFlushHeader.class);
        CollectionShard c;
        synchronized (this) {
            c = liveCollection(m.vchannel(), h.getCollectionId(), m.type());
        }
        return flushSegments(c, q -> true, SealReason.MANUAL_FLUSH).thenCompose(ids ->
                next.append(m.withHeader(h.toBuilder().clearSegmentIds().addAllSegmentIds(ids).build()))
                        .thenApply(r -> r.withFlushedSegmentIds(ids)));
    }

    /** The live collection {@code collectionId} of {@code vchannel}. Under the monitor. */
    private CollectionShard liveCollection(String vchannel, long collectionId, MessageType what) {
        CollectionShard c = collections.get(vchannel);
        if (c == null) {
            throw invalid("vchannel " + vchannel + ", collection " + collectionId + ": the vchannel has no collection;"
                    + " no " + what + " before CreateCollection");
        }
        if (c.collectionId != collectionId) {
            throw invalid(c.where() + ": the " + what + " names collection " + collectionId
                    + ", which is not on this vchannel");
        }
        if (c.isDropped()) {
            throw invalid(c.where() + ": the collection was dropped; no " + what + " after DropCollection");
        }
        return c;
    }

    private static StreamingException invalid(String message) {
        return StreamingException.invalidArgument(message);
    }

    // ---- the log: state ----

    /**
     * Applies a published (or replayed) message to the shards, in log order, on the publishing thread:
     * takes this object's monitor briefly, never appends, never throws (a message that cannot be
     * applied is logged and leaves the state as it was). Types other than the collection and segment
     * ones return at once.
     */
    @Override
    public void observe(ImmutableMessage m, boolean replay) {
        try {
            switch (m.type()) {
                case CREATE_COLLECTION -> applyCreateCollection(m);
                case DROP_COLLECTION -> applyDropCollection(m);
                case CREATE_PARTITION -> applyCreatePartition(m);
                case DROP_PARTITION -> applyDropPartition(m);
                case ALTER_COLLECTION -> applyAlterCollection(m);
                case CREATE_SEGMENT -> applyCreateSegment(m);
                case INSERT -> applyInsert(m, replay);
                case FLUSH -> applyFlush(m);
                case COMMIT_TXN, ROLLBACK_TXN -> applyTxnEnd(m);
                default -> {
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("pchannel {}: {} at {} left the collection shards unchanged: {}", pchannel, m.type(), m.id(),
                    e.toString());
        }
    }

    private void applyCreateCollection(ImmutableMessage m) {
        CreateCollectionHeader h = m.header(CreateCollectionHeader.class);
        RowValidator rows = RowValidator.of(m.body(CreateCollectionBody.parser()).getSchema());
        synchronized (this) {
            if (!collections.containsKey(m.vchannel()) && h.getPartitionIdsCount() > 0) {
                collections.put(m.vchannel(), new CollectionShard(m.vchannel(), h.getCollectionId(), rows,
                        h.getPartitionIdsList()));
            }
        }
    }

    private void applyDropCollection(ImmutableMessage m) {
        long id = m.header(DropCollectionHeader.class).getCollectionId();
        synchronized (this) {
            CollectionShard c = collections.get(m.vchannel());
            if (c == null || c.collectionId != id || c.isDropped()) {
                return;
            }
            c.state = ShardSnapshot.CollectionState.DROPPED;
            c.segments.keySet().forEach(nodeBytes::remove);
            c.segments.clear();
            c.active.clear();
            dropped.add(c.vchannel);
            while (dropped.size() > MAX_DROPPED_KEPT) {
                collections.remove(dropped.poll());
            }
        }
    }

    private void applyCreatePartition(ImmutableMessage m) {
        CreatePartitionHeader h = m.header(CreatePartitionHeader.class);
        synchronized (this) {
            CollectionShard c = collectionOf(m.vchannel(), h.getCollectionId());
            if (c != null) {
                c.partitions.add(h.getPartitionId());
            }
        }
    }

    private void applyDropPartition(ImmutableMessage m) {
        DropPartitionHeader h = m.header(DropPartitionHeader.class);
        synchronized (this) {
            CollectionShard c = collectionOf(m.vchannel(), h.getCollectionId());
            if (c != null && h.getPartitionId() != c.defaultPartition) {
                c.partitions.remove(h.getPartitionId());
                c.segments.values().removeIf(s -> {
                    boolean gone = s.partitionId == h.getPartitionId();
                    if (gone) {
                        nodeBytes.remove(s.id);
                    }
                    return gone;
                });
                c.active.remove(h.getPartitionId());
            }
        }
    }

    private void applyAlterCollection(ImmutableMessage m) {
        AlterCollectionHeader h = m.header(AlterCollectionHeader.class);
        RowValidator rows = RowValidator.of(m.body(AlterCollectionBody.parser()).getSchema());
        synchronized (this) {
            CollectionShard c = collectionOf(m.vchannel(), h.getCollectionId());
            if (c != null && rows.schema().getVersion() > c.schemaVersion()) {
                c.alter(rows);
            }
        }
    }

    /**
     * Live, the segment exists already (the node opened it): this records its time tick. On replay it
     * is created here; a growing segment of the same partition it replaces was sealed before the
     * restart, its Flush never written: it is sealed again, and flushed at the next time tick.
     */
    private void applyCreateSegment(ImmutableMessage m) {
        CreateSegmentHeader h = m.header(CreateSegmentHeader.class);
        synchronized (this) {
            CollectionShard c = collectionOf(m.vchannel(), h.getCollectionId());
            if (c == null) {
                return;
            }
            GrowingSegment s = c.segments.get(h.getSegmentId());
            if (s == null) {
                s = new GrowingSegment(h.getSegmentId(), h.getCollectionId(), h.getPartitionId(), m.vchannel(),
                        h.getSchemaVersion(), h.getMaxSegmentBytes(), h.getMaxRows(), CompletableFuture.completedFuture(null));
                c.segments.put(s.id, s);
                GrowingSegment before = c.active.get(s.partitionId);
                if (before != null && before.sealedBy == null) {
                    seal(c, before, SealReason.RECOVERED);
                }
                c.active.put(s.partitionId, s);
                nodeBytes.put(s.id, 0);
            }
            s.createTimeTick = m.timeTick();
        }
    }

    /** Live, the insert's rows were counted when it was assigned; on replay they are counted here. */
    private void applyInsert(ImmutableMessage m, boolean replay) {
        InsertHeader h = m.header(InsertHeader.class);
        synchronized (this) {
            CollectionShard c = collectionOf(m.vchannel(), h.getCollectionId());
            if (c == null) {
                return;
            }
            for (PartitionSegment p : h.getPartitionsList()) {
                GrowingSegment s = c.segments.get(p.getSegmentId());
                if (s == null) {
                    continue;
                }
                s.loggedRows += p.getRows();
                s.loggedBytes += p.getBinarySize();
                if (m.txn() != null) {
                    s.openTxns.add(m.txn().getTxnId());
                }
                if (replay) {
                    s.rows += p.getRows();
                    s.bytes += p.getBinarySize();
                    if (s.sealedBy == null) {
                        nodeBytes.put(s.id, s.bytes);
                    }
                }
                s.lastInsertTimeTick = m.timeTick();
            }
        }
    }

    /**
     * A transaction ended: the segments it inserted into no longer wait for it (a sealed one is flushed at the next
     * time tick). Its vchannel's segments are the only ones it can have touched.
     */
    private void applyTxnEnd(ImmutableMessage m) {
        if (m.txn() == null) {
            return;
        }
        synchronized (this) {
            CollectionShard c = collections.get(m.vchannel());
            if (c != null) {
                for (GrowingSegment s : c.segments.values()) {
                    s.openTxns.remove(m.txn().getTxnId());
                }
            }
        }
    }

    private void applyFlush(ImmutableMessage m) {
        FlushHeader h = m.header(FlushHeader.class);
        synchronized (this) {
            CollectionShard c = collectionOf(m.vchannel(), h.getCollectionId());
            if (c == null) {
                return;
            }
            GrowingSegment s = c.segments.remove(h.getSegmentId());
            if (s != null) {
                c.active.remove(s.partitionId, s);
                nodeBytes.remove(s.id);
            }
        }
    }

    /** The live collection {@code id} of {@code vchannel}, or null. Under the monitor. */
    private CollectionShard collectionOf(String vchannel, long id) {
        CollectionShard c = collections.get(vchannel);
        return c == null || c.collectionId != id || c.isDropped() ? null : c;
    }

    // ---- time ticks: seal policies ----

    @Override
    public void bind(StreamingWal wal) {
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
            for (CollectionShard c : collections.values()) {
                for (GrowingSegment s : c.segments.values()) {
                    if (s.sealedBy == null) {
                        SealReason reason = s.due(now, config);
                        if (reason == null && overHighWater.contains(s.id)) {
                            reason = SealReason.GROWING_BYTES_HIGH_WATER;
                        }
                        if (reason != null) {
                            seal(c, s, reason);
                        }
                    }
                    if (s.readyToFlush()) {
                        s.flush = new CompletableFuture<>();
                        toFlush.add(s);
                    }
                }
            }
        }
        toFlush.forEach(this::appendFlush);
    }

    /** The collection shards as the log defines them (see {@link ShardSnapshot}). */
    public synchronized ShardSnapshot snapshot() {
        Map<String, ShardSnapshot.Collection> out = new HashMap<>();
        collections.forEach((v, c) -> out.put(v, c.snapshot()));
        return new ShardSnapshot(out);
    }

    // ---- recovery ----

    @Override
    public String stateName() {
        return "shards";
    }

    /**
     * The shards as the published log defines them: segments whose CreateSegment is published, with the
     * rows of the inserts published into them (not those still in flight, which replay will count if they
     * reach the log).
     */
    @Override
    public synchronized ExtensionState checkpointState() {
        ShardStateProto.Builder b = ShardStateProto.newBuilder().addAllDropped(dropped);
        for (CollectionShard c : collections.values()) {
            CollectionShardProto.Builder cb = CollectionShardProto.newBuilder().setVchannel(c.vchannel)
                    .setCollectionId(c.collectionId).setDropped(c.isDropped()).addAllSchemas(c.schemas.values())
                    .addAllPartitions(c.partitions).setDefaultPartition(c.defaultPartition);
            for (GrowingSegment g : c.segments.values()) {
                if (g.createTimeTick == 0) {
                    continue;
                }
                cb.addSegments(GrowingSegmentProto.newBuilder().setId(g.id).setPartitionId(g.partitionId)
                        .setSchemaVersion(g.schemaVersion).setMaxBytes(g.maxBytes).setMaxRows(g.maxRows)
                        .setCreateTimeTick(g.createTimeTick).setRows(g.loggedRows).setBytes(g.loggedBytes)
                        .setLastInsertTimeTick(g.lastInsertTimeTick)
                        .setSealedBy(g.sealedBy == null ? "" : g.sealedBy.name())
                        .setActive(c.active.get(g.partitionId) == g).addAllOpenTxns(g.openTxns));
            }
            b.addCollections(cb);
        }
        return ExtensionState.of(b.build().toByteString());
    }

    /** Rebuilds the shards a checkpoint recorded; replay then applies the log after it. */
    @Override
    public synchronized void restore(ByteString state) {
        ShardStateProto p = ExtensionState.parse(ShardStateProto.parser(), state,
                "pchannel " + pchannel + ": the persisted collection shards");
        collections.clear();
        dropped.clear();
        for (CollectionShardProto cp : p.getCollectionsList()) {
            if (cp.getSchemasCount() == 0 || cp.getPartitionsCount() == 0
                    || cp.getPartitions(0) != cp.getDefaultPartition()) {
                throw new StreamingException(ErrorCode.DATA_CORRUPTED, "pchannel " + pchannel
                        + ": the persisted shard of " + cp.getVchannel() + " lacks a schema or its default partition");
            }
            CollectionShard c = new CollectionShard(cp.getVchannel(), cp.getCollectionId(),
                    RowValidator.of(cp.getSchemas(0)), cp.getPartitionsList());
            for (int i = 1; i < cp.getSchemasCount(); i++) {
                c.alter(RowValidator.of(cp.getSchemas(i)));
            }
            if (cp.getDropped()) {
                c.state = ShardSnapshot.CollectionState.DROPPED;
            }
            for (GrowingSegmentProto g : cp.getSegmentsList()) {
                GrowingSegment s = new GrowingSegment(g.getId(), c.collectionId, g.getPartitionId(), c.vchannel,
                        g.getSchemaVersion(), g.getMaxBytes(), g.getMaxRows(), CompletableFuture.completedFuture(null));
                s.createTimeTick = g.getCreateTimeTick();
                s.rows = s.loggedRows = g.getRows();
                s.bytes = s.loggedBytes = g.getBytes();
                s.lastInsertTimeTick = g.getLastInsertTimeTick();
                s.sealedBy = g.getSealedBy().isEmpty() ? null : SealReason.valueOf(g.getSealedBy());
                s.openTxns.addAll(g.getOpenTxnsList());
                c.segments.put(s.id, s);
                if (g.getActive()) {
                    c.active.put(s.partitionId, s);
                }
                if (s.sealedBy == null) {
                    nodeBytes.put(s.id, s.bytes);
                }
            }
            collections.put(c.vchannel, c);
        }
        dropped.addAll(p.getDroppedList());
    }

    /** The WAL closes: its segments no longer count as the node's growing bytes. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (CollectionShard c : collections.values()) {
            c.segments.keySet().forEach(nodeBytes::remove);
        }
    }
}
