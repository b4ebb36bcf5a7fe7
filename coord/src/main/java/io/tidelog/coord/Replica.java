package io.tidelog.coord;

import java.util.Objects;

/**
 * One extra delegator of a vchannel, on a node other than the owner of the vchannel's pchannel.
 *
 * @param vchannel     the vchannel the replica follows
 * @param collectionId its collection
 * @param nodeId       the node that runs it
 * @param address      that node's address for clients (host:port of its StreamingNode and Query services)
 */
public record Replica(String vchannel, long collectionId, String nodeId, String address) {
    public Replica {
        Objects.requireNonNull(vchannel, "vchannel");
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(address, "address");
    }
}
