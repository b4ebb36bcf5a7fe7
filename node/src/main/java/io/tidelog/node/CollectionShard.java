package io.tidelog.node;

import io.tidelog.message.RowValidator;
import io.tidelog.proto.CollectionSchema;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One collection's shard on one vchannel: its state, schema versions, partitions and growing segments.
 * Guarded by its {@link ShardManager}'s monitor.
 *
 * <pre>
 *   (none) ──CreateCollection──▶ NORMAL ──DropCollection──▶ DROPPED (final: a vchannel holds one collection)
 * </pre>
 */
final class CollectionShard {
    final String vchannel;
    final long collectionId;
    ShardSnapshot.CollectionState state = ShardSnapshot.CollectionState.NORMAL;
    /** Every schema version; the last is current. */
    final TreeMap<Integer, CollectionSchema> schemas = new TreeMap<>();
    /** Checks rows against the current schema. */
    RowValidator rows;
    /** The partitions that exist, in creation order. */
    final Set<Long> partitions = new LinkedHashSet<>();
    /** The first partition of the CreateCollection: where inserts naming partition 0 go; never dropped. */
    final long defaultPartition;
    /** Growing segments (created, not flushed) by id, oldest first. */
    final Map<Long, GrowingSegment> segments = new LinkedHashMap<>();
    /** Per partition, the growing segment that takes its inserts (at most one). */
    final Map<Long, GrowingSegment> active = new HashMap<>();

    CollectionShard(String vchannel, long collectionId, RowValidator rows, List<Long> partitionIds) {
        this.vchannel = vchannel;
        this.collectionId = collectionId;
        this.rows = rows;
        this.schemas.put(rows.schema().getVersion(), rows.schema());
        this.partitions.addAll(partitionIds);
        this.defaultPartition = partitionIds.get(0);
    }

    boolean isDropped() {
        return state == ShardSnapshot.CollectionState.DROPPED;
    }

    int schemaVersion() {
        return rows.schema().getVersion();
    }

    void alter(RowValidator next) {
        rows = next;
        schemas.put(next.schema().getVersion(), next.schema());
    }

    /** For error messages: names the vchannel and the collection. */
    String where() {
        return "vchannel " + vchannel + ", collection " + collectionId;
    }

    ShardSnapshot.Collection snapshot() {
        List<ShardSnapshot.Segment> s = new ArrayList<>();
        for (GrowingSegment g : segments.values()) {
            s.add(g.snapshot());
        }
        return new ShardSnapshot.Collection(vchannel, collectionId, state, new ArrayList<>(schemas.keySet()),
                new ArrayList<>(partitions), defaultPartition, s);
    }
}
