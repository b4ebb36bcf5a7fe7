package io.tidelog.client.testing;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.tidelog.common.ErrorCode;
import io.tidelog.message.MessageKind;
import io.tidelog.proto.ConsumeBatch;
import io.tidelog.proto.ConsumeRequest;
import io.tidelog.proto.ConsumeResponse;
import io.tidelog.proto.ConsumeStarted;
import io.tidelog.proto.DeliverPolicyProto;
import io.tidelog.proto.ImmutableMessageProto;
import io.tidelog.proto.AppendedRange;
import io.tidelog.proto.MessageEnvelope;
import io.tidelog.proto.MessageIdProto;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.ProduceMessage;
import io.tidelog.proto.ProduceOpen;
import io.tidelog.proto.ProduceOpened;
import io.tidelog.proto.ProduceRequest;
import io.tidelog.proto.ProduceResponse;
import io.tidelog.proto.ProduceResult;
import io.tidelog.proto.ProduceResults;
import io.tidelog.proto.AppendResultProto;
import io.tidelog.proto.StreamingError;
import io.tidelog.proto.StreamingNodeGrpc;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A streaming node for tests: serves the pchannels it is told to at their terms, over {@link FakeLog}s shared
 * with the other fake nodes, and behaves as the wire contract says (streaming.proto). Tests steer it: hold
 * produce results and release them in any order, reject messages, break every stream like a lost connection.
 *
 * <p>Consume streams respect gRPC flow control: a response is sent only while the call is ready, so
 * {@link #consumeSent()} shows how much the client asked for.
 *
 * <p><b>Packing.</b> Produce requests may carry one message or a batch. Produce results and consumed messages
 * go one to a response by default ({@link Packing#SINGLES}, as a node before batches did); see
 * {@link #packing} for batches and a random mix. Thread-safe.
 */
public final class FakeStreamingNode extends StreamingNodeGrpc.StreamingNodeImplBase {
    private final String nodeId;
    private final Function<String, FakeLog> logs;
    private final Map<String, Long> served = new ConcurrentHashMap<>();
    private final Set<ProduceCall> produceCalls = ConcurrentHashMap.newKeySet();
    private final Set<ConsumeCursor> cursors = ConcurrentHashMap.newKeySet();
    private final BlockingQueue<ProduceMessage> received = new LinkedBlockingQueue<>();
    private final List<ConsumeRequest> consumeRequests = new CopyOnWriteArrayList<>();
    private final List<Held> held = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong consumeSent = new AtomicLong();
    private final AtomicLong consumeStalls = new AtomicLong();
    private volatile RuntimeException consumeFailure;
    private final AtomicLong produceOpens = new AtomicLong();
    private volatile Predicate<ProduceMessage> hold = m -> false;
    private final List<ProduceOpen> produceOpenRequests = new CopyOnWriteArrayList<>();
    private final Map<Long, MessageIdProto> rangeLastConfirmed = new ConcurrentHashMap<>();
    private final AtomicLong rangesSent = new AtomicLong();
    private volatile Function<ProduceMessage, StreamingError> rejecter = m -> null;
    private final List<Integer> produceRequestSizes = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong consumeResponses = new AtomicLong();
    private volatile Packing packing = Packing.SINGLES;
    private volatile Random random = new Random(0);
    private volatile int consumeBatchMax = 1000;

    /** How the node packs produce results and consumed messages into responses. */
    public enum Packing {
        /** One {@code result} / {@code message} per response, in order. */
        SINGLES,
        /**
         * The results of one request (or of one {@link #releaseHeld} per stream) in one {@code results}, in
         * order; consumed messages in {@code batch}es of everything ready, up to {@link #consumeBatchMax}.
         */
        BATCHES,
        /**
         * Each response drawn at random: results shuffled and cut into random chunks, a chunk of one sent
         * either as {@code result} or {@code results}; consumed batches of a random size up to the maximum, a
         * batch of one sent either as {@code message} or {@code batch}.
         */
        MIXED,
        /**
         * To a producer that opened with {@code accepts_ranges} (else as {@link #BATCHES}): the results of one
         * request (or of one {@link #releaseHeld} per stream), in their order, cut into chunks of random sizes, one
         * {@code results} response per chunk, in which each run of plain appends of consecutive requests is one
         * {@code AppendedRange} (stamped with the last-confirmed id of its first append, see
         * {@link #rangeLastConfirmed}) and every other result (errors, transaction steps) is sent per request.
         * Consumed messages as {@link #BATCHES}.
         */
        RANGES
    }

    FakeStreamingNode(String nodeId, Function<String, FakeLog> logs) {
        this.nodeId = nodeId;
        this.logs = logs;
    }

    public String nodeId() {
        return nodeId;
    }

    /** Starts serving {@code pchannel} at {@code term}: like opening its WAL, appends the term's first TimeTick. */
    public void serve(String pchannel, long term) {
        served.put(pchannel, term);
        logs.apply(pchannel).tick(term, true);
    }

    /** Stops serving {@code pchannel}: later opens and consumes fail with {@code CHANNEL_NOT_EXIST}. */
    public void stopServing(String pchannel) {
        served.remove(pchannel);
    }

    /** Packs later responses as {@code p} says; {@code random} draws the {@link Packing#MIXED} choices. */
    public void packing(Packing p, Random random) {
        this.random = random;
        this.packing = p;
    }

    /** The largest batch of consumed messages in one response (default 1000). */
    public void consumeBatchMax(int max) {
        this.consumeBatchMax = max;
    }

    /** The number of appends of every produce request but the opens, in arrival order. */
    public List<Integer> produceRequestSizes() {
        synchronized (produceRequestSizes) {
            return List.copyOf(produceRequestSizes);
        }
    }

    /** Responses carrying messages (single or batch) sent on consume streams so far. */
    public long consumeResponses() {
        return consumeResponses.get();
    }

    /** Hold produce results (nothing is appended) until {@link #releaseHeld}. */
    public void holdResults(boolean hold) {
        this.hold = m -> hold;
    }

    /** Hold the produce results of the messages {@code which} selects (nothing of them is appended) until {@link #releaseHeld}. */
    public void holdWhere(Predicate<ProduceMessage> which) {
        this.hold = which;
    }

    /** Every open of a produce stream received, refused ones included, in arrival order. */
    public List<ProduceOpen> produceOpenRequests() {
        return produceOpenRequests;
    }

    /** The last-confirmed id a range reported for request {@code requestId} ({@link Packing#RANGES}), or null. */
    public MessageIdProto rangeLastConfirmed(long requestId) {
        return rangeLastConfirmed.get(requestId);
    }

    /** {@code AppendedRange}s sent so far. */
    public long rangesSent() {
        return rangesSent.get();
    }

    /** Sends {@code response} on every open produce stream, as it is: for answers a node should not give. */
    public void sendToProducers(ProduceResponse response) {
        for (ProduceCall c : produceCalls) {
            c.send(response);
        }
    }

    /** Every message received on produce streams, in arrival order. */
    public BlockingQueue<ProduceMessage> received() {
        return received;
    }

    /** Every consume request, in arrival order. */
    public List<ConsumeRequest> consumeRequests() {
        return consumeRequests;
    }

    /** Messages sent on consume streams so far. */
    public long consumeSent() {
        return consumeSent.get();
    }

    /** How often a consume stream had messages to send but the client had not asked for more. */
    public long consumeStalls() {
        return consumeStalls.get();
    }

    /** Fails every later consume call with {@code code} ({@code null}: stop failing them). */
    public void failConsumes(ErrorCode code, String message) {
        this.consumeFailure = code == null ? null : FakeErrors.status(code, message);
    }

    /** Produce streams opened successfully so far. */
    public long produceOpens() {
        return produceOpens.get();
    }

    public int heldCount() {
        return held.size();
    }

    /**
     * Appends the held messages in the order of {@code order} (indexes into the held list) and answers each,
     * the results of each stream packed as {@link #packing} says.
     */
    public void releaseHeld(List<Integer> order) {
        List<Held> h;
        synchronized (held) {
            h = new ArrayList<>(held);
            held.clear();
        }
        Map<ProduceCall, List<ProduceResult>> results = new LinkedHashMap<>();
        for (int i : order) {
            Held x = h.get(i);
            results.computeIfAbsent(x.call, c -> new ArrayList<>()).add(x.call.append(x.message));
        }
        results.forEach(ProduceCall::send);
    }

    /** Answers every message for which {@code rejecter} returns an error with that error, appending nothing. */
    public void rejectWith(Function<ProduceMessage, StreamingError> r) {
        this.rejecter = r;
    }

    /** Fails every open stream with {@code UNAVAILABLE} and no Tidelog code: a lost connection. */
    public void breakStreams() {
        for (ProduceCall c : produceCalls) {
            c.fail(Status.UNAVAILABLE.withDescription("connection reset (fake)").asRuntimeException());
        }
        for (ConsumeCursor c : cursors) {
            c.fail(Status.UNAVAILABLE.withDescription("connection reset (fake)").asRuntimeException());
        }
        held.clear();
    }

    /** Fails every open produce stream with {@code code} in the trailers, as when the node loses a pchannel. */
    public void failProduceStreams(ErrorCode code, String message) {
        for (ProduceCall c : produceCalls) {
            c.fail(FakeErrors.status(code, message));
        }
    }

    /** Appends a TimeTick to {@code pchannel} at the term served here. */
    public ImmutableMessageProto tick(String pchannel) {
        return logs.apply(pchannel).tick(served.get(pchannel), false);
    }

    private RuntimeException ownership(String pchannel, long term) {
        Long t = served.get(pchannel);
        if (t == null) {
            return FakeErrors.status(ErrorCode.CHANNEL_NOT_EXIST, "pchannel " + pchannel + " is not served by " + nodeId);
        }
        if (term != 0 && term != t) {
            return FakeErrors.status(ErrorCode.UNMATCHED_CHANNEL_TERM, "pchannel " + pchannel + " is served at term "
                    + t + " by " + nodeId + ", not " + term);
        }
        return null;
    }

    // ---- produce ----

    @Override
    public StreamObserver<ProduceRequest> produce(StreamObserver<ProduceResponse> responses) {
        ProduceCall call = new ProduceCall((ServerCallStreamObserver<ProduceResponse>) responses);
        produceCalls.add(call);
        call.out.setOnCancelHandler(() -> produceCalls.remove(call));
        return call;
    }

    private final class ProduceCall implements StreamObserver<ProduceRequest> {
        final ServerCallStreamObserver<ProduceResponse> out;
        String pchannel;
        long term;
        boolean acceptsRanges;
        boolean done;

        ProduceCall(ServerCallStreamObserver<ProduceResponse> out) {
            this.out = out;
        }

        @Override
        public void onNext(ProduceRequest request) {
            if (request.hasOpen()) {
                produceOpenRequests.add(request.getOpen());
                RuntimeException refused = ownership(request.getOpen().getPchannel(), request.getOpen().getTerm());
                if (refused != null) {
                    fail(refused);
                    return;
                }
                pchannel = request.getOpen().getPchannel();
                acceptsRanges = request.getOpen().getAcceptsRanges();
                term = served.get(pchannel);
                produceOpens.incrementAndGet();
                send(ProduceResponse.newBuilder().setOpened(ProduceOpened.newBuilder().setPchannel(pchannel).setTerm(term)).build());
                return;
            }
            List<ProduceMessage> messages = request.hasBatch() ? request.getBatch().getMessagesList()
                    : List.of(request.getMessage());
            produceRequestSizes.add(messages.size());
            List<ProduceResult> results = new ArrayList<>();
            for (ProduceMessage m : messages) {
                received.add(m);
                StreamingError rejected = rejecter.apply(m);
                MessageType type = m.getMessage().getType();
                if (!MessageKind.isTxnControl(type) && (MessageKind.isSystem(type) || MessageKind.isSelfControlled(type))) {
                    rejected = FakeErrors.error(ErrorCode.INVALID_ARGUMENT, "clients may not send " + m.getMessage().getType());
                }
                if (rejected != null) {
                    results.add(ProduceResult.newBuilder().setRequestId(m.getRequestId()).setError(rejected).build());
                } else if (hold.test(m)) {
                    held.add(new Held(this, m));
                } else {
                    results.add(append(m));
                }
            }
            send(results);
        }

        /**
         * Appends {@code m} to the log and returns its result. A BeginTxn's transaction id is its time tick; a message
         * naming a transaction answers with that id. (The fake checks nothing about transactions.)
         */
        ProduceResult append(ProduceMessage m) {
            MessageEnvelope e = m.getMessage();
            ImmutableMessageProto appended = logs.apply(pchannel).append(e, term);
            long txnId = e.getType() == MessageType.BEGIN_TXN ? appended.getMessage().getTimeTick()
                    : e.hasTxn() ? e.getTxn().getTxnId() : 0;
            return ProduceResult.newBuilder().setRequestId(m.getRequestId())
                    .setAppended(AppendResultProto.newBuilder()
                            .setId(appended.getId())
                            .setTimeTick(appended.getMessage().getTimeTick())
                            .setLastConfirmedId(appended.getMessage().getLastConfirmedId())
                            .setTxnId(txnId))
                    .build();
        }

        /** Sends {@code results} packed as {@link #packing} says. */
        void send(List<ProduceResult> results) {
            if (results.isEmpty()) {
                return;
            }
            switch (packing) {
                case SINGLES -> results.forEach(r -> send(ProduceResponse.newBuilder().setResult(r).build()));
                case BATCHES -> send(ProduceResponse.newBuilder()
                        .setResults(ProduceResults.newBuilder().addAllResults(results)).build());
                case RANGES -> {
                    if (!acceptsRanges) {
                        send(ProduceResponse.newBuilder().setResults(ProduceResults.newBuilder().addAllResults(results)).build());
                        return;
                    }
                    Random r = random;
                    for (int i = 0; i < results.size(); ) {
                        int n = 1 + r.nextInt(results.size() - i);
                        send(ProduceResponse.newBuilder().setResults(packRanges(results.subList(i, i + n))).build());
                        i += n;
                    }
                }
                case MIXED -> {
                    Random r = random;
                    List<ProduceResult> shuffled = new ArrayList<>(results);
                    Collections.shuffle(shuffled, r);
                    for (int i = 0; i < shuffled.size(); ) {
                        int n = 1 + r.nextInt(shuffled.size() - i);
                        if (n == 1 && r.nextBoolean()) {
                            send(ProduceResponse.newBuilder().setResult(shuffled.get(i)).build());
                        } else {
                            send(ProduceResponse.newBuilder().setResults(ProduceResults.newBuilder()
                                    .addAllResults(shuffled.subList(i, i + n))).build());
                        }
                        i += n;
                    }
                }
            }
        }

        /** Runs of plain appends of consecutive requests as ranges, the other results one by one. */
        ProduceResults packRanges(List<ProduceResult> chunk) {
            ProduceResults.Builder out = ProduceResults.newBuilder();
            AppendedRange.Builder run = null;
            long next = 0;
            MessageIdProto previousId = null;
            long previousTick = 0;
            for (ProduceResult r : chunk) {
                AppendResultProto a = r.hasAppended() ? r.getAppended() : null;
                boolean plain = a != null && a.getTxnId() == 0 && a.getFlushedSegmentIdsCount() == 0;
                if (!plain) {
                    out.addResults(r);
                    continue;
                }
                if (run == null || r.getRequestId() != next) {
                    if (run != null) {
                        out.addAppended(run);
                    }
                    run = AppendedRange.newBuilder().setFirstRequestId(r.getRequestId())
                            .setLastConfirmedId(a.getLastConfirmedId());
                    previousId = MessageIdProto.getDefaultInstance();
                    previousTick = 0;
                    rangesSent.incrementAndGet();
                }
                run.addIdMajorDelta(a.getId().getMajor() - previousId.getMajor())
                        .addIdMinorDelta(a.getId().getMinor() - previousId.getMinor())
                        .addTimeTickDelta(a.getTimeTick() - previousTick);
                rangeLastConfirmed.put(r.getRequestId(), run.getLastConfirmedId());
                previousId = a.getId();
                previousTick = a.getTimeTick();
                next = r.getRequestId() + 1;
            }
            if (run != null) {
                out.addAppended(run);
            }
            return out.build();
        }

        synchronized void send(ProduceResponse r) {
            if (!done) {
                out.onNext(r);
            }
        }

        synchronized void fail(RuntimeException e) {
            if (!done) {
                done = true;
                produceCalls.remove(this);
                out.onError(e);
            }
        }

        @Override
        public void onError(Throwable t) {
            synchronized (this) {
                done = true;
            }
            produceCalls.remove(this);
        }

        @Override
        public synchronized void onCompleted() {
            if (!done) {
                done = true;
                produceCalls.remove(this);
                out.onCompleted();
            }
        }
    }

    private record Held(ProduceCall call, ProduceMessage message) {
    }

    // ---- consume ----

    @Override
    public void consume(ConsumeRequest request, StreamObserver<ConsumeResponse> responses) {
        String pchannel = !request.getPchannel().isEmpty() ? request.getPchannel()
                : request.getVchannel().substring(0, request.getVchannel().indexOf('_'));
        RuntimeException refused = consumeFailure != null ? consumeFailure : ownership(pchannel, request.getTerm());
        if (refused != null) {
            consumeRequests.add(request);
            responses.onError(refused);
            return;
        }
        ServerCallStreamObserver<ConsumeResponse> out = (ServerCallStreamObserver<ConsumeResponse>) responses;
        FakeLog log = logs.apply(pchannel);
        ConsumeCursor cursor = new ConsumeCursor(request, log, out);
        out.setOnReadyHandler(cursor::pump);
        out.setOnCancelHandler(cursor::cancelled);
        cursors.add(cursor);
        log.addListener(cursor.listener);
        consumeRequests.add(request); // once its start position is fixed: tests may append after seeing it
        cursor.start(pchannel, served.get(pchannel));
    }

    private final class ConsumeCursor {
        final ConsumeRequest request;
        final FakeLog log;
        final ServerCallStreamObserver<ConsumeResponse> out;
        final Runnable listener = this::pump;
        int position;
        boolean done;

        ConsumeCursor(ConsumeRequest request, FakeLog log, ServerCallStreamObserver<ConsumeResponse> out) {
            this.request = request;
            this.log = log;
            this.out = out;
            DeliverPolicyProto p = request.getPolicy();
            switch (p.getPolicyCase()) {
                case LATEST:
                    position = log.size();
                    break;
                case START_FROM:
                    position = log.indexOf(p.getStartFrom(), true);
                    break;
                case START_AFTER:
                    position = log.indexOf(p.getStartAfter(), false);
                    break;
                default:
                    position = 0;
            }
        }

        synchronized void start(String pchannel, long term) {
            out.onNext(ConsumeResponse.newBuilder().setStarted(ConsumeStarted.newBuilder().setPchannel(pchannel)
                    .setTerm(term)).build());
            pump();
        }

        synchronized void pump() {
            while (!done && position < log.size()) {
                if (!out.isReady()) {
                    consumeStalls.incrementAndGet();
                    return;
                }
                Packing p = packing;
                int max = switch (p) {
                    case SINGLES -> 1;
                    case BATCHES, RANGES -> consumeBatchMax;
                    case MIXED -> 1 + random.nextInt(consumeBatchMax);
                };
                List<ImmutableMessageProto> batch = new ArrayList<>();
                while (batch.size() < max && position < log.size()) {
                    ImmutableMessageProto m = log.get(position++);
                    if (accepts(m.getMessage())) {
                        batch.add(m);
                    }
                }
                if (batch.isEmpty()) {
                    continue;
                }
                // Counted before the send: an in-process receiver may see the messages before onNext returns.
                consumeSent.addAndGet(batch.size());
                consumeResponses.incrementAndGet();
                if (batch.size() == 1 && (p == Packing.SINGLES || (p == Packing.MIXED && random.nextBoolean()))) {
                    out.onNext(ConsumeResponse.newBuilder().setMessage(batch.get(0)).build());
                } else {
                    out.onNext(ConsumeResponse.newBuilder().setBatch(ConsumeBatch.newBuilder().addAllMessages(batch))
                            .build());
                }
            }
        }

        boolean accepts(MessageEnvelope m) {
            boolean tick = MessageKind.isPchannelWide(m.getType());
            if (!request.getVchannel().isEmpty() && !tick && !request.getVchannel().equals(m.getVchannel())) {
                return false;
            }
            if (m.getTimeTick() <= request.getTimeTickGt() || m.getTimeTick() < request.getTimeTickGe()) {
                return false;
            }
            return request.getTypesList().isEmpty() || request.getTypesList().contains(m.getType());
        }

        synchronized void fail(RuntimeException e) {
            if (!done) {
                done = true;
                out.onError(e);
            }
            cancelled();
        }

        void cancelled() {
            synchronized (this) {
                done = true;
            }
            cursors.remove(this);
            log.removeListener(listener);
        }
    }
}
