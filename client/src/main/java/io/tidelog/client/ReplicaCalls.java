package io.tidelog.client;

import io.grpc.Channel;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.StreamObserver;
import io.tidelog.common.Backoff;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.Vchannels;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * A read of one vchannel from any of its delegators: the owner of its pchannel first, then each replica the
 * coordinator placed (in node id order), as the latest assignment snapshot says.
 *
 * <pre>
 * round: candidates = [owner?] + replicas(vchannel)          (fresh from the snapshot at each round)
 *   call candidate i with a deadline of the time left (half of it while others remain in the round)
 *   answer                                      → done
 *   retriable failure, unreachable node, or a
 *   TIMEOUT while others remain                 → candidate i + 1 at once (a wrong owner is reported first)
 *   other failure                               → failed
 * a round with no answer (or no candidate yet)  → wait a backoff, next round
 * the deadline passes                           → TIMEOUT naming the last failure
 * </pre>
 *
 * <p>A replica answers as the owner does (its STRONG guarantee is a fresh timestamp), so any candidate's answer is
 * correct; only reads go here. Threads: each attempt starts on the thread that ended the previous one.
 */
final class ReplicaCalls<S extends AbstractStub<S>, R> {
    private final ClientContext ctx;
    private final String vchannel;
    private final String pchannel;
    private final Function<Channel, S> stubs;
    private final BiConsumer<S, StreamObserver<R>> call;
    private final long deadline;
    private final Backoff backoff;
    private final CompletableFuture<R> result = new CompletableFuture<>();
    private StreamingException last;

    /** Where a round may go: the owner's assignment or a replica. */
    private record Candidate(String nodeId, String address, Assignment owner) {
    }

    private ReplicaCalls(ClientContext ctx, String vchannel, Duration timeout, Function<Channel, S> stubs,
                         BiConsumer<S, StreamObserver<R>> call) {
        this.ctx = ctx;
        this.vchannel = vchannel;
        this.pchannel = Vchannels.pchannelOf(vchannel);
        this.stubs = stubs;
        this.call = call;
        this.deadline = System.nanoTime() + timeout.toNanos();
        this.backoff = ctx.config().newBackoff();
    }

    /** A read of {@code vchannel} through a service whose stubs {@code stubs} makes. */
    static <S extends AbstractStub<S>, R> CompletableFuture<R> call(ClientContext ctx, String vchannel,
                                                                    Duration timeout, Function<Channel, S> stubs,
                                                                    BiConsumer<S, StreamObserver<R>> call) {
        ReplicaCalls<S, R> c = new ReplicaCalls<>(ctx, vchannel, timeout, stubs, call);
        c.round();
        return c.result;
    }

    private List<Candidate> candidates() {
        List<Candidate> out = new ArrayList<>();
        Assignment owner = ctx.assignments().get(pchannel);
        if (owner != null) {
            out.add(new Candidate(owner.nodeId(), owner.address(), owner));
        }
        for (ReplicaLocation r : ctx.assignments().replicasOf(vchannel)) {
            if (owner == null || !r.nodeId().equals(owner.nodeId())) {
                out.add(new Candidate(r.nodeId(), r.address(), null));
            }
        }
        return out;
    }

    private void round() {
        if (timedOut()) {
            return;
        }
        List<Candidate> candidates = candidates();
        if (candidates.isEmpty()) {
            if (ctx.assignments().isMissing(pchannel)) {
                result.completeExceptionally(ctx.assignments().notFound(pchannel));
            } else {
                retryLater();
            }
            return;
        }
        attempt(candidates, 0);
    }

    private boolean timedOut() {
        if (deadline - System.nanoTime() > 0) {
            return false;
        }
        StreamingException why = last != null ? last : ctx.assignments().watchError();
        result.completeExceptionally(new StreamingException(ErrorCode.TIMEOUT, "no answer from a delegator of "
                + vchannel + " in time" + (why == null ? "" : ": " + why.getMessage()), why));
        return true;
    }

    private void attempt(List<Candidate> candidates, int i) {
        if (timedOut()) {
            return;
        }
        if (i >= candidates.size()) {
            retryLater();
            return;
        }
        Candidate c = candidates.get(i);
        boolean othersRemain = i + 1 < candidates.size();
        long left = deadline - System.nanoTime();
        long budget = othersRemain ? Math.max(1, left / 2) : left;
        CompletableFuture<R> one = new CompletableFuture<>();
        try {
            S stub = stubs.apply(ctx.channels().get(c.address())).withDeadlineAfter(budget, TimeUnit.NANOSECONDS);
            call.accept(stub, new UnaryResult<>(one, r -> r, "node " + c.nodeId() + " at " + c.address()));
        } catch (StreamingException e) {
            one.completeExceptionally(e);
        }
        one.whenComplete((r, err) -> {
            if (err == null) {
                result.complete(r);
                return;
            }
            StreamingException e = StreamingException.from(err);
            boolean next = e.code() == ErrorCode.TIMEOUT ? othersRemain : e.isRetriable();
            if (!next) {
                result.completeExceptionally(e);
                return;
            }
            last = e;
            if (c.owner() != null && e.isWrongNode()) {
                ctx.assignments().report(c.owner(), e);
            }
            attempt(candidates, i + 1);
        });
    }

    private void retryLater() {
        long delay = Math.min(backoff.nextNanos(), Math.max(0, deadline - System.nanoTime()));
        if (ctx.schedule(this::round, delay) == null) {
            result.completeExceptionally(StreamingException.onShutdown("the client is closed"));
        }
    }
}
