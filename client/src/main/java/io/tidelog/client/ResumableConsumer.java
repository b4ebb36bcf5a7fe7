package io.tidelog.client;

import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MessageIds;
import io.tidelog.message.MessageKind;
import io.tidelog.proto.ConsumeRequest;
import io.tidelog.proto.ConsumeResponse;
import io.tidelog.proto.DeliverPolicyProto;
import io.tidelog.proto.StreamingNodeGrpc;
import java.time.Duration;
import java.util.ArrayDeque;
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
 * {@code T} and {@code L} fresh) and hides them unless {@link ConsumerOptions#includeTimeTicks()}.
 *
 * <p><b>Waiting.</b> While the pchannel has no assignment, or after a node refused it as a wrong node (the
 * consumer reports that to the coordinator), it waits for the next assignment snapshot or a backoff
 * (100 ms doubling to 5 s by default), whichever comes first. A consumer waits for as long as it takes: a
 * {@link #poll} that times out returns {@code null}.
 *
 * <p><b>Flow control.</b> The consumer asks gRPC for {@link ConsumerOptions#bufferSize()} messages, then for
 * one more per message taken by {@link #poll} (or hidden): the buffer between the network thread and
 * {@code poll} never holds more than that, and a slow reader slows the server down instead.
 *
 * <p><b>Errors.</b> A non-retriable failure ({@code INVALID_ARGUMENT}, {@code OUT_OF_RANGE} for a position
 * the WAL no longer holds, {@code DATA_CORRUPTED}, {@code UNRECOVERABLE}, ...) ends the consumer: {@code poll}
 * returns the messages already buffered, then throws it.
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

    private final ArrayDeque<ImmutableMessage> buffer = new ArrayDeque<>();
    private State state = State.WAITING;
    private ConsumeStream stream;
    private ScheduledFuture<?> retryTimer;
    private Assignment refused;
    /** The resume point: the last received message's last-confirmed id and time tick; null before the first. */
    private MessageId resumeId;
    private long resumeTimeTick;
    private StreamingException failure;

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
                ImmutableMessage m = buffer.poll();
                if (m != null) {
                    if (stream != null) {
                        stream.call.request(1);
                    }
                    return m;
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

    /** Messages received and not yet polled; never more than the buffer size. */
    int buffered() {
        lock.lock();
        try {
            return buffer.size();
        } finally {
            lock.unlock();
        }
    }

    /** Stops reading and cancels the stream; buffered messages are dropped. Idempotent. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (state == State.CLOSED) {
                return;
            }
            state = State.CLOSED;
            ClientContext.cancel(retryTimer);
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
                return;
            }
            if (state == State.WAITING && !now.equals(refused)) {
                ClientContext.cancel(retryTimer);
                connect();
            } else if ((state == State.STARTING || state == State.STREAMING) && !now.equals(stream.assignment)) {
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
            return;
        }
        ManagedChannel channel;
        try {
            channel = ctx.channels().get(a.address());
        } catch (StreamingException e) {
            state = State.WAITING;
            return;
        }
        ConsumeStream s = new ConsumeStream(a, options.bufferSize() - buffer.size());
        stream = s;
        state = State.STARTING;
        StreamingNodeGrpc.newStub(channel).consume(request(a), s);
    }

    private ConsumeRequest request(Assignment a) {
        ConsumeRequest.Builder b = ConsumeRequest.newBuilder().setPchannel(options.pchannel()).setTerm(a.term());
        if (options.vchannel() != null) {
            b.setVchannel(options.vchannel());
        }
        if (resumeId == null) {
            b.setPolicy(options.start().toProto());
        } else {
            b.setPolicy(DeliverPolicyProto.newBuilder().setStartFrom(MessageIds.toProto(resumeId)))
                    .setTimeTickGt(resumeTimeTick);
        }
        b.addAllTypes(options.requestedTypes());
        return b.build();
    }

    private void streaming() {
        if (state == State.STARTING) {
            state = State.STREAMING;
            backoff.reset();
            refused = null;
        }
    }

    private void received(ConsumeStream s, ImmutableMessage m) {
        streaming();
        resumeId = m.lastConfirmedId() != null ? m.lastConfirmedId() : m.id();
        resumeTimeTick = m.timeTick();
        boolean ours = options.vchannel() == null || MessageKind.isPchannelWide(m.type())
                || options.vchannel().equals(m.vchannel());
        if (ours && options.delivers(m.type())) {
            buffer.add(m);
            changed.signalAll();
        } else {
            s.call.request(1);
        }
    }

    private void ended(ConsumeStream s, StreamingException error) {
        stream = null;
        if (state == State.CLOSED) {
            return;
        }
        if (!error.isRetriable()) {
            failure = error;
            state = State.FAILED;
            changed.signalAll();
            return;
        }
        if (error.isWrongNode()) {
            ctx.assignments().report(s.assignment, error);
        }
        refused = s.assignment;
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

    private void onMessage(ConsumeStream s, ConsumeResponse response) {
        ImmutableMessage m = null;
        StreamingException corrupt = null;
        if (response.hasMessage()) {
            try {
                m = ImmutableMessage.fromProto(response.getMessage());
            } catch (StreamingException e) {
                corrupt = e;
            }
        }
        lock.lock();
        try {
            if (s != stream) {
                return;
            }
            if (corrupt != null) {
                s.call.cancel("corrupted message", corrupt);
                ended(s, corrupt);
            } else if (m != null) {
                received(s, m);
            } else {
                streaming();
                s.call.request(1); // the started response took a credit and buffers nothing
            }
        } finally {
            lock.unlock();
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
        final int initialRequest;
        ClientCallStreamObserver<ConsumeRequest> call;

        ConsumeStream(Assignment assignment, int initialRequest) {
            this.assignment = assignment;
            this.initialRequest = initialRequest;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<ConsumeRequest> requestStream) {
            call = requestStream;
            requestStream.disableAutoRequestWithInitial(initialRequest);
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
