package io.tidelog.coord;

import io.tidelog.state.proto.ResourceKeyProto;

/**
 * A lock a DDL holds while it is broadcast (Milvus' broadcaster resource keys): DDLs whose keys conflict
 * (the same key, at least one of them exclusive) run one after the other, in submission order.
 *
 * @param key       what is locked: {@code collection/<name>} or {@code cluster}
 * @param exclusive whether no other holder of the key is allowed
 */
public record ResourceKey(String key, boolean exclusive) {

    /** The exclusive lock of one collection name: every DDL of the collection takes it. */
    public static ResourceKey collection(String name) {
        return new ResourceKey("collection/" + name, true);
    }

    /**
     * The shared lock of the whole cluster: every DDL takes it, so a cluster-wide DDL (which would take it
     * exclusively) waits for all of them.
     */
    public static ResourceKey clusterShared() {
        return new ResourceKey("cluster", false);
    }

    boolean conflictsWith(ResourceKey other) {
        return key.equals(other.key) && (exclusive || other.exclusive);
    }

    ResourceKeyProto toProto() {
        return ResourceKeyProto.newBuilder().setKey(key).setExclusive(exclusive).build();
    }

    static ResourceKey fromProto(ResourceKeyProto p) {
        return new ResourceKey(p.getKey(), p.getExclusive());
    }
}
