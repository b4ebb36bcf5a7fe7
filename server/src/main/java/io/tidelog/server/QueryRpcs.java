package io.tidelog.server;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.StreamObserver;
import io.tidelog.delegator.Delegators;
import io.tidelog.message.GrpcErrors;
import io.tidelog.proto.QueryServiceGrpc;
import io.tidelog.proto.ShardQueryRequest;
import io.tidelog.proto.ShardQueryResponse;
import io.tidelog.proto.ShardSearchRequest;
import io.tidelog.proto.ShardSearchResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The node's {@code QueryService}: each call goes to the {@link Delegators} with the call's deadline (none: the
 * delegators' own bound) and is answered when they answer. Never blocks a transport thread: waiting for fresh data
 * and computing the answer happen elsewhere.
 */
final class QueryRpcs extends QueryServiceGrpc.QueryServiceImplBase {
    private final Delegators delegators;

    QueryRpcs(Delegators delegators) {
        this.delegators = delegators;
    }

    @Override
    public void query(ShardQueryRequest request, StreamObserver<ShardQueryResponse> out) {
        answer(delegators.query(request, deadline()), out);
    }

    @Override
    public void search(ShardSearchRequest request, StreamObserver<ShardSearchResponse> out) {
        answer(delegators.search(request, deadline()), out);
    }

    /** The call's deadline in {@link System#nanoTime()} terms, or far away if it has none. */
    private static long deadline() {
        Deadline d = Context.current().getDeadline();
        long left = d == null ? TimeUnit.DAYS.toNanos(1) : d.timeRemaining(TimeUnit.NANOSECONDS);
        return System.nanoTime() + left;
    }

    private static <T> void answer(CompletableFuture<T> result, StreamObserver<T> out) {
        result.whenComplete((r, e) -> {
            if (e != null) {
                out.onError(GrpcErrors.toStatus(e));
            } else {
                out.onNext(r);
                out.onCompleted();
            }
        });
    }
}
