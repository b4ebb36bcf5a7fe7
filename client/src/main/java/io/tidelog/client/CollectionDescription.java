package io.tidelog.client;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.PrimaryKeyHash;
import io.tidelog.proto.CollectionInfo;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.CollectionState;
import io.tidelog.proto.PartitionInfo;
import io.tidelog.proto.PartitionState;
import java.util.List;
import java.util.Objects;

/**
 * A collection as the coordinator's catalog describes it.
 *
 * @param id         the collection id
 * @param name       its name
 * @param schema     its schema (field ids and version assigned by the coordinator)
 * @param vchannels  its vchannels, shard 0 first: a row with primary key {@code k} lives on
 *                   {@code vchannels[PrimaryKeyHash.shardOf(k, shards)]}
 * @param partitions its partitions, {@code _default} first
 * @param state      {@code COLLECTION_CREATED} once every vchannel has its CreateCollection
 * @param replicas   the delegators answering queries of each vchannel: the owner's and {@code replicas - 1} on
 *                   other nodes (at least 1)
 */
public record CollectionDescription(long id, String name, CollectionSchema schema, List<String> vchannels,
                                    List<Partition> partitions, CollectionState state, int replicas) {

    /** The partition every collection has, and where rows go unless told otherwise. */
    public static final String DEFAULT_PARTITION = "_default";

    /** A partition of the collection. */
    public record Partition(long id, String name, PartitionState state) {
    }

    public CollectionDescription {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(schema, "schema");
        vchannels = List.copyOf(vchannels);
        partitions = List.copyOf(partitions);
    }

    public static CollectionDescription fromProto(CollectionInfo info) {
        return new CollectionDescription(info.getCollectionId(), info.getName(), info.getSchema(),
                info.getVchannelsList(), info.getPartitionsList().stream().map(CollectionDescription::partition).toList(),
                info.getState(), Math.max(1, info.getReplicas()));
    }

    private static Partition partition(PartitionInfo p) {
        return new Partition(p.getPartitionId(), p.getName(), p.getState());
    }

    public int shards() {
        return vchannels.size();
    }

    /** The vchannel of a primary key ({@link Long} or {@link String}); see {@link PrimaryKeyHash}. */
    public String vchannelOf(Object primaryKey) {
        return vchannels.get(PrimaryKeyHash.shardOf(primaryKey, shards()));
    }

    /**
     * The partition named {@code partition}, which must be created.
     *
     * @throws StreamingException {@code NOT_FOUND} if the collection has no such partition (or it is being
     *         created or dropped)
     */
    public Partition writablePartition(String partition) {
        for (Partition p : partitions) {
            if (p.name().equals(partition) && p.state() == PartitionState.PARTITION_CREATED) {
                return p;
            }
        }
        throw new StreamingException(ErrorCode.NOT_FOUND, "collection '" + name + "' has no partition '" + partition + "'");
    }

    /**
     * Checks that the collection takes DML.
     *
     * @throws StreamingException {@code NOT_FOUND} while it is being created or dropped
     */
    public void requireWritable() {
        if (state != CollectionState.COLLECTION_CREATED) {
            throw new StreamingException(ErrorCode.NOT_FOUND, "collection '" + name + "' is " + state
                    + ", it takes no rows");
        }
    }
}
