package io.tidelog.client;

import java.util.OptionalInt;

/**
 * How a collection is created; immutable, each {@code with*} returns a copy.
 *
 * @param shards   the shards (vchannels): 1 to the coordinator's {@code catalog.max.shards}; empty: the
 *                 coordinator's {@code catalog.default.shards}
 * @param replicas the delegators answering queries of each vchannel, the owner's included: 1 to the
 *                 coordinator's {@code catalog.max.replicas}; empty: 1
 */
public record CreateCollectionOptions(OptionalInt shards, OptionalInt replicas) {

    public static CreateCollectionOptions defaults() {
        return new CreateCollectionOptions(OptionalInt.empty(), OptionalInt.empty());
    }

    public CreateCollectionOptions withShards(int shards) {
        return new CreateCollectionOptions(OptionalInt.of(shards), replicas);
    }

    public CreateCollectionOptions withReplicas(int replicas) {
        return new CreateCollectionOptions(shards, OptionalInt.of(replicas));
    }
}
