package io.tidelog.delegator;

import io.tidelog.message.ImmutableMessage;
import io.tidelog.parquet.DeleteLogRows;
import io.tidelog.parquet.SegmentManifest;
import io.tidelog.proto.AlterCollectionBody;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.CreateCollectionBody;
import io.tidelog.proto.CreateCollectionHeader;
import io.tidelog.proto.CreateSegmentHeader;
import io.tidelog.proto.DeleteBody;
import io.tidelog.proto.DeleteHeader;
import io.tidelog.proto.FlushHeader;
import io.tidelog.proto.InsertBody;
import io.tidelog.proto.InsertHeader;
import io.tidelog.proto.PartitionSegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;

/**
 * A delegator of one vchannel away from the node that owns its pchannel (a replica): fed by a consumer of the
 * vchannel (what any reader of it receives: DDL, DML, a committed transaction as one {@code TXN} message,
 * TimeTicks), where the owner's delegator is fed by the pchannel state. Its growing segments, deletes and sealed
 * segments are those of the owner's delegator, derived again from the messages: an insert's rows join the segment
 * its header names, visible at its time tick; a transaction's bodies at its commit; a Flush starts reading the
 * segment's sealed form from object storage; tsafe is the time tick of the last message taken.
 *
 * <p><b>Start.</b> {@link #loadSealed} reads the collection's sealed segments and delete logs of the vchannel first
 * (until it is done, queries of the follower fail with {@code CHANNEL_NOT_EXIST}, which clients retry elsewhere);
 * then the consumer delivers the vchannel from its earliest retained message: rows of segments already sealed are
 * skipped, deletes apply to everything held (applying one twice changes nothing).
 *
 * <p>Threads: {@link #accept} on the consumer's one delivery thread (the owner of the delegator's data; sealed
 * segments read on a loader thread are handed back through {@code handOver}, which must run on that thread too);
 * queries from any thread.
 */
public final class VchannelFollower implements AutoCloseable {
    final String vchannel;
    final long collectionId;
    final ShardDelegator shard;
    final Tsafe tsafe = new Tsafe();
    private final SegmentFiles files;
    private final ScheduledExecutorService loaders;
    private final Consumer<Runnable> handOver;
    /** Schemas by version, from CreateCollection and AlterCollection. Owned by the delivery thread. */
    private final TreeMap<Integer, CollectionSchema> schemas = new TreeMap<>();
    /** The schema version each segment opened with, from its CreateSegment. Owned by the delivery thread. */
    private final Map<Long, Integer> segmentVersions = new HashMap<>();
    private volatile CollectionSchema current;
    private volatile boolean dropped;
    private volatile boolean closed;
    /** Set once {@link #loadSealed} is done: before, the follower answers no query (it would miss sealed rows). */
    private volatile boolean loaded;
    private final Runnable onClose;

    /**
     * @param schema   the collection's schema when the follower starts (as the catalog says)
     * @param handOver runs a task on the delivery thread (queues it before the next message)
     */
    VchannelFollower(String vchannel, long collectionId, CollectionSchema schema, SegmentFiles files,
                     ScheduledExecutorService loaders, Consumer<Runnable> handOver, Runnable onClose,
                     io.tidelog.node.shard.GrowingSegmentBytes held) {
        this.onClose = onClose;
        this.vchannel = vchannel;
        this.collectionId = collectionId;
        this.shard = new ShardDelegator(vchannel, collectionId, held);
        this.files = files;
        this.loaders = loaders;
        this.handOver = handOver;
        this.current = schema;
        schemas.put(schema.getVersion(), schema);
    }

    /** Reads the sealed segments and delete logs of the vchannel. Before the first {@link #accept}, on its thread. */
    public void loadSealed() {
        List<DeleteLogRows> deletes = new ArrayList<>();
        for (SegmentManifest m : files.manifests(collectionId, vchannel)) {
            if (m.kind() == SegmentManifest.Kind.SEGMENT) {
                shard.sealed(files.segment(m, current));
            } else {
                deletes.addAll(files.deletes(m));
            }
        }
        // Only once every segment is held: a delete log hides rows of the segments held when it is applied.
        for (DeleteLogRows d : deletes) {
            shard.deleteLog(d.keys(), d.timeTicks());
        }
        shard.loaded();
        loaded = true;
    }

    /** Whether the sealed segments are held, so that queries may be answered. */
    boolean isLoaded() {
        return loaded;
    }

    /** Takes the next message of the vchannel, in log order. */
    public void accept(ImmutableMessage m) {
        switch (m.type()) {
            case CREATE_COLLECTION -> {
                if (m.header(CreateCollectionHeader.class).getCollectionId() == collectionId) {
                    schema(m.body(CreateCollectionBody.parser()).getSchema());
                }
            }
            case ALTER_COLLECTION -> schema(m.body(AlterCollectionBody.parser()).getSchema());
            case CREATE_SEGMENT -> {
                CreateSegmentHeader h = m.header(CreateSegmentHeader.class);
                segmentVersions.put(h.getSegmentId(), h.getSchemaVersion());
            }
            case INSERT -> insert(m, m.timeTick());
            case DELETE -> delete(m, m.timeTick());
            case TXN -> {
                for (ImmutableMessage body : m.txnMessages()) {
                    switch (body.type()) {
                        case INSERT -> insert(body, m.timeTick());
                        case DELETE -> delete(body, m.timeTick());
                        default -> {
                        }
                    }
                }
            }
            case FLUSH -> {
                FlushHeader h = m.header(FlushHeader.class);
                if (h.getCollectionId() == collectionId && !shard.isSealed(h.getSegmentId())) {
                    files.whenFlushed(loaders, collectionId, h.getSegmentId(), () -> current, () -> !closed && !dropped,
                            sealed -> handOver.accept(() -> shard.sealed(sealed)));
                }
            }
            case DROP_COLLECTION -> dropped = true;
            default -> {
            }
        }
        tsafe.advance(m.timeTick());
    }

    private void schema(CollectionSchema s) {
        schemas.put(s.getVersion(), s);
        current = schemas.lastEntry().getValue();
    }

    private void insert(ImmutableMessage m, long visibleAt) {
        InsertHeader h = m.header(InsertHeader.class);
        if (h.getCollectionId() != collectionId || h.getPartitionsCount() != 1) {
            return;
        }
        PartitionSegment p = h.getPartitions(0);
        Integer version = segmentVersions.get(p.getSegmentId());
        CollectionSchema schema = version == null ? current : schemas.getOrDefault(version, current);
        shard.insert(p.getSegmentId(), p.getPartitionId(), schema, m.body(InsertBody.parser()), visibleAt);
    }

    private void delete(ImmutableMessage m, long visibleAt) {
        if (m.header(DeleteHeader.class).getCollectionId() == collectionId) {
            shard.delete(m.body(DeleteBody.parser()), visibleAt);
        }
    }

    /** The collection's current schema as this follower knows it. */
    CollectionSchema schema() {
        return current;
    }

    boolean isDropped() {
        return dropped;
    }

    /** Stops serving queries and reading segments. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        handOver.accept(shard::release);
        tsafe.close(new io.tidelog.common.StreamingException(io.tidelog.common.ErrorCode.CHANNEL_NOT_EXIST,
                "the replica of " + vchannel + " here was closed"));
        onClose.run();
    }
}
