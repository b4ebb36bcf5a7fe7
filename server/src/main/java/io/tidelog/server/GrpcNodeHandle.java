package io.tidelog.server;

import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import io.tidelog.coord.NodeHandle;
import io.tidelog.message.GrpcErrors;
import io.tidelog.proto.NodeAssignRequest;
import io.tidelog.proto.NodeControlGrpc;
import io.tidelog.proto.NodeRemoveRequest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The leader coordinator's handle on one life of a streaming node, over its {@code NodeControl} service. Every
 * request names the node's session (a later life refuses it). An assign carries no deadline: a recovery takes what
 * it takes, and a broken call leaves the node opening, which a second assign at the term joins. A remove waits at
 * most {@code removeTimeout}. The channel belongs to the caller.
 */
final class GrpcNodeHandle implements NodeHandle {
    private final String nodeId;
    private final long sessionId;
    private final String address;
    private final NodeControlGrpc.NodeControlStub stub;
    private final Duration removeTimeout;

    GrpcNodeHandle(String nodeId, long sessionId, String address, Channel channel, Duration removeTimeout) {
        this.nodeId = nodeId;
        this.sessionId = sessionId;
        this.address = address;
        this.stub = NodeControlGrpc.newStub(channel);
        this.removeTimeout = removeTimeout;
    }

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public long sessionId() {
        return sessionId;
    }

    @Override
    public String address() {
        return address;
    }

    @Override
    public CompletableFuture<Void> assign(String pchannel, long term) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        stub.assign(NodeAssignRequest.newBuilder().setPchannel(pchannel).setTerm(term).setSessionId(sessionId).build(),
                completing(done, "node " + nodeId + " at " + address + " assigning " + pchannel + "@" + term));
        return done;
    }

    @Override
    public CompletableFuture<Void> remove(String pchannel, long term) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        stub.withDeadlineAfter(Math.max(1, removeTimeout.toMillis()), TimeUnit.MILLISECONDS)
                .remove(NodeRemoveRequest.newBuilder().setPchannel(pchannel).setTerm(term).setSessionId(sessionId)
                        .build(), completing(done, "node " + nodeId + " at " + address + " removing " + pchannel));
        return done;
    }

    private static <T> StreamObserver<T> completing(CompletableFuture<Void> done, String where) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(GrpcErrors.fromThrowable(t, where));
            }

            @Override
            public void onCompleted() {
                done.complete(null);
            }
        };
    }

    @Override
    public String toString() {
        return "node " + nodeId + " (session " + sessionId + ", " + address + ")";
    }
}
