package io.tidelog.node.state;

import io.tidelog.message.RowValidator;
import io.tidelog.proto.CollectionSchema;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * One collection's shard on one vchannel as the log defines it: its state, schema versions and partitions.
 * Immutable: {@link PchannelState} replaces it at each DDL, so a reader holds a consistent one without a lock.
 *
 * <pre>
 *   (none) ──CreateCollection──▶ NORMAL ──DropCollection──▶ DROPPED (final: a vchannel holds one collection)
 * </pre>
 *
 * @param schemas          every schema version; the last is current
 * @param rows             checks rows against the current schema
 * @param partitions       the partitions that exist, in creation order
 * @param defaultPartition the first partition of the CreateCollection: where inserts naming partition 0 go; never
 *                         dropped
 */
public record CollectionShard(String vchannel, long collectionId, ShardSnapshot.CollectionState state,
                              NavigableMap<Integer, CollectionSchema> schemas, RowValidator rows, Set<Long> partitions,
                              long defaultPartition) {

    public CollectionShard {
        schemas = Collections.unmodifiableNavigableMap(new TreeMap<>(schemas));
        partitions = Collections.unmodifiableSet(new LinkedHashSet<>(partitions));
    }

    static CollectionShard created(String vchannel, long collectionId, RowValidator rows, List<Long> partitionIds) {
        TreeMap<Integer, CollectionSchema> schemas = new TreeMap<>();
        schemas.put(rows.schema().getVersion(), rows.schema());
        return new CollectionShard(vchannel, collectionId, ShardSnapshot.CollectionState.NORMAL, schemas, rows,
                new LinkedHashSet<>(partitionIds), partitionIds.get(0));
    }

    public boolean isDropped() {
        return state == ShardSnapshot.CollectionState.DROPPED;
    }

    public int schemaVersion() {
        return rows.schema().getVersion();
    }

    /** The schema of {@code version}, or the current one if that version is unknown (0: before it was recorded). */
    public CollectionSchema schema(int version) {
        CollectionSchema s = schemas.get(version);
        return s != null ? s : rows.schema();
    }

    CollectionShard altered(RowValidator next) {
        TreeMap<Integer, CollectionSchema> s = new TreeMap<>(schemas);
        s.put(next.schema().getVersion(), next.schema());
        return new CollectionShard(vchannel, collectionId, state, s, next, partitions, defaultPartition);
    }

    CollectionShard withPartition(long partition, boolean exists) {
        Set<Long> p = new LinkedHashSet<>(partitions);
        if (exists) {
            p.add(partition);
        } else {
            p.remove(partition);
        }
        return new CollectionShard(vchannel, collectionId, state, schemas, rows, p, defaultPartition);
    }

    CollectionShard dropped() {
        return new CollectionShard(vchannel, collectionId, ShardSnapshot.CollectionState.DROPPED, schemas, rows,
                partitions, defaultPartition);
    }

    /** For error messages: names the vchannel and the collection. */
    public String where() {
        return "vchannel " + vchannel + ", collection " + collectionId;
    }

    ShardSnapshot.Collection snapshot(List<ShardSnapshot.Segment> segments) {
        return new ShardSnapshot.Collection(vchannel, collectionId, state, new ArrayList<>(schemas.keySet()),
                new ArrayList<>(partitions), defaultPartition, segments);
    }
}
