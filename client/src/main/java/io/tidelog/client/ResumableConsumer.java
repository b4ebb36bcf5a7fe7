package io.tidelog.client;

import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.tidelog.common.Backoff;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.message.GrpcErrors;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MessageIds;
import io.tidelog.message.MessageKind;
import io.tidelog.proto.ConsumeRequest;
import io.tidelog.proto.ConsumeResponse;
import io.tidelog.proto.ConsumeStarted;
import io.tidelog.proto.DeliverPolicyProto;
import io.tidelog.proto.ImmutableMessageProto;
import io.tidelog.proto.StreamingNodeGrpc;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Reads one vchannel (or a whole pchannel) in time-tick order, across broken streams, node restarts and
 * moves of the pchannel to another node, with no gap and no duplicate. Made by
 * {@link StreamingClient#consumer(ConsumerOptions)}.
 *
 * <p><b>Resuming.</b> The consumer remembers the last message the server sent it, TimeTicks included: its
 * time tick {@code T} and its last-confirmed id {@code L} (a term's first TimeTick confirms itself: its own
 * id). When the stream ends for a retriable reason it opens a new one, on the pchannel's current owner,
 * asking for {@code START_FROM(L)} with {@code time_tick_gt = T}: reading from {@code L} sees every message
 * with a time tick above {@code T}, and the filter drops those at or below it. Before the first message it
 * asks for the start position again. It always asks for TimeTicks too (they arrive every ~200 ms and keep
 * {@code T} and {@code L} fresh) and hides them unless {@link ConsumerOptions#includeTimeTicks()}. Transactions
 * keep this exact: a committed transaction arrives as one {@code TXN} message at its commit's time tick, and
 * while a transaction is open the node stamps no message with a last-confirmed id past its BeginTxn, so a
 * consumer resuming from {@code L} reads every transaction it has not yet received from its begin on.
 *
 * <p><b>Waiting.</b> While the pchannel has no assignment, or after a node refused it as a wrong node (the
 * consumer reports that to the coordinator), it waits for the next assignment snapshot or a backoff
 * (100 ms doubling to 5 s by default), whichever comes first. A consumer waits for as long as it takes: a
 * {@link #poll} that times out returns {@code null} ({@link #notStreamingReason()} says why nothing comes, so a
 * caller may bound the wait). A pchannel the cluster does not have (the assignment snapshots list every
 * pchannel) fails the consumer with {@code NOT_FOUND} as soon as a snapshot says so; before the first snapshot
 * that is not known, and it waits.
 *
 * <p><b>Flow control.</b> A response carries one message or a batch of them (as many as the node had ready, up
 * to its size bound), so the consumer counts messages, not responses: it asks gRPC for one response at a
 * time, and only while fewer than {@link ConsumerOptions#bufferSize()} messages are buffered. The buffer
 * between the network thread and {@link #poll} therefore never holds more than {@code bufferSize - 1} messages
 * plus one response's worth: at most the buffer size plus one batch. A slow reader slows the server down
 * instead (beyond that, gRPC's transport holds at most its flow-control window of bytes not yet asked for).
 *
 * <p><b>Errors.</b> A non-retriable failure ({@code INVALID_ARGUMENT}, {@code OUT_OF_RANGE} for a position
 * the WAL no longer holds, {@code DATA_CORRUPTED}, {@code UNRECOVERABLE}, ...) ends the consumer: {@code poll}
 * returns the messages already buffered, then throws it.
 *
 * <p><b>Durable subscriptions.</b> With {@link ConsumerOptions#subscription()} the consumer first asks the
 * pchannel's owner for the subscription (creating it at {@link ConsumerOptions#start()} if it does not exist) and
 * reads from its committed position exactly as it resumes a broken stream. Its <em>delivered position</em> is the
 * resume point after the last message {@link #poll} returned, or after the last TimeTick or filtered message when
 * nothing is buffered: committing it ({@link #commit()}, automatically every
 * {@link ConsumerOptions#autoCommit()} and on {@link #close()}) means a consumer of the subscription started later
 * sees exactly the messages this one did not return. A position the WAL no longer retains (the subscription lagged
 * beyond the server's {@code wal.retention.max.lag} and was truncated past) fails the consumer with
 * {@code OUT_OF_RANGE}; a deleted subscription fails it with {@code NOT_FOUND} at the next commit. A consumer
 * <em>claims</em> the subscription when it starts: a second consumer of the same subscription takes it over, and
 * the first one's next commit fails with {@code SUBSCRIPTION_TAKEN_OVER}, which ends it (automatic commits) or is
 * thrown by {@link #commit()} — it can never move the position back under the newer consumer.
 *
 * <p><b>Threads.</b> Thread-safe; meant for one polling thread. {@link #close()} from any thread wakes a
 * waiting {@code poll}.
 */
public final class ResumableConsumer implements AutoCloseable {
    private enum State { WAITING, STARTING, STREAMING, FAILED, CLOSED }

    private final ConsumerOptions options;
    private final ClientContext ctx;
    private final Runnable onClose;
    private final Backoff backoff;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    private static final System.Logger LOG = System.getLogger(ResumableConsumer.class.getName());
    /** Each attempt to resolve the subscription waits this long for the owner before it is retried. */
    private static final Duration SUBSCRIBE_ATTEMPT = Duration.ofSeconds(30);
    /** How long {@link #close()} waits for its final commit. */
    private static final Duration CLOSE_COMMIT_WAIT = Duration.ofSeconds(5);

    /** A resume point: read from {@code id}, skip time ticks at or below {@code timeTick}. */
    private record Position(MessageId id, long timeTick) {
    }

    /** A message for the application, and the resume point after it (moved on by hidden messages behind it). */
    private static final class Entry {
        final ImmutableMessage message;
        Position after;

        Entry(ImmutableMessage message, Position after) {
            this.message = message;
            this.after = after;
        }
    }

    private final ArrayDeque<Entry> buffer = new ArrayDeque<>();
    /** The resume point after what the application has seen; null before anything (see the class comment). */
    private Position delivered;
    /** The position last committed (or the subscription's when it was resolved). */
    private Position committed;
    /** The resolved subscription; null before (or without one). */
    private SubscriptionStatus subscription;
    /** The pending subscribe call, to ignore stale answers. */
    private Object subscribing;
    private ScheduledFuture<?> commitTimer;
    /** The earliest retained message when the first stream started: its id and time tick; null before. */
    private Position earliest;
    /** The most messages the buffer ever held. */
    private int bufferHighWater;
    private State state = State.WAITING;
    private ConsumeStream stream;
    private ScheduledFuture<?> retryTimer;
    private Assignment refused;
    /** The resume point: the last received message's last-confirmed id and time tick; null before the first. */
    private Position resume;
    private StreamingException failure;
    /** Why the last attempt to read failed (a retriable error), while no stream runs; null once one starts. */
    private StreamingException lastError;

    ResumableConsumer(ConsumerOptions options, ClientContext ctx, Runnable onClose) {
        this.options = options;
        this.ctx = ctx;
        this.onClose = onClose;
        this.backoff = ctx.config().newBackoff();
    }

    void start() {
        lock.lock();
        try {
            connect();
        } finally {
            lock.unlock();
        }
    }

    public ConsumerOptions options() {
        return options;
    }

    /**
     * The next message, waiting up to {@code timeout} for one.
     *
     * @return the message, or {@code null} if none arrived in time
     * @throws StreamingException the consumer's non-retriable failure once the buffer is empty (see the class
     *         comment); {@code ON_SHUTDOWN} if it is closed or the calling thread is interrupted
     */
    public ImmutableMessage poll(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (true) {
                Entry e = buffer.poll();
                if (e != null) {
                    delivered = e.after;
                    requestMore();
                    return e.message;
                }
                if (state == State.FAILED) {
                    throw new StreamingException(failure.code(), failure.detail(), failure);
                }
                if (state == State.CLOSED) {
                    throw StreamingException.onShutdown("the consumer of " + options.channel() + " is closed");
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                changed.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StreamingException.onShutdown("interrupted while polling " + options.channel());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Why the consumer does not read now: the retriable failure of its last attempt, or why the pchannel has no
     * assignment (with the assignment watch's failure when the coordinator cannot be reached); empty while its
     * stream runs, and once it failed or was closed ({@link #poll} says why). The consumer keeps retrying by
     * itself; this lets a caller bound how long it waits for the server.
     */
    public Optional<String> notStreamingReason() {
        lock.lock();
        try {
            if (state == State.STREAMING || state == State.FAILED || state == State.CLOSED) {
                return Optional.empty();
            }
            if (lastError != null) {
                return Optional.of(lastError.getMessage());
            }
            return Optional.of(ctx.assignments().get(options.pchannel()) == null
                    ? ctx.assignments().whyUnassigned(options.pchannel())
                    : "the node of pchannel " + options.pchannel() + " has not started the stream yet");
        } finally {
            lock.unlock();
        }
    }

    /** Messages received and not yet polled; never more than the buffer size plus one batch. */
    int buffered() {
        lock.lock();
        try {
            return buffer.size();
        } finally {
            lock.unlock();
        }
    }

    /** The most messages {@link #buffered()} ever reached (for tests and diagnostics). */
    int bufferHighWater() {
        lock.lock();
        try {
            return bufferHighWater;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Commits the delivered position of the subscription (see the class comment); completes at once when it is
     * already committed.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} if the consumer reads through no subscription
     */
    public CompletableFuture<SubscriptionStatus> commit() {
        if (options.subscription() == null) {
            throw StreamingException.invalidArgument("the consumer of " + options.channel() + " reads through no subscription");
        }
        Position p;
        SubscriptionStatus s;
        lock.lock();
        try {
            p = delivered;
            s = subscription;
            if (s == null || p == null || p.equals(committed)) {
                return CompletableFuture.completedFuture(s);
            }
        } finally {
            lock.unlock();
        }
        return new Subscriptions(ctx, Subscriptions.DEFAULT_TIMEOUT).commit(options.vchannel(), options.subscription(),
                p.id(), p.timeTick(), s.generation()).whenComplete((r, err) -> {
                    if (err == null) {
                        committedAt(p, r);
                    }
                });
    }

    private void committedAt(Position p, SubscriptionStatus r) {
        lock.lock();
        try {
            committed = p;
            subscription = r;
        } finally {
            lock.unlock();
        }
    }

    /** The subscription as resolved when the consumer started reading through it; empty before, or without one. */
    public Optional<SubscriptionStatus> subscription() {
        lock.lock();
        try {
            return Optional.ofNullable(subscription);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The earliest message the WAL retained when the first stream started (id and time tick), which is where a
     * reader from {@link StartPosition#earliest()} began; empty until then.
     */
    public Optional<Map.Entry<MessageId, Long>> earliestRetained() {
        lock.lock();
        try {
            return earliest == null ? Optional.empty() : Optional.of(Map.entry(earliest.id(), earliest.timeTick()));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops reading and cancels the stream; buffered messages are dropped. With a subscription and automatic
     * commits, first commits the delivered position (waiting up to 5 s). Idempotent.
     */
    @Override
    public void close() {
        if (options.subscription() != null && !options.autoCommit().isZero()) {
            try {
                commit().get(CLOSE_COMMIT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "the last commit of subscription " + options.subscription()
                        + " of " + options.vchannel() + " failed: " + e);
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        lock.lock();
        try {
            if (state == State.CLOSED) {
                return;
            }
            state = State.CLOSED;
            ClientContext.cancel(retryTimer);
            ClientContext.cancel(commitTimer);
            if (stream != null) {
                stream.call.cancel("consumer closed", null);
                stream = null;
            }
            buffer.clear();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        onClose.run();
    }

    /** The assignment snapshot changed: a waiting consumer tries again; a reading one follows a moved pchannel. */
    void assignmentsChanged() {
        lock.lock();
        try {
            Assignment now = ctx.assignments().get(options.pchannel());
            if (now == null) {
                failIfMissing();
                return;
            }
            if (state == State.WAITING && !now.equals(refused)) {
                ClientContext.cancel(retryTimer);
                connect();
            } else if ((state == State.STARTING || state == State.STREAMING) && stream != null
                    && !now.equals(stream.assignment)) {
                ConsumeStream s = stream;
                stream = null;
                s.call.cancel("pchannel " + options.pchannel() + " moved to " + now, null);
                connect();
            }
        } finally {
            lock.unlock();
        }
    }

    // ---- under the lock ----

    private void connect() {
        retryTimer = null;
        Assignment a = ctx.assignments().get(options.pchannel());
        if (a == null) {
            state = State.WAITING;
            failIfMissing();
            return;
        }
        if (options.subscription() != null && subscription == null) {
            subscribe(a);
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
        ConsumeStream s = new ConsumeStream(a, wantsMore() ? 1 : 0);
        stream = s;
        state = State.STARTING;
        StreamingNodeGrpc.newStub(channel).consume(request(a), s);
    }

    /** Resolves the subscription, then connects from its position. */
    private void subscribe(Assignment a) {
        state = State.STARTING;
        Object token = new Object();
        subscribing = token;
        new Subscriptions(ctx, SUBSCRIBE_ATTEMPT).subscribe(options.vchannel(), options.subscription(), options.start(), true)
                .whenComplete((s, err) -> subscribed(token, a, s, err));
    }

    private void subscribed(Object token, Assignment a, SubscriptionStatus s, Throwable err) {
        lock.lock();
        try {
            if (token != subscribing || state != State.STARTING) {
                return;
            }
            subscribing = null;
            if (err != null) {
                ended(a, StreamingException.from(err));
                return;
            }
            subscription = s;
            Position p = new Position(s.positionId(), s.positionTimeTick());
            resume = p;
            delivered = p;
            committed = p;
            if (!options.autoCommit().isZero()) {
                commitTimer = ctx.schedule(this::autoCommit, options.autoCommit().toNanos());
            }
            connect();
        } finally {
            lock.unlock();
        }
    }

    private void autoCommit() {
        lock.lock();
        try {
            if (state == State.CLOSED || state == State.FAILED) {
                return;
            }
        } finally {
            lock.unlock();
        }
        commit().whenComplete((r, err) -> {
            lock.lock();
            try {
                StreamingException e = err == null ? null : StreamingException.from(err);
                if (e != null && (e.code() == ErrorCode.NOT_FOUND || e.code() == ErrorCode.SUBSCRIPTION_TAKEN_OVER)
                        && state != State.CLOSED) {
                    fail(e);
                    return;
                }
                if (e != null) {
                    LOG.log(System.Logger.Level.DEBUG, "commit of " + options.subscription() + " failed: " + e);
                }
                if (state != State.CLOSED && state != State.FAILED) {
                    commitTimer = ctx.schedule(this::autoCommit, options.autoCommit().toNanos());
                }
            } finally {
                lock.unlock();
            }
        });
    }

    /**
     * A waiting consumer of a pchannel the cluster does not have fails with {@code NOT_FOUND}; one whose client the
     * coordinator refuses ({@code UNAUTHENTICATED}, {@code PERMISSION_DENIED}) with that refusal.
     */
    private void failIfMissing() {
        if (state == State.WAITING && ctx.assignments().cannotServe(options.pchannel())) {
            ClientContext.cancel(retryTimer);
            fail(ctx.assignments().whyCannotServe(options.pchannel()));
        }
    }

    /** Whether the buffer has room for another response: see the flow control of the class comment. */
    private boolean wantsMore() {
        return buffer.size() < options.bufferSize();
    }

    /** Asks for the next response if none is asked for yet and the buffer has room. */
    private void requestMore() {
        ConsumeStream s = stream;
        if (s != null && s.requested == 0 && wantsMore()) {
            s.requested = 1;
            s.call.request(1);
        }
    }

    private ConsumeRequest request(Assignment a) {
        ConsumeRequest.Builder b = ConsumeRequest.newBuilder().setPchannel(options.pchannel()).setTerm(a.term());
        if (options.vchannel() != null) {
            b.setVchannel(options.vchannel());
        }
        if (resume == null) {
            b.setPolicy(options.start().toProto());
        } else {
            b.setPolicy(DeliverPolicyProto.newBuilder().setStartFrom(MessageIds.toProto(resume.id())))
                    .setTimeTickGt(resume.timeTick());
        }
        b.addAllTypes(options.requestedTypes());
        return b.build();
    }

    private void streaming() {
        if (state == State.STARTING) {
            state = State.STREAMING;
            lastError = null;
            backoff.reset();
            refused = null;
        }
    }

    private void received(ImmutableMessage m) {
        Position after = new Position(m.lastConfirmedId() != null ? m.lastConfirmedId() : m.id(), m.timeTick());
        resume = after;
        boolean ours = options.vchannel() == null || MessageKind.isPchannelWide(m.type())
                || options.vchannel().equals(m.vchannel());
        if (ours && options.delivers(m.type())) {
            buffer.add(new Entry(m, after));
            bufferHighWater = Math.max(bufferHighWater, buffer.size());
            changed.signalAll();
        } else if (buffer.isEmpty()) {
            delivered = after;
        } else {
            buffer.peekLast().after = after;
        }
    }

    private void ended(ConsumeStream s, StreamingException error) {
        stream = null;
        if (state == State.CLOSED) {
            return;
        }
        if (error.isWrongNode()) {
            ctx.assignments().report(s.assignment, error);
        }
        ended(s.assignment, error);
    }

    private void fail(StreamingException error) {
        StreamingException e = error;
        if (options.subscription() != null && error.code() == ErrorCode.OUT_OF_RANGE) {
            e = new StreamingException(ErrorCode.OUT_OF_RANGE, "subscription " + options.subscription() + " of "
                    + options.vchannel() + ": its position is no longer retained (it lagged beyond the server's "
                    + "wal.retention.max.lag, or retention passed it); delete it to start again: " + error.detail(), error);
        }
        failure = e;
        state = State.FAILED;
        ClientContext.cancel(commitTimer);
        changed.signalAll();
    }

    /** An attempt on {@code a} (a stream, or the subscribe call) failed: fail for good, or wait and retry. */
    private void ended(Assignment a, StreamingException error) {
        if (!error.isRetriable()) {
            fail(error);
            return;
        }
        lastError = error;
        refused = a;
        state = State.WAITING;
        Assignment now = ctx.assignments().get(options.pchannel());
        long delay = now != null && !now.equals(refused) ? 0 : backoff.nextNanos();
        retryTimer = ctx.schedule(this::retry, delay);
    }

    private void retry() {
        lock.lock();
        try {
            if (state == State.WAITING) {
                connect();
            }
        } finally {
            lock.unlock();
        }
    }

    // ---- events from the stream ----

    /** One response: started, one message, or a batch (decoded in order up to a corrupt message, if any). */
    private void onMessage(ConsumeStream s, ConsumeResponse response) {
        List<ImmutableMessageProto> protos = switch (response.getResponseCase()) {
            case MESSAGE -> List.of(response.getMessage());
            case BATCH -> response.getBatch().getMessagesList();
            default -> List.of();
        };
        List<ImmutableMessage> messages = new ArrayList<>(protos.size());
        StreamingException corrupt = null;
        for (ImmutableMessageProto p : protos) {
            try {
                messages.add(ImmutableMessage.fromProto(p));
            } catch (StreamingException e) {
                corrupt = e;
                break;
            }
        }
        lock.lock();
        try {
            if (s != stream) {
                return;
            }
            s.requested--;
            if (response.hasStarted()) {
                started(response.getStarted());
            }
            if (corrupt == null || !messages.isEmpty()) {
                streaming(); // a corrupt message alone is no sign of a working stream: the backoff keeps growing
            }
            for (ImmutableMessage m : messages) {
                received(m);
            }
            if (corrupt != null) {
                s.call.cancel("corrupted message", corrupt);
                ended(s, corrupt);
            } else {
                requestMore();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Notes where the log began when the first stream started. Under the lock. */
    private void started(ConsumeStarted started) {
        if (earliest == null && started.hasEarliestId()) {
            earliest = new Position(MessageIds.fromProto(started.getEarliestId()), started.getEarliestTimeTick());
            changed.signalAll();
        }
    }

    private void onEnd(ConsumeStream s, StreamingException error) {
        lock.lock();
        try {
            if (s == stream) {
                ended(s, error);
            }
        } finally {
            lock.unlock();
        }
    }

    /** One {@code Consume} call; its callbacks are ignored once it is no longer the consumer's stream. */
    private final class ConsumeStream implements ClientResponseObserver<ConsumeRequest, ConsumeResponse> {
        final Assignment assignment;
        ClientCallStreamObserver<ConsumeRequest> call;
        /** Responses asked for and not yet received: 0 or 1; guarded by the consumer's lock. */
        int requested;

        ConsumeStream(Assignment assignment, int initialRequest) {
            this.assignment = assignment;
            this.requested = initialRequest;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<ConsumeRequest> requestStream) {
            call = requestStream;
            requestStream.disableAutoRequestWithInitial(requested);
        }

        @Override
        public void onNext(ConsumeResponse response) {
            onMessage(this, response);
        }

        @Override
        public void onError(Throwable t) {
            onEnd(this, GrpcErrors.fromThrowable(t, "node " + assignment.nodeId() + " at " + assignment.address()));
        }

        @Override
        public void onCompleted() {
            onEnd(this, new StreamingException(ErrorCode.ON_SHUTDOWN, "node " + assignment.nodeId() + " at "
                    + assignment.address() + " ended the consume stream of " + options.channel()));
        }
    }
}
