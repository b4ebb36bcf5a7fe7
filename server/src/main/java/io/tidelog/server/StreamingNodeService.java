package io.tidelog.server;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.GrpcErrors;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MessageIds;
import io.tidelog.message.MessageKind;
import io.tidelog.message.MessageLimits;
import io.tidelog.message.MutableMessage;
import io.tidelog.message.Vchannels;
import io.tidelog.node.AppendResult;
import io.tidelog.node.StreamingWal;
import io.tidelog.node.WalManager;
import io.tidelog.node.recovery.Checkpoint;
import io.tidelog.node.scan.MessageScanner;
import io.tidelog.node.scan.ReadOptions;
import io.tidelog.proto.AppendResultProto;
import io.tidelog.proto.CommitSubscriptionRequest;
import io.tidelog.proto.ConsumeBatch;
import io.tidelog.proto.ConsumeRequest;
import io.tidelog.proto.ConsumeResponse;
import io.tidelog.proto.ConsumeStarted;
import io.tidelog.proto.DeleteSubscriptionRequest;
import io.tidelog.proto.DeleteSubscriptionResponse;
import io.tidelog.proto.DeliverPolicyProto;
import io.tidelog.proto.ListSubscriptionsRequest;
import io.tidelog.proto.ListSubscriptionsResponse;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.ProduceMessage;
import io.tidelog.proto.ProduceOpened;
import io.tidelog.proto.ProduceRequest;
import io.tidelog.proto.ProduceResponse;
import io.tidelog.proto.ProduceResult;
import io.tidelog.proto.ProduceResults;
import io.tidelog.proto.StreamingNodeGrpc;
import io.tidelog.proto.SubscribeRequest;
import io.tidelog.proto.SubscriptionInfo;
import io.tidelog.wal.DeliverPolicy;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The streaming node's gRPC face: produce streams append to the {@link WalManager}'s WALs, consume
 * streams tail them.
 *
 * <p>Threads: produce requests arrive on gRPC's threads; results are sent from {@code completions}
 * (never from the WAL's writer thread). Each consume stream gets a thread of {@code consumers} that
 * polls its scanner and sends only when the client is ready to receive (flow control), so a slow
 * consumer holds no more than one message in the server.
 */
final class StreamingNodeService extends StreamingNodeGrpc.StreamingNodeImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(StreamingNodeService.class);
    private static final Duration POLL = Duration.ofMillis(100);
    static final int CONSUME_BATCH_BYTES = 256 << 10;
    static final int CONSUME_BATCH_MESSAGES = 1000;

    private final WalManager wals;
    private final MessageLimits limits;
    private final Executor completions;
    private final ExecutorService consumers;
    private final Semaphore consumerSlots;
    private final SubscriptionRpcs subscriptions;

    StreamingNodeService(WalManager wals, MessageLimits limits, Executor completions, ExecutorService consumers, int maxConsumers,
                         SubscriptionRpcs subscriptions) {
        this.wals = wals;
        this.limits = limits;
        this.completions = completions;
        this.consumers = consumers;
        this.consumerSlots = new Semaphore(maxConsumers);
        this.subscriptions = subscriptions;
    }

    // ------------------------------------------------------------------ durable subscriptions

    @Override
    public void subscribe(SubscribeRequest request, StreamObserver<SubscriptionInfo> responses) {
        subscriptions.subscribe(request, responses);
    }

    @Override
    public void commitSubscription(CommitSubscriptionRequest request, StreamObserver<SubscriptionInfo> responses) {
        subscriptions.commit(request, responses);
    }

    @Override
    public void listSubscriptions(ListSubscriptionsRequest request, StreamObserver<ListSubscriptionsResponse> responses) {
        subscriptions.list(request, responses);
    }

    @Override
    public void deleteSubscription(DeleteSubscriptionRequest request, StreamObserver<DeleteSubscriptionResponse> responses) {
        subscriptions.delete(request, responses);
    }

    // ------------------------------------------------------------------ produce

    @Override
    public StreamObserver<ProduceRequest> produce(StreamObserver<ProduceResponse> responses) {
        return new ProduceSession((ServerCallStreamObserver<ProduceResponse>) responses);
    }

    /**
     * One producer stream bound to one pchannel at one term. Results are coalesced: each outcome joins
     * a queue, and one task on {@code completions} sends everything queued as one response, so a busy
     * stream pays for one gRPC message per batch of results, not per append.
     */
    private final class ProduceSession implements StreamObserver<ProduceRequest> {
        private final ServerCallStreamObserver<ProduceResponse> out;
        private final AtomicInteger inFlight = new AtomicInteger();
        private StreamingWal wal;
        /** The vchannel name the last message passed its check with (read and written on the stream's thread). */
        private String checkedVchannel;
        /** Set once the WAL stopped serving this term: the stream ends when in-flight results are out. */
        private volatile StreamingException ending;
        /** Guarded by this. */
        private boolean finished;
        private final ArrayDeque<ProduceResult> pendingResults = new ArrayDeque<>();
        private boolean flushScheduled;

        ProduceSession(ServerCallStreamObserver<ProduceResponse> out) {
            this.out = out;
        }

        @Override
        public void onNext(ProduceRequest request) {
            switch (request.getRequestCase()) {
                case OPEN:
                    open(request);
                    break;
                case MESSAGE:
                    append(request.getMessage());
                    break;
                case BATCH:
                    for (ProduceMessage m : request.getBatch().getMessagesList()) {
                        append(m);
                    }
                    break;
                default:
                    finish(new StreamingException(ErrorCode.INVALID_REQUEST_SEQ, "empty produce request"));
            }
        }

        private void open(ProduceRequest request) {
            if (wal != null) {
                finish(new StreamingException(ErrorCode.INVALID_REQUEST_SEQ, "the producer is already open"));
                return;
            }
            try {
                wal = wals.get(request.getOpen().getPchannel(), request.getOpen().getTerm());
            } catch (StreamingException e) {
                finish(e);
                return;
            }
            send(ProduceResponse.newBuilder().setOpened(ProduceOpened.newBuilder()
                    .setPchannel(wal.pchannel()).setTerm(wal.term())).build());
        }

        private void append(ProduceMessage m) {
            long requestId = m.getRequestId();
            if (wal == null) {
                finish(new StreamingException(ErrorCode.INVALID_REQUEST_SEQ, "open the producer before sending messages"));
                return;
            }
            StreamingException end = ending;
            if (end != null) {
                result(requestId, null, end);
                return;
            }
            MutableMessage message;
            try {
                MessageKind.checkProducible(m.getMessage().getType());
                message = MutableMessage.fromEnvelope(m.getMessage(), limits, checkedVchannel);
                if (!MessageKind.isPchannelWide(message.type())) {
                    checkedVchannel = message.vchannel();
                }
            } catch (RuntimeException e) {
                result(requestId, null, e);
                return;
            }
            inFlight.incrementAndGet();
            wal.append(message).whenComplete((r, err) -> {
                if (err != null && endsStream(StreamingException.from(err))) {
                    ending = StreamingException.from(err);
                }
                inFlight.decrementAndGet();
                result(requestId, r, err);
            });
        }

        /**
         * Whether this stream's WAL no longer serves its term: fenced or addressed wrongly, closed or stopped by a
         * failure (it then refuses every append at once). Any other failure is the one message's.
         */
        private boolean endsStream(StreamingException e) {
            return e.isWrongNode() || !wal.isAvailable();
        }

        /** Queues an outcome; called on the WAL's acknowledgement thread, so it only enqueues. */
        private void result(long requestId, AppendResult r, Throwable err) {
            ProduceResult.Builder b = ProduceResult.newBuilder().setRequestId(requestId);
            if (err != null) {
                b.setError(GrpcErrors.toProto(err));
            } else {
                AppendResultProto.Builder a = AppendResultProto.newBuilder().setId(MessageIds.toProto(r.id()))
                        .setTimeTick(r.timeTick());
                if (r.lastConfirmedId() != null) {
                    a.setLastConfirmedId(MessageIds.toProto(r.lastConfirmedId()));
                }
                a.setTxnId(r.txnId()).addAllFlushedSegmentIds(r.flushedSegmentIds());
                b.setAppended(a);
            }
            synchronized (this) {
                pendingResults.add(b.build());
                if (flushScheduled) {
                    return;
                }
                flushScheduled = true;
            }
            completions.execute(this::flushResults);
        }

        private void flushResults() {
            ProduceResults.Builder batch = ProduceResults.newBuilder();
            synchronized (this) {
                flushScheduled = false;
                batch.addAllResults(pendingResults);
                pendingResults.clear();
            }
            if (batch.getResultsCount() > 0) {
                send(ProduceResponse.newBuilder().setResults(batch).build());
            }
            StreamingException end = ending;
            if (end != null && inFlight.get() == 0) {
                finish(end);
            }
        }

        private synchronized void send(ProduceResponse response) {
            if (!finished && !out.isCancelled()) {
                out.onNext(response);
            }
        }

        private synchronized void finish(StreamingException e) {
            if (!finished) {
                finished = true;
                if (!out.isCancelled()) {
                    out.onError(GrpcErrors.toStatus(e));
                }
            }
        }

        @Override
        public void onError(Throwable t) {
            synchronized (this) {
                finished = true; // the client went away: results still in flight are dropped
            }
        }

        @Override
        public synchronized void onCompleted() {
            if (!finished) {
                finished = true;
                out.onCompleted();
            }
        }
    }

    // ------------------------------------------------------------------ consume

    @Override
    public void consume(ConsumeRequest request, StreamObserver<ConsumeResponse> responses) {
        ServerCallStreamObserver<ConsumeResponse> out = (ServerCallStreamObserver<ConsumeResponse>) responses;
        MessageScanner scanner;
        StreamingWal wal;
        try {
            String pchannel = request.getPchannel().isEmpty() ? Vchannels.pchannelOf(request.getVchannel()) : request.getPchannel();
            wal = wals.get(pchannel, request.getTerm());
            scanner = wal.read(readOptions(request));
        } catch (RuntimeException e) {
            out.onError(GrpcErrors.toStatus(e));
            return;
        }
        if (!consumerSlots.tryAcquire()) {
            scanner.close();
            out.onError(GrpcErrors.toStatus(new StreamingException(ErrorCode.RESOURCE_EXHAUSTED,
                    "too many consumers on this node")));
            return;
        }
        Semaphore ready = new Semaphore(0);
        out.setOnReadyHandler(ready::release);
        out.setOnCancelHandler(() -> {
            scanner.close();
            ready.release();
        });
        ConsumeStarted.Builder started = ConsumeStarted.newBuilder().setPchannel(wal.pchannel()).setTerm(wal.term());
        Checkpoint earliest = wal.earliest();
        if (earliest != null) {
            started.setEarliestId(MessageIds.toProto(earliest.messageId())).setEarliestTimeTick(earliest.timeTick());
        }
        out.onNext(ConsumeResponse.newBuilder().setStarted(started).build());
        consumers.execute(() -> {
            try {
                pump(scanner, out, ready);
            } finally {
                consumerSlots.release();
            }
        });
    }

    /** Polls the scanner and sends each message when the client can take it, until cancelled or failed. */
    private static void pump(MessageScanner scanner, ServerCallStreamObserver<ConsumeResponse> out, Semaphore ready) {
        try (scanner) {
            while (!out.isCancelled()) {
                while (!out.isReady()) {
                    ready.tryAcquire(POLL.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                    if (out.isCancelled()) {
                        return;
                    }
                }
                ImmutableMessage m = scanner.poll(POLL);
                if (m != null) {
                    out.onNext(batch(scanner, m));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failQuietly(out, StreamingException.onShutdown("the node is shutting down"));
        } catch (RuntimeException e) {
            if (!out.isCancelled()) {
                LOG.debug("consumer stream ends: {}", e.toString());
                failQuietly(out, e);
            }
        }
    }

    /**
     * {@code first} and whatever else the scanner has ready now, up to {@link #CONSUME_BATCH_BYTES} or
     * {@link #CONSUME_BATCH_MESSAGES}: one gRPC message for many small ones.
     */
    private static ConsumeResponse batch(MessageScanner scanner, ImmutableMessage first) throws InterruptedException {
        ConsumeBatch.Builder b = ConsumeBatch.newBuilder().addMessages(first.toProto());
        long bytes = first.serializedSize();
        ImmutableMessage m;
        while (bytes < CONSUME_BATCH_BYTES && b.getMessagesCount() < CONSUME_BATCH_MESSAGES
                && (m = scanner.poll(Duration.ZERO)) != null) {
            b.addMessages(m.toProto());
            bytes += m.serializedSize();
        }
        return ConsumeResponse.newBuilder().setBatch(b).build();
    }

    private static void failQuietly(ServerCallStreamObserver<ConsumeResponse> out, Throwable e) {
        try {
            out.onError(GrpcErrors.toStatus(e));
        } catch (RuntimeException ignored) {
            // the call is already closed
        }
    }

    static ReadOptions readOptions(ConsumeRequest r) {
        DeliverPolicy policy = policy(r.getPolicy());
        Set<MessageType> types = r.getTypesList().isEmpty() ? Set.of() : EnumSet.copyOf(r.getTypesList());
        return new ReadOptions(policy, r.getVchannel().isEmpty() ? null : r.getVchannel(),
                r.getTimeTickGt(), r.getTimeTickGe(), types);
    }

    /** The deliver policy a request names (ALL when it names none). */
    static DeliverPolicy policy(DeliverPolicyProto p) {
        switch (p.getPolicyCase()) {
            case LATEST:
                return DeliverPolicy.latest();
            case START_FROM:
                return DeliverPolicy.startFrom(MessageIds.fromProto(p.getStartFrom()));
            case START_AFTER:
                return DeliverPolicy.startAfter(MessageIds.fromProto(p.getStartAfter()));
            default:
                return DeliverPolicy.all();
        }
    }
}
