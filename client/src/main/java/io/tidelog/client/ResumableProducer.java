package io.tidelog.client;

import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.tidelog.common.Backoff;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.message.GrpcErrors;
import io.tidelog.message.MessageIds;
import io.tidelog.proto.AppendResultProto;
import io.tidelog.proto.AppendedRange;
import io.tidelog.proto.MessageEnvelope;
import io.tidelog.proto.ProduceOpen;
import io.tidelog.proto.ProduceRequest;
import io.tidelog.proto.ProduceResponse;
import io.tidelog.proto.ProduceResult;
import io.tidelog.proto.ProduceResults;
import io.tidelog.proto.StreamingNodeGrpc;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/**
 * The appends of one pchannel, for every vchannel on it: a queue of appends not yet sent and one
 * {@code Produce} stream to the pchannel's owner, replaced whenever it breaks or the pchannel moves.
 *
 * <pre>
 *  IDLE ──append──▶ connect ──no assignment──▶ WAITING ──assignment changed, or backoff elapsed──▶ connect
 *                      │
 *                      ▼
 *                   OPENING ──opened──▶ OPEN ──pchannel moved, or a message refused as wrong node──▶ DRAINING
 *                                          (moved to a newer term with only keyed appends in flight: they are
 *                                          queued again and the producer connects to the new owner at once)
 *                      │                  │                                                          │
 *                      │ stream ended     │ stream ended: in-flight appends fail "outcome unknown"   │ nothing in
 *                      ▼                  ▼                                                          ▼ flight
 *        WAITING for a backoff or the next assignment (after reporting a wrong node),        cancel; connect
 *        or IDLE if nothing waits to be sent
 *
 *  any ──close──▶ CLOSED
 * </pre>
 *
 * <p><b>Batches.</b> Appends travel in {@code ProduceBatch} requests: whenever the stream is open, ready and has
 * room, everything queued goes out at once, cut into requests of at most {@value #MAX_BATCH_MESSAGES} appends
 * and {@value #MAX_BATCH_BYTES} bytes of encoded appends (a single larger append goes alone, as a batch of one; a batch of
 * one is sent as a plain {@code message}). Requests are written straight from the envelopes
 * ({@link OutgoingProduce}). Without linger (the default), an append on an idle stream goes at
 * once; an append made while earlier ones are in flight is sent by one task on the client's executor
 * together with every other append queued by the time it runs, so batches form from what queues up while
 * earlier requests are in flight, as in a group commit. With a linger ({@code client.linger}), a batch that is
 * not full (fewer appends than a batch or the in-flight room takes, fewer bytes than a batch or the in-flight
 * bytes take) waits until its oldest append has waited that long, on one timer per producer, so that moderate
 * rates still send few, larger requests.
 * Results come back one ({@code result}) or many ({@code results}) to a response, in any order, and are
 * matched by request id (one per append); the node may also acknowledge a run of consecutive requests as one
 * {@code AppendedRange} (the stream opens with {@code accepts_ranges}), whose appends are completed in a loop.
 *
 * <p><b>Bounds.</b> At most {@code maxInFlightPerPchannel} appends are in flight on the stream (a batch never
 * takes more than the room left), and requests are sent only while gRPC reports the stream ready; at most
 * {@code maxQueuedPerPchannel} appends (and {@code maxQueuedBytesPerPchannel} bytes) wait to be sent; an
 * append beyond that fails at once with {@code RESOURCE_EXHAUSTED}. Appends are sent in the order they were
 * accepted, within a batch and across batches.
 *
 * <p><b>Deadlines.</b> An append's deadline is its acceptance time plus the append timeout, the same for every
 * append, so the queue and the stream's in-flight appends are each in deadline order. One timer per producer,
 * armed at the earliest deadline, fails the appends that are due at the head of either and re-arms itself
 * for the next (at most {@link #SWEEP_GRANULARITY_NANOS} late); nothing is scheduled or cancelled per append.
 *
 * <p><b>Outcomes.</b> An append never sent is sent on the next stream, until its timeout ({@code TIMEOUT},
 * "not sent"). An append sent on a stream that then breaks, or unanswered at its timeout, has an unknown
 * outcome: it fails with {@code ON_SHUTDOWN} (or {@code TIMEOUT}) saying "outcome unknown", and is never
 * re-sent, since a retry could write it twice; a broken stream fails every unanswered append of every batch
 * sent on it that way, except appends with an idempotency key when the error is retriable: those go back to
 * the queue, to be sent again with the same key. An append to a pchannel the cluster does not have (the
 * assignment snapshot lists every pchannel) fails with {@code NOT_FOUND} as soon as that is known, and nothing
 * of it is sent. A message the node refuses as a wrong node was not written:
 * it goes back to the queue. A stream that ends with a non-retriable error (say {@code UNRECOVERABLE}: the
 * address serves no Tidelog) fails every waiting append with that error. An answer for a request that is no
 * longer in flight on the stream (it timed out, was refused, or was handed over) is ignored.
 *
 * <p><b>Threads.</b> Every method may be called from any thread; the state is guarded by {@code this}.
 * Futures complete after the lock is released, on the thread that saw the outcome (a gRPC callback thread
 * of the client's executor, or the caller of {@code append} for immediate failures).
 */
final class ResumableProducer implements AutoCloseable {
    /** The most appends one {@code Produce} request carries. */
    static final int MAX_BATCH_MESSAGES = 1000;
    /**
     * The most encoded bytes of the appends of one {@code Produce} request carrying more than one (1 MiB;
     * the request adds a few bytes of framing); a single larger append goes alone. So a request stays
     * within the standalone node's inbound limit, the largest record plus 1 MiB.
     */
    static final int MAX_BATCH_BYTES = 1 << 20;

    /**
     * The least time between two runs of the deadline sweep (or a tenth of the append timeout, if less): appends
     * accepted within that time of each other are failed by one run, at most this late.
     */
    static final long SWEEP_GRANULARITY_NANOS = 10_000_000;

    private enum State { IDLE, WAITING, OPENING, OPEN, DRAINING, CLOSED }

    private final String pchannel;
    private final ClientContext ctx;
    private final ClientConfig config;
    private final Backoff backoff;
    private final long timeoutNanos;
    private final long sweepGranularityNanos;
    private final long lingerNanos;

    private final ArrayDeque<PendingAppend> queue = new ArrayDeque<>();
    private long queuedBytes;
    private State state = State.IDLE;
    private ProduceStream stream;
    private ScheduledFuture<?> retryTimer;
    /** The deadline sweep, armed while any append is pending, at or before the earliest deadline. */
    private ScheduledFuture<?> sweepTimer;
    /** Sends a lingering batch once its oldest append has waited {@link #lingerNanos}. */
    private ScheduledFuture<?> lingerTimer;
    /** The assignment whose node refused us or whose stream broke: retried only after a backoff. */
    private Assignment refused;
    /** Why the producer is not open, for the message of a timeout. */
    private StreamingException lastError;
    private long nextSeq;
    private long nextRequestId = 1;
    /** A {@link #scheduledPump} was handed to the executor and has not run yet. */
    private boolean pumpScheduled;

    ResumableProducer(String pchannel, ClientContext ctx) {
        this.pchannel = pchannel;
        this.ctx = ctx;
        this.config = ctx.config();
        this.backoff = config.newBackoff();
        this.timeoutNanos = config.appendTimeout().toNanos();
        this.sweepGranularityNanos = Math.min(SWEEP_GRANULARITY_NANOS, timeoutNanos / 10);
        this.lingerNanos = config.linger().toNanos();
    }

    String pchannel() {
        return pchannel;
    }

    /** The state, for tests. */
    synchronized String state() {
        return state.name();
    }

    /** Queues a checked message of this pchannel; the future completes as the class comment says. */
    synchronized CompletableFuture<Appended> append(MessageEnvelope envelope, int bytes) {
        if (state == State.CLOSED) {
            return CompletableFuture.failedFuture(StreamingException.onShutdown("the client is closed"));
        }
        if (queue.size() >= config.maxQueuedPerPchannel()
                || (!queue.isEmpty() && queuedBytes + bytes > config.maxQueuedBytesPerPchannel())) {
            return CompletableFuture.failedFuture(new StreamingException(ErrorCode.RESOURCE_EXHAUSTED, "pchannel "
                    + pchannel + ": " + queue.size() + " appends (" + queuedBytes + " bytes) already wait to be sent,"
                    + " the limit is " + config.maxQueuedPerPchannel() + " appends and "
                    + config.maxQueuedBytesPerPchannel() + " bytes; wait for earlier appends and retry"));
        }
        long now = System.nanoTime();
        if (sweepTimer == null && !armSweep(timeoutNanos)) {
            return CompletableFuture.failedFuture(StreamingException.onShutdown("the client is closing"));
        }
        CompletableFuture<Appended> result = new CompletableFuture<>();
        queue.add(new PendingAppend(nextSeq++, envelope, bytes, now, result));
        queuedBytes += bytes;
        if (state != State.OPEN) {
            advance();
        } else if (lingerNanos > 0) {
            if (lingerOver(stream, now)) {
                pumpSoon();
            } else {
                armLinger(now);
            }
        } else if (!stream.inFlight.isEmpty()) {
            pumpSoon();
        } else {
            pump();
        }
        return result;
    }

    /**
     * Has what is queued sent soon, by one task on the executor, instead of at once on the appending thread:
     * appends that arrive while earlier ones are in flight then share a request. Sending at once would make a
     * request of every append whenever the stream is ready, which it nearly always is (gRPC reports a stream
     * ready until 32 KiB wait in its transport), so batches would form only once the in-flight bound is
     * reached. An append on an idle stream still goes at once (without linger).
     */
    private void pumpSoon() {
        if (!pumpScheduled) {
            pumpScheduled = true;
            ctx.dispatch(this::scheduledPump);
        }
    }

    private synchronized void scheduledPump() {
        pumpScheduled = false;
        if (state == State.OPEN) {
            pump();
        }
    }

    /**
     * The assignment snapshot changed: a waiting producer tries again (or fails its appends if the pchannel
     * does not exist); an open one follows a moved pchannel.
     */
    synchronized void assignmentsChanged() {
        Assignment now = ctx.assignments().get(pchannel);
        if (now == null) {
            if (ctx.assignments().cannotServe(pchannel)) {
                ctx.dispatch(this::failMissing);
            }
            return;
        }
        if (state == State.WAITING && !now.equals(refused)) {
            ClientContext.cancel(retryTimer);
            retryTimer = null;
            connect();
        } else if (state == State.OPENING && !now.equals(stream.assignment)) {
            ProduceStream s = detach();
            s.call.cancel("pchannel " + pchannel + " moved to " + now, null);
            state = State.IDLE;
            advance();
        } else if ((state == State.OPEN || state == State.DRAINING) && !now.equals(stream.assignment)) {
            if (now.term() > stream.assignment.term() && stream.inFlight.all(a -> !a.envelope.getIdempotencyKey().isEmpty())) {
                handOver(now);
            } else if (state == State.OPEN) {
                drain();
            }
        }
    }

    /**
     * The pchannel is served at a newer term, whose open fenced the old owner at the storage: each append in flight
     * on the old stream is either in the log before the new term's first record (so the new owner knows its key and
     * answers with its first result) or never will be. Keyed appends are sent to the new owner at once, then, instead
     * of waiting for answers from an old owner that may be frozen or gone.
     */
    private void handOver(Assignment now) {
        ProduceStream s = stream;
        s.call.cancel("pchannel " + pchannel + " moved to " + now, null);
        List<PendingAppend> done = new ArrayList<>();
        ended(s, StreamingException.onShutdown("pchannel " + pchannel + " moved to " + now + " at a newer term"), done);
        if (!done.isEmpty()) {
            ctx.dispatch(() -> completeAll(done));
        }
    }

    // ---- state transitions, under the lock; those that finish appends collect them in `done` ----

    private void advance() {
        if (state == State.IDLE && !queue.isEmpty()) {
            connect();
        } else if (state == State.OPEN) {
            pump();
        }
    }

    private void connect() {
        Assignment a = ctx.assignments().get(pchannel);
        if (a == null) {
            state = State.WAITING;
            if (ctx.assignments().cannotServe(pchannel)) {
                ctx.dispatch(this::failMissing);
            }
            return;
        }
        ManagedChannel channel;
        try {
            channel = ctx.channels().get(a.address());
        } catch (StreamingException e) {
            state = State.WAITING;
            lastError = e;
            return;
        }
        ProduceStream s = new ProduceStream(a);
        stream = s;
        state = State.OPENING;
        ClientCalls.asyncBidiStreamingCall(channel.newCall(OutgoingProduce.METHOD,
                StreamingNodeGrpc.newStub(channel).getCallOptions()), s);
        s.call.onNext(OutgoingProduce.of(ProduceRequest.newBuilder()
                .setOpen(ProduceOpen.newBuilder().setPchannel(pchannel).setTerm(a.term()).setAcceptsRanges(true))
                .build()));
        s.openTimer = ctx.schedule(() -> openTimedOut(s), config.openTimeout().toNanos());
    }

    /**
     * Sends queued appends while the stream is ready and has room: each request takes as many as fit the
     * in-flight room and the batch bounds, in order. With a linger, a batch that is not full waits for it.
     */
    private void pump() {
        ProduceStream s = stream;
        while (!queue.isEmpty() && s.inFlight.size() < config.maxInFlightPerPchannel()
                && s.inFlight.bytes < config.maxInFlightBytesPerPchannel() && s.call.isReady()) {
            if (lingerNanos > 0) {
                long now = System.nanoTime();
                if (!lingerOver(s, now)) {
                    armLinger(now);
                    return;
                }
            }
            int room = Math.min(MAX_BATCH_MESSAGES, config.maxInFlightPerPchannel() - s.inFlight.size());
            int max = Math.min(room, queue.size());
            OutgoingProduce.Appends batch = new OutgoingProduce.Appends(nextRequestId, max);
            long bytes = 0;
            while (batch.count() < max) {
                PendingAppend a = queue.peek();
                int size = batch.sizeOfNext(a.envelope);
                if (batch.count() > 0 && (bytes + size > MAX_BATCH_BYTES
                        || s.inFlight.bytes + a.bytes > config.maxInFlightBytesPerPchannel())) {
                    break;
                }
                queue.poll();
                queuedBytes -= a.bytes;
                a.sent = true;
                a.requestId = nextRequestId++;
                s.inFlight.add(a);
                batch.add(a.envelope, size);
                bytes += size;
            }
            s.call.onNext(batch.request());
        }
    }

    /**
     * Whether what is queued goes now rather than lingering: the linger of its oldest append is over, or the
     * next batch is full (as many appends as a batch or the in-flight room takes, or as many bytes).
     */
    private boolean lingerOver(ProduceStream s, long now) {
        int room = Math.min(MAX_BATCH_MESSAGES, config.maxInFlightPerPchannel() - s.inFlight.size());
        return queue.size() >= room || queuedBytes >= MAX_BATCH_BYTES
                || s.inFlight.bytes + queuedBytes >= config.maxInFlightBytesPerPchannel()
                || now - queue.peek().acceptedNanos >= lingerNanos;
    }

    private void armLinger(long now) {
        if (lingerTimer == null) {
            lingerTimer = ctx.schedule(this::lingerElapsed, queue.peek().acceptedNanos + lingerNanos - now);
        }
    }

    private synchronized void lingerElapsed() {
        lingerTimer = null;
        if (state == State.OPEN && !queue.isEmpty()) {
            pump();
        }
    }

    private void opened(ProduceStream s) {
        if (state != State.OPENING) {
            return;
        }
        ClientContext.cancel(s.openTimer);
        state = State.OPEN;
        backoff.reset();
        lastError = null;
        refused = null;
        pump();
    }

    /** Results of one response: per request (of any requests, in any order) and ranges of consecutive ones. */
    private void results(ProduceStream s, List<ProduceResult> results, List<AppendedRange> ranges,
                         List<PendingAppend> done) {
        List<PendingAppend> refusedAppends = null;
        StreamingException wrongNode = null;
        for (ProduceResult r : results) {
            PendingAppend a = s.inFlight.remove(r.getRequestId());
            if (a == null) {
                continue; // answered after its timeout
            }
            if (r.hasAppended()) {
                succeed(s, a, r.getAppended());
                done.add(a);
                continue;
            }
            StreamingException e = GrpcErrors.fromProto(r.getError());
            if (e.isWrongNode()) {
                // Refused, so not written: send it again once the pchannel is found.
                if (refusedAppends == null) {
                    refusedAppends = new ArrayList<>();
                }
                refusedAppends.add(a);
                wrongNode = e;
            } else {
                a.fail(e);
                done.add(a);
            }
        }
        for (AppendedRange r : ranges) {
            appended(s, r, done);
        }
        if (refusedAppends != null) {
            requeue(refusedAppends);
            lastError = wrongNode;
            ctx.assignments().report(s.assignment, wrongNode);
            refused = s.assignment;
            if (state == State.OPEN) {
                state = State.DRAINING;
            }
        }
        if (state == State.DRAINING && s.inFlight.isEmpty()) {
            drained();
        } else if (state == State.OPEN) {
            pump();
        }
    }

    private void succeed(ProduceStream s, PendingAppend a, AppendResultProto r) {
        try {
            a.succeed(MessageIds.fromProto(r.getId()), r.getTimeTick(), MessageIds.fromProto(r.getLastConfirmedId()),
                    r.getTxnId(), r.getFlushedSegmentIdsCount() == 0 ? List.of() : r.getFlushedSegmentIdsList());
        } catch (StreamingException e) {
            a.fail(malformed(s, e.detail(), e));
        }
    }

    /**
     * A run of requests {@code first, first + 1, ...} appended in that order, its ids and time ticks
     * delta-encoded from 0: each request still in flight succeeds, in order; the others (timed out, refused or
     * handed over) are skipped. A range whose delta lists differ in length fails every request it names that
     * is in flight (the node broke the wire contract, so what it wrote is unknown).
     */
    private void appended(ProduceStream s, AppendedRange r, List<PendingAppend> done) {
        int n = r.getIdMajorDeltaCount();
        long first = r.getFirstRequestId();
        MessageId lastConfirmed = null;
        String problem = null;
        if (r.getIdMinorDeltaCount() != n || r.getTimeTickDeltaCount() != n) {
            problem = "a range of appends from request " + first + " with " + n + " major, " + r.getIdMinorDeltaCount()
                    + " minor and " + r.getTimeTickDeltaCount() + " time tick deltas";
        } else {
            try {
                lastConfirmed = MessageIds.fromProto(r.getLastConfirmedId());
            } catch (StreamingException e) {
                problem = e.detail();
            }
        }
        if (problem != null) {
            int covered = Math.max(n, Math.max(r.getIdMinorDeltaCount(), r.getTimeTickDeltaCount()));
            for (int i = 0; i < covered; i++) {
                PendingAppend a = s.inFlight.remove(first + i);
                if (a != null) {
                    a.fail(malformed(s, problem, null));
                    done.add(a);
                }
            }
            return;
        }
        long major = 0;
        long minor = 0;
        long timeTick = 0;
        for (int i = 0; i < n; i++) {
            major += r.getIdMajorDelta(i);
            minor += r.getIdMinorDelta(i);
            timeTick += r.getTimeTickDelta(i);
            PendingAppend a = s.inFlight.remove(first + i);
            if (a == null) {
                continue;
            }
            if (major < 0 || minor < 0) {
                a.fail(malformed(s, "message id parts must be non-negative: " + major + ":" + minor, null));
            } else {
                a.succeed(new MessageId(major, minor), timeTick, lastConfirmed, 0, List.of());
            }
            done.add(a);
        }
    }

    private StreamingException malformed(ProduceStream s, String detail, Throwable cause) {
        return new StreamingException(ErrorCode.INNER, "node " + s.assignment.address()
                + " answered with a malformed result: " + detail, cause);
    }

    /** Puts unsent appends back in their places by acceptance order. */
    private void requeue(List<PendingAppend> unsent) {
        unsent.sort(Comparator.comparingLong(a -> a.seq));
        List<PendingAppend> merged = new ArrayList<>(queue.size() + unsent.size());
        int i = 0;
        for (PendingAppend q : queue) {
            while (i < unsent.size() && unsent.get(i).seq < q.seq) {
                merged.add(unsent.get(i++));
            }
            merged.add(q);
        }
        merged.addAll(unsent.subList(i, unsent.size()));
        queue.clear();
        queue.addAll(merged);
        for (PendingAppend a : unsent) {
            a.sent = false;
            queuedBytes += a.bytes;
        }
    }

    /** Stops sending on the stream; once nothing is in flight it is closed and a new one opened. */
    private void drain() {
        state = State.DRAINING;
        if (stream.inFlight.isEmpty()) {
            drained();
        }
    }

    private void drained() {
        ProduceStream s = detach();
        s.call.cancel("pchannel " + pchannel + " is served elsewhere now", null);
        state = State.IDLE;
        if (refused != null && refused.equals(ctx.assignments().get(pchannel)) && !queue.isEmpty()) {
            waitAndRetry();
        } else {
            advance();
        }
    }

    private void ended(ProduceStream s, StreamingException error, List<PendingAppend> done) {
        detach();
        List<PendingAppend> inFlight = new ArrayList<>(s.inFlight.size());
        s.inFlight.drainTo(inFlight);
        List<PendingAppend> keyed = new ArrayList<>();
        for (PendingAppend a : inFlight) {
            if (!a.envelope.getIdempotencyKey().isEmpty() && state != State.CLOSED && error.isRetriable()) {
                // Safe to send again: the node recognises the key and will not write it twice.
                keyed.add(a);
                continue;
            }
            a.fail(new StreamingException(ErrorCode.ON_SHUTDOWN, "outcome unknown: the produce stream of "
                    + "pchannel " + pchannel + " to " + s.assignment.address() + " ended while the append was in "
                    + "flight; it may or may not have been written (" + error.getMessage() + ")", error));
            done.add(a);
        }
        if (!keyed.isEmpty()) {
            requeue(keyed);
        }
        if (state == State.CLOSED) {
            return;
        }
        lastError = error;
        if (error.isWrongNode()) {
            ctx.assignments().report(s.assignment, error);
        }
        refused = s.assignment;
        if (!error.isRetriable()) {
            failQueued(error, done);
            state = State.IDLE;
        } else if (queue.isEmpty()) {
            state = State.IDLE;
        } else {
            waitAndRetry();
        }
    }

    private void waitAndRetry() {
        state = State.WAITING;
        Assignment now = ctx.assignments().get(pchannel);
        long delay = now != null && !now.equals(refused) ? 0 : backoff.nextNanos();
        retryTimer = ctx.schedule(this::retry, delay);
    }

    private synchronized void retry() {
        retryTimer = null;
        if (state != State.WAITING) {
            return;
        }
        if (queue.isEmpty()) {
            state = State.IDLE;
        } else {
            connect();
        }
    }

    /**
     * Fails every queued append (none was sent) while the producer waits for an assignment that cannot come: with
     * {@code NOT_FOUND} for a pchannel the cluster does not have, with the coordinator's refusal of the client's
     * credentials while it refuses them; runs on the executor, so the futures complete outside the lock.
     */
    private void failMissing() {
        List<PendingAppend> done = new ArrayList<>();
        synchronized (this) {
            if (state != State.WAITING || !ctx.assignments().cannotServe(pchannel)) {
                return;
            }
            ClientContext.cancel(retryTimer);
            retryTimer = null;
            failQueued(ctx.assignments().whyCannotServe(pchannel), done);
            state = State.IDLE;
        }
        completeAll(done);
    }

    private ProduceStream detach() {
        ProduceStream s = stream;
        stream = null;
        ClientContext.cancel(s.openTimer);
        return s;
    }

    private void failQueued(StreamingException error, List<PendingAppend> done) {
        for (PendingAppend a; (a = queue.poll()) != null; ) {
            a.fail(error);
            done.add(a);
        }
        queuedBytes = 0;
    }

    private static void completeAll(List<PendingAppend> done) {
        for (int i = 0; i < done.size(); i++) {
            done.get(i).complete();
        }
    }

    // ---- deadlines ----

    /** Arms the sweep to run in {@code delayNanos}; {@code false} if the client is closing. */
    private boolean armSweep(long delayNanos) {
        sweepTimer = ctx.schedule(this::sweep, delayNanos);
        return sweepTimer != null;
    }

    /**
     * Fails the appends whose deadline passed, at the heads of the queue ("not sent") and of the stream's
     * in-flight appends ("outcome unknown"), and re-arms for the earliest deadline left, but no sooner than
     * {@link #SWEEP_GRANULARITY_NANOS}: a backlog that times out is failed in a few runs, not one per append.
     */
    private void sweep() {
        List<PendingAppend> done = new ArrayList<>();
        synchronized (this) {
            sweepTimer = null;
            if (state == State.CLOSED) {
                return;
            }
            long now = System.nanoTime();
            expireQueued(now, done);
            expireInFlight(now, done);
            PendingAppend queued = queue.peek();
            PendingAppend sent = stream == null ? null : stream.inFlight.oldest();
            if (queued != null || sent != null) {
                long accepted = queued == null ? sent.acceptedNanos
                        : sent == null ? queued.acceptedNanos : Math.min(queued.acceptedNanos, sent.acceptedNanos);
                armSweep(Math.max(accepted + timeoutNanos - now, sweepGranularityNanos));
            }
        }
        completeAll(done);
    }

    private boolean due(PendingAppend a, long now) {
        return now - a.acceptedNanos >= timeoutNanos;
    }

    private void expireQueued(long now, List<PendingAppend> done) {
        String why = null;
        for (PendingAppend a; (a = queue.peek()) != null && due(a, now); ) {
            queue.poll();
            queuedBytes -= a.bytes;
            if (why == null) {
                why = whyNotReady();
            }
            a.fail(new StreamingException(ErrorCode.TIMEOUT, "append to pchannel " + pchannel
                    + " not sent within " + config.appendTimeout() + ": " + why));
            done.add(a);
        }
    }

    private void expireInFlight(long now, List<PendingAppend> done) {
        if (stream == null) {
            return;
        }
        int before = done.size();
        for (PendingAppend a; (a = stream.inFlight.oldest()) != null && due(a, now); ) {
            stream.inFlight.remove(a.requestId);
            a.fail(new StreamingException(ErrorCode.TIMEOUT, "outcome unknown: append to pchannel "
                    + pchannel + " sent to " + stream.assignment.address() + " but not answered within "
                    + config.appendTimeout()));
            done.add(a);
        }
        if (done.size() == before) {
            return;
        }
        if (state == State.DRAINING && stream.inFlight.isEmpty()) {
            drained();
        } else if (state == State.OPEN) {
            pump();
        }
    }

    // ---- events ----

    private void onResponse(ProduceStream s, ProduceResponse response) {
        List<PendingAppend> done = new ArrayList<>();
        synchronized (this) {
            if (s != stream) {
                return;
            }
            if (response.hasOpened()) {
                opened(s);
            } else if (response.hasResult()) {
                results(s, List.of(response.getResult()), List.of(), done);
            } else if (response.hasResults()) {
                ProduceResults r = response.getResults();
                results(s, r.getResultsList(), r.getAppendedList(), done);
            }
        }
        completeAll(done);
    }

    private void onReady(ProduceStream s) {
        synchronized (this) {
            if (s == stream && state == State.OPEN) {
                pump();
            }
        }
    }

    private void onEnd(ProduceStream s, StreamingException error) {
        List<PendingAppend> done = new ArrayList<>();
        synchronized (this) {
            if (s != stream) {
                return;
            }
            ended(s, error, done);
        }
        completeAll(done);
    }

    private void openTimedOut(ProduceStream s) {
        List<PendingAppend> done = new ArrayList<>();
        synchronized (this) {
            if (s != stream || state != State.OPENING) {
                return;
            }
            s.call.cancel("open timed out", null);
            ended(s, new StreamingException(ErrorCode.TIMEOUT, "node " + s.assignment.address() + " did not open pchannel "
                    + pchannel + " within " + config.openTimeout()), done);
        }
        completeAll(done);
    }

    private String whyNotReady() {
        Assignment a = ctx.assignments().get(pchannel);
        if (a == null) {
            return ctx.assignments().whyUnassigned(pchannel);
        }
        String where = "assigned to " + a;
        if (state == State.OPENING) {
            return where + ", which has not opened it yet";
        }
        if (state == State.OPEN || state == State.DRAINING) {
            return where + "; the stream had no room (" + stream.inFlight.size() + " in flight)";
        }
        return where + (lastError == null ? "" : "; last error: " + lastError.getMessage());
    }

    /**
     * Fails every queued append with {@code ON_SHUTDOWN} (never sent) and every in-flight one with
     * {@code ON_SHUTDOWN} "outcome unknown", and cancels the stream.
     */
    @Override
    public void close() {
        List<PendingAppend> done = new ArrayList<>();
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.CLOSED;
            ClientContext.cancel(retryTimer);
            ClientContext.cancel(sweepTimer);
            ClientContext.cancel(lingerTimer);
            failQueued(StreamingException.onShutdown("the client was closed before the append to pchannel " + pchannel
                    + " was sent"), done);
            if (stream != null) {
                ProduceStream s = stream;
                s.call.cancel("client closed", null);
                ended(s, StreamingException.onShutdown("the client was closed"), done);
            }
        }
        completeAll(done);
    }

    /** One {@code Produce} call; its callbacks are ignored once it is no longer the producer's stream. */
    private final class ProduceStream implements ClientResponseObserver<OutgoingProduce, ProduceResponse> {
        final Assignment assignment;
        final InFlightAppends inFlight = new InFlightAppends();
        ClientCallStreamObserver<OutgoingProduce> call;
        ScheduledFuture<?> openTimer;

        ProduceStream(Assignment assignment) {
            this.assignment = assignment;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<OutgoingProduce> requestStream) {
            call = requestStream;
            requestStream.setOnReadyHandler(() -> onReady(this));
        }

        @Override
        public void onNext(ProduceResponse response) {
            onResponse(this, response);
        }

        @Override
        public void onError(Throwable t) {
            onEnd(this, GrpcErrors.fromThrowable(t, "node " + assignment.nodeId() + " at " + assignment.address()));
        }

        @Override
        public void onCompleted() {
            onEnd(this, StreamingException.onShutdown("node " + assignment.nodeId() + " at " + assignment.address()
                    + " ended the produce stream of pchannel " + pchannel));
        }
    }
}
