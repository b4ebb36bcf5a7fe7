package io.tidelog.coord;

/**
 * How the coordinator reaches a streaming node: in process (standalone) or over gRPC (cluster).
 * Calls block until the node has done the work or failed.
 */
public interface NodeHandle {

    String nodeId();

    /** host:port of the node's StreamingNode service, as clients should dial it. */
    String address();

    /** Serves {@code pchannel} at {@code term}: returns once the WAL is open (fenced, first TimeTick durable). */
    void assign(String pchannel, long term);

    /** Stops serving {@code pchannel} at {@code term} or older; returns once released. */
    void remove(String pchannel, long term);
}
