package io.tidelog.client;

import io.grpc.Channel;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.StreamObserver;
import io.tidelog.common.Backoff;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.GrpcErrors;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * A unary call to the leading coordinator ({@link Coordinators}): sent to the current leader; when that answers
 * {@code NOT_LEADER} it goes to the leader the answer names, else to the next address, and so on a broken or
 * refused connection ({@code ON_SHUTDOWN}); once per round of {@link Coordinators#size()} failures it waits the
 * client's reconnect backoff. All within the call's deadline: a call that runs out of time fails with the last
 * error (a retriable code: {@code NOT_LEADER}, {@code ON_SHUTDOWN} or {@code TIMEOUT}); no attempt starts with less
 * than the initial reconnect backoff left (an answer could hardly come, and its {@code TIMEOUT} would hide why
 * no leader answered). Any other failure ends the call at once. With one address and no hint the call is tried
 * once, as before there were several coordinators.
 *
 * <p>A DDL whose connection broke ({@code ON_SHUTDOWN}: its outcome is unknown) is sent again to the next
 * coordinator, which may then answer what the first one did ({@code ALREADY_EXISTS} for a create that took
 * effect, {@code NOT_FOUND} for a drop): {@link Collections#describe} tells.
 */
final class CoordinatorCalls<S extends AbstractStub<S>, R, T> {
    private final ClientContext ctx;
    private final Function<Channel, S> stubs;
    private final BiConsumer<S, StreamObserver<R>> rpc;
    private final Function<R, T> convert;
    private final Duration timeout;
    private final long deadline;
    private final Backoff backoff;
    private final CompletableFuture<T> result = new CompletableFuture<>();
    /** Consecutive failures of this call (guarded by the call's sequence: one attempt at a time). */
    private int failures;
    /** The last failure that made the call try elsewhere, or null. */
    private StreamingException previous;

    private CoordinatorCalls(ClientContext ctx, Function<Channel, S> stubs, Duration timeout,
                             BiConsumer<S, StreamObserver<R>> rpc, Function<R, T> convert) {
        this.ctx = ctx;
        this.stubs = stubs;
        this.rpc = rpc;
        this.convert = convert;
        this.timeout = timeout;
        this.deadline = System.nanoTime() + timeout.toNanos();
        this.backoff = ctx.config().newBackoff();
    }

    /**
     * Calls {@code rpc} on a stub ({@code stubs} of the leader's channel, with the remaining deadline) and
     * completes with its converted answer, as the class comment says.
     */
    static <S extends AbstractStub<S>, R, T> CompletableFuture<T> call(ClientContext ctx, Function<Channel, S> stubs,
            Duration timeout, BiConsumer<S, StreamObserver<R>> rpc, Function<R, T> convert) {
        CoordinatorCalls<S, R, T> c = new CoordinatorCalls<>(ctx, stubs, timeout, rpc, convert);
        c.attempt(ctx.coordinators().leader());
        return c.result;
    }

    private void attempt(String address) {
        CompletableFuture<T> one = new CompletableFuture<>();
        try {
            S stub = stubs.apply(ctx.channels().get(address))
                    .withDeadlineAfter(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            rpc.accept(stub, new UnaryResult<>(one, convert, "coordinator at " + address));
        } catch (StreamingException e) {
            one.completeExceptionally(e);
        }
        one.whenComplete((r, err) -> {
            if (err == null) {
                ctx.coordinators().answered(address);
                result.complete(r);
            } else {
                failed(address, StreamingException.from(err));
            }
        });
    }

    private void failed(String address, StreamingException e) {
        if (e.code() == ErrorCode.TIMEOUT && previous != null) {
            result.completeExceptionally(new StreamingException(ErrorCode.TIMEOUT, "no leader among the coordinators "
                    + ctx.coordinators() + " answered within " + timeout + ": " + address + " did not answer in time ("
                    + e.detail() + "); before that: " + previous.getMessage(), e));
            return;
        }
        if (e.code() != ErrorCode.NOT_LEADER && e.code() != ErrorCode.ON_SHUTDOWN) {
            result.completeExceptionally(e);
            return;
        }
        Optional<String> hint = GrpcErrors.leaderHint(e);
        String next = ctx.coordinators().failed(address, hint);
        if (hint.isEmpty() && ctx.coordinators().size() == 1) {
            result.completeExceptionally(e);
            return;
        }
        failures++;
        previous = e;
        long delay = failures % ctx.coordinators().size() == 0 ? backoff.nextNanos() : 0;
        if (deadline - System.nanoTime() - delay < ctx.config().backoffInitial().toNanos()) {
            result.completeExceptionally(new StreamingException(e.code(), "no leader among the coordinators "
                    + ctx.coordinators() + " answered within " + timeout + "; the last answer, from " + address + ": "
                    + e.detail(), e));
            return;
        }
        if (ctx.schedule(() -> attempt(next), delay) == null) {
            result.completeExceptionally(StreamingException.onShutdown("the client is closed"));
        }
    }
}
