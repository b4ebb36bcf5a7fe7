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
 *   ask candidate 0, with the time left as its deadline
 *   a candidate answers                          → done (the first answer wins)
 *   it fails retriably, cannot be reached, or
 *   times out while others remain                → ask the next candidate at once (a wrong owner is reported)
 *   it has not answered after {@value #HEDGE_AFTER_MILLIS} ms → ask the next candidate too (a node that
 *                                                  died without closing its connections never answers)
 *   it fails for good                            → failed
 *   every candidate failed (or none yet)         → wait a backoff, next round
 * the deadline passes                            → TIMEOUT naming the last failure
 * </pre>
 *
 * <p>A replica answers as the owner does (its STRONG guarantee is a fresh timestamp), so any candidate's answer is
 * correct; only reads go here. Threads: attempts start on the thread that ended or hedged the previous one; the
 * round's state is guarded by this object.
 */
final class ReplicaCalls<S extends AbstractStub<S>, R> {
    /** How long a candidate may take before the next one is asked as well. */
    static final long HEDGE_AFTER_MILLIS = 1000;

    private final ClientContext ctx;
    private final String vchannel;
    private final String pchannel;
    private final Function<Channel, S> stubs;
    private final BiConsumer<S, StreamObserver<R>> call;
    private final long deadline;
    private final Backoff backoff;
    private final CompletableFuture<R> result = new CompletableFuture<>();
    /** The round's candidates, the next one to ask, and the attempts not ended. Under the monitor. */
    private List<Candidate> candidates = List.of();
    private int next;
    private int inFlight;
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

    private List<Candidate> currentCandidates() {
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
        List<Candidate> now = currentCandidates();
        if (now.isEmpty()) {
            if (ctx.assignments().cannotServe(pchannel)) {
                result.completeExceptionally(ctx.assignments().whyCannotServe(pchannel));
            } else {
                retryLater();
            }
            return;
        }
        synchronized (this) {
            candidates = now;
            next = 0;
        }
        askNext();
    }

    private boolean timedOut() {
        if (deadline - System.nanoTime() > 0) {
            return false;
        }
        StreamingException why;
        synchronized (this) {
            why = last != null ? last : ctx.assignments().watchError();
        }
        result.completeExceptionally(new StreamingException(ErrorCode.TIMEOUT, "no answer from a delegator of "
                + vchannel + " in time" + (why == null ? "" : ": " + why.getMessage()), why));
        return true;
    }

    /** Asks the round's next candidate; with none left and none in flight, the next round after a backoff. */
    private void askNext() {
        if (result.isDone() || timedOut()) {
            return;
        }
        Candidate c;
        boolean othersRemain;
        synchronized (this) {
            if (next >= candidates.size()) {
                if (inFlight == 0) {
                    retryLater();
                }
                return;
            }
            c = candidates.get(next++);
            othersRemain = next < candidates.size();
            inFlight++;
        }
        CompletableFuture<R> one = new CompletableFuture<>();
        try {
            S stub = stubs.apply(ctx.channels().get(c.address()))
                    .withDeadlineAfter(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            call.accept(stub, new UnaryResult<>(one, r -> r, "node " + c.nodeId() + " at " + c.address()));
        } catch (StreamingException e) {
            one.completeExceptionally(e);
        }
        if (othersRemain) {
            ctx.schedule(() -> {
                if (!one.isDone()) {
                    askNext();
                }
            }, TimeUnit.MILLISECONDS.toNanos(HEDGE_AFTER_MILLIS));
        }
        one.whenComplete((r, err) -> ended(c, r, err));
    }

    private void ended(Candidate c, R answer, Throwable err) {
        synchronized (this) {
            inFlight--;
        }
        if (err == null) {
            result.complete(answer);
            return;
        }
        StreamingException e = StreamingException.from(err);
        boolean moveOn = e.code() == ErrorCode.TIMEOUT ? deadline - System.nanoTime() > 0 : e.isRetriable();
        if (!moveOn) {
            result.completeExceptionally(e);
            return;
        }
        synchronized (this) {
            last = e;
        }
        if (c.owner() != null && e.isWrongNode()) {
            ctx.assignments().report(c.owner(), e);
        }
        askNext();
    }

    private void retryLater() {
        if (result.isDone()) {
            return;
        }
        long delay = Math.min(backoff.nextNanos(), Math.max(0, deadline - System.nanoTime()));
        if (ctx.schedule(this::round, delay) == null) {
            result.completeExceptionally(StreamingException.onShutdown("the client is closed"));
        }
    }
}
