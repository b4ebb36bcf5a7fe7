package io.tidelog.client;

import io.grpc.stub.StreamObserver;
import io.tidelog.common.StreamingException;
import io.tidelog.message.GrpcErrors;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** Completes a future with the converted single response of a unary call, or its mapped error. */
final class UnaryResult<R, T> implements StreamObserver<R> {
    private final CompletableFuture<T> result;
    private final Function<R, T> convert;
    private final String peer;

    UnaryResult(CompletableFuture<T> result, Function<R, T> convert, String peer) {
        this.result = result;
        this.convert = convert;
        this.peer = peer;
    }

    @Override
    public void onNext(R value) {
        try {
            result.complete(convert.apply(value));
        } catch (RuntimeException e) {
            result.completeExceptionally(GrpcErrors.fromThrowable(e, peer));
        }
    }

    @Override
    public void onError(Throwable t) {
        result.completeExceptionally(GrpcErrors.fromThrowable(t, peer));
    }

    @Override
    public void onCompleted() {
        result.completeExceptionally(StreamingException.onShutdown(peer + " sent no status"));
    }
}
