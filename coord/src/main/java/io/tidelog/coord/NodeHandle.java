package io.tidelog.coord;

import java.util.concurrent.CompletableFuture;

/**
 * How the coordinator reaches one life (session) of a streaming node: in process (standalone) or over gRPC
 * (cluster). A node that restarts is a new session and gets a new handle; a handle never reaches a later life of
 * its node (the node refuses requests addressed to another session).
 *
 * <p>Both calls return at once; their futures complete on any thread. The coordinator may stop waiting for a
 * future (the node died meanwhile): the node goes on with the work regardless, and asking again at the same term
 * joins the work in progress or finds it done, so neither call is cut short and restarted from scratch by a
 * deadline (a long recovery is not a failure).
 */
public interface NodeHandle {

    String nodeId();

    /** The node's session: its lease id in the meta store (cluster), unique to this life of the node. */
    long sessionId();

    /** host:port of the node's StreamingNode service, as clients should dial it. */
    String address();

    /**
     * Serves {@code pchannel} at {@code term}: completes once the WAL is open at the term (every older writer is
     * fenced at the storage) and recovered. Idempotent at one term. Fails with {@code UNMATCHED_CHANNEL_TERM} if
     * the node knows a newer term of the pchannel, and with the backend's error if the open fails.
     */
    CompletableFuture<Void> assign(String pchannel, long term);

    /**
     * Stops serving {@code pchannel} at {@code term} or older, gracefully (appends in flight finish, recovery
     * state is persisted); completes once released. Idempotent; a pchannel not served completes at once.
     */
    CompletableFuture<Void> remove(String pchannel, long term);
}
