package io.tidelog.node.state;

import java.util.List;
import java.util.Map;

/**
 * The collection shards of one pchannel as the log defines them, at one moment: what replay rebuilds.
 * Two snapshots are equal when the shards are; what exists only while appends are in flight (which
 * segments are being sealed) is left out.
 *
 * @param collections by vchannel
 */
public record ShardSnapshot(Map<String, Collection> collections) {

    public ShardSnapshot {
        collections = Map.copyOf(collections);
    }

    public enum CollectionState { NORMAL, DROPPED }

    /**
     * @param schemaVersions   every schema version, oldest first
     * @param partitions       the partitions that exist, in creation order; the first is the default
     * @param segments         the growing segments (created, not flushed), by id
     */
    public record Collection(String vchannel, long collectionId, CollectionState state, List<Integer> schemaVersions,
                             List<Long> partitions, long defaultPartition, List<Segment> segments) {
        public Collection {
            schemaVersions = List.copyOf(schemaVersions);
            partitions = List.copyOf(partitions);
            segments = List.copyOf(segments);
        }
    }

    /**
     * @param createTimeTick     the time tick of its CreateSegment
     * @param rows               rows of the inserts assigned to it
     * @param bytes              payload bytes of those inserts
     * @param lastInsertTimeTick the time tick of the last of them; 0 if none
     */
    public record Segment(long id, long partitionId, int schemaVersion, long maxBytes, long maxRows,
                          long createTimeTick, long rows, long bytes, long lastInsertTimeTick) {
    }
}
