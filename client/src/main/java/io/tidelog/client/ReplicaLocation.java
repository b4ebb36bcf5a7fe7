package io.tidelog.client;

import io.tidelog.proto.VchannelReplica;

/**
 * An extra delegator of a vchannel, as the leading coordinator placed it: on a node other than the owner of the
 * vchannel's pchannel, answering queries of the vchannel.
 *
 * @param vchannel     the vchannel
 * @param collectionId its collection
 * @param nodeId       the node that runs the replica
 * @param address      host:port of that node
 */
public record ReplicaLocation(String vchannel, long collectionId, String nodeId, String address) {

    static ReplicaLocation fromProto(VchannelReplica r) {
        return new ReplicaLocation(r.getVchannel(), r.getCollectionId(), r.getNodeId(), r.getAddress());
    }
}
