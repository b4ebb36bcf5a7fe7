package io.tidelog.client;

import io.grpc.Channel;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.StreamObserver;
import io.tidelog.common.Backoff;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.StreamingNodeGrpc;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * A unary call to the node that owns a pchannel, with wait-for-ready: it waits for the pchannel's assignment,
 * calls its node, and after a retriable failure (a wrong node is reported to the coordinator first) tries again
 * with backoff, until it succeeds, fails for good, or the deadline passes ({@code TIMEOUT}, naming the last
 * failure). A pchannel the cluster does not have fails with {@code NOT_FOUND} as soon as an assignment snapshot
 * says so. Only for calls that may be repeated (reads, idempotent writes).
 */
final class OwnerCalls<S extends AbstractStub<S>, R> {
    private final ClientContext ctx;
    private final String pchannel;
    private final Function<Channel, S> stubs;
    private final BiConsumer<S, StreamObserver<R>> call;
    private final long deadline;
    private final Backoff backoff;
    private final CompletableFuture<R> result = new CompletableFuture<>();
    private StreamingException last;

    private OwnerCalls(ClientContext ctx, String pchannel, Duration timeout, Function<Channel, S> stubs,
                       BiConsumer<S, StreamObserver<R>> call) {
        this.ctx = ctx;
        this.pchannel = pchannel;
        this.stubs = stubs;
        this.call = call;
        this.deadline = System.nanoTime() + timeout.toNanos();
        this.backoff = ctx.config().newBackoff();
    }

    /** A call of the owner's {@code StreamingNode} service. */
    static <R> CompletableFuture<R> call(ClientContext ctx, String pchannel, Duration timeout,
                                         BiConsumer<StreamingNodeGrpc.StreamingNodeStub, StreamObserver<R>> call) {
        return call(ctx, pchannel, timeout, StreamingNodeGrpc::newStub, call);
    }

    /** A call of any service of the owner, whose stubs {@code stubs} makes. */
    static <S extends AbstractStub<S>, R> CompletableFuture<R> call(ClientContext ctx, String pchannel, Duration timeout,
                                                                    Function<Channel, S> stubs,
                                                                    BiConsumer<S, StreamObserver<R>> call) {
        OwnerCalls<S, R> c = new OwnerCalls<>(ctx, pchannel, timeout, stubs, call);
        c.attempt();
        return c.result;
    }

    private void attempt() {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            StreamingException why = last != null ? last : ctx.assignments().watchError();
            result.completeExceptionally(new StreamingException(ErrorCode.TIMEOUT, "no answer from the owner of pchannel "
                    + pchannel + " in time" + (why == null ? "" : ": " + why.getMessage()), why));
            return;
        }
        Assignment a = ctx.assignments().get(pchannel);
        if (a == null) {
            if (ctx.assignments().cannotServe(pchannel)) {
                result.completeExceptionally(ctx.assignments().whyCannotServe(pchannel));
            } else {
                retryLater();
            }
            return;
        }
        CompletableFuture<R> one = new CompletableFuture<>();
        try {
            S stub = stubs.apply(ctx.channels().get(a.address())).withDeadlineAfter(left, TimeUnit.NANOSECONDS);
            call.accept(stub, new UnaryResult<>(one, r -> r, "node " + a.nodeId() + " at " + a.address()));
        } catch (StreamingException e) {
            one.completeExceptionally(e);
        }
        one.whenComplete((r, err) -> {
            if (err == null) {
                result.complete(r);
                return;
            }
            StreamingException e = StreamingException.from(err);
            if (!e.isRetriable() || e.code() == ErrorCode.TIMEOUT) {
                result.completeExceptionally(e);
                return;
            }
            last = e;
            if (e.isWrongNode()) {
                ctx.assignments().report(a, e);
            }
            retryLater();
        });
    }

    private void retryLater() {
        long delay = Math.min(backoff.nextNanos(), Math.max(0, deadline - System.nanoTime()));
        if (ctx.schedule(this::attempt, delay) == null) {
            result.completeExceptionally(StreamingException.onShutdown("the client is closed"));
        }
    }
}
