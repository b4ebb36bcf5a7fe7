package io.tidelog.server;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.GrpcErrors;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MessageIds;
import io.tidelog.message.MessageLimits;
import io.tidelog.message.Vchannels;
import io.tidelog.node.StreamingWal;
import io.tidelog.node.WalManager;
import io.tidelog.node.recovery.Checkpoint;
import io.tidelog.node.scan.MessageScanner;
import io.tidelog.node.scan.ReadOptions;
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
import io.tidelog.proto.ProduceRequestFrame;
import io.tidelog.proto.ProduceResponse;
import io.tidelog.proto.StreamingNodeGrpc;
import io.tidelog.proto.SubscribeRequest;
import io.tidelog.proto.SubscriptionInfo;
import io.tidelog.wal.DeliverPolicy;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The streaming node's gRPC face: produce streams append to the {@link WalManager}'s WALs, consume
 * streams tail them.
 *
 * <p>Threads: a produce stream ({@link ProduceSession}) runs on its connection's transport thread
 * ({@link #PRODUCE_ON_TRANSPORT}), handing what may wait to {@code produceWaits}, and answers from the WAL's
 * writer thread. Each consume stream gets a thread of {@code consumers} that
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
    private final ExecutorService consumers;
    private final Semaphore consumerSlots;
    private final SubscriptionRpcs subscriptions;
    private final Executor produceWaits;

    /**
     * Runs the calls of the produce method on the transport thread that reads them (every other call on the server's
     * executor): a {@link ProduceSession} does there only what never waits. For {@code ServerBuilder.callExecutor}.
     */
    static final ServerCallExecutorSupplier PRODUCE_ON_TRANSPORT = new ServerCallExecutorSupplier() {
        @Override
        public <ReqT, RespT> Executor getExecutor(ServerCall<ReqT, RespT> call, Metadata headers) {
            return call.getMethodDescriptor().getFullMethodName()
                    .equals(StreamingNodeGrpc.getProduceMethod().getFullMethodName()) ? Runnable::run : null;
        }
    };

    /** @param produceWaits where produce streams do what may wait (opens, appends that wait for room) */
    StreamingNodeService(WalManager wals, MessageLimits limits, ExecutorService consumers, int maxConsumers,
                         SubscriptionRpcs subscriptions, Executor produceWaits) {
        this.produceWaits = produceWaits;
        this.wals = wals;
        this.limits = limits;
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

    /**
     * The service to serve (never {@link #bindService()} alone): as generated, except its produce method, which
     * reads requests as {@link ProduceRequestFrame}s (the same wire form, envelopes kept as their bytes, parsed
     * without copying payloads) into a {@link ProduceSession}.
     */
    io.grpc.ServerServiceDefinition definition() {
        io.grpc.ServerServiceDefinition generated = bindService();
        String produce = StreamingNodeGrpc.getProduceMethod().getFullMethodName();
        io.grpc.ServerServiceDefinition.Builder b = io.grpc.ServerServiceDefinition.builder(StreamingNodeGrpc.SERVICE_NAME);
        for (io.grpc.ServerMethodDefinition<?, ?> m : generated.getMethods()) {
            if (!m.getMethodDescriptor().getFullMethodName().equals(produce)) {
                b.addMethod(m);
            }
        }
        io.grpc.MethodDescriptor<ProduceRequestFrame, ProduceResponse> method = StreamingNodeGrpc.getProduceMethod()
                .toBuilder(FrameMarshaller.INSTANCE, io.grpc.protobuf.ProtoUtils.marshaller(ProduceResponse.getDefaultInstance()))
                .build();
        b.addMethod(method, io.grpc.stub.ServerCalls.asyncBidiStreamingCall(
                responses -> new ProduceSession((ServerCallStreamObserver<ProduceResponse>) responses, wals, limits,
                        produceWaits)));
        return b.build();
    }

    /**
     * Reads a produce request into an array of its own and parses it with aliasing: each envelope's bytes, and the
     * payloads parsed from them, are slices of that array, so a payload is copied once more only into the WAL.
     */
    enum FrameMarshaller implements io.grpc.MethodDescriptor.Marshaller<ProduceRequestFrame> {
        INSTANCE;

        @Override
        public java.io.InputStream stream(ProduceRequestFrame value) {
            return value.toByteString().newInput();
        }

        @Override
        public ProduceRequestFrame parse(java.io.InputStream in) {
            try {
                byte[] bytes;
                int known = in.available();
                if (known > 0) {
                    bytes = new byte[known];
                    int read = in.readNBytes(bytes, 0, known);
                    if (read != known || in.read() != -1) {
                        throw io.grpc.Status.INTERNAL.withDescription("a produce request was not of its announced"
                                + " length").asRuntimeException();
                    }
                } else {
                    bytes = in.readAllBytes();
                }
                com.google.protobuf.CodedInputStream cis = com.google.protobuf.UnsafeByteOperations.unsafeWrap(bytes)
                        .newCodedInput();
                cis.enableAliasing(true);
                return ProduceRequestFrame.parseFrom(cis);
            } catch (java.io.IOException e) {
                throw io.grpc.Status.INVALID_ARGUMENT.withDescription("malformed produce request: " + e.getMessage())
                        .withCause(e).asRuntimeException();
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
