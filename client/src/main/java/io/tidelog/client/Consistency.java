package io.tidelog.client;

import io.tidelog.proto.ConsistencyLevel;

/**
 * How fresh a query's answer must be. Each level names a time tick, the guarantee; the node answers once its
 * delegator has applied the vchannel's log up to it (or fails with {@code TIMEOUT} at the query's deadline).
 */
public enum Consistency {
    /** Every write acknowledged before the query was sent (the default). */
    STRONG(ConsistencyLevel.STRONG),
    /** Writes up to a fresh timestamp minus the node's bounded staleness ({@code query.bounded.staleness}, 5 s). */
    BOUNDED(ConsistencyLevel.BOUNDED),
    /** Every write this client made through insert, delete and upsert, and whatever else the node has applied. */
    SESSION(ConsistencyLevel.SESSION),
    /** Whatever the node has applied; never waits. */
    EVENTUALLY(ConsistencyLevel.EVENTUALLY);

    private final ConsistencyLevel proto;

    Consistency(ConsistencyLevel proto) {
        this.proto = proto;
    }

    ConsistencyLevel toProto() {
        return proto;
    }
}
