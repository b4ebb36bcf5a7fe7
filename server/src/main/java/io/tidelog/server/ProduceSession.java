package io.tidelog.server;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.message.GrpcErrors;
import io.tidelog.message.MessageIds;
import io.tidelog.message.MessageKind;
import io.tidelog.message.MessageLimits;
import io.tidelog.message.MutableMessage;
import io.tidelog.node.AppendResult;
import io.tidelog.node.AppendedRun;
import io.tidelog.node.StreamingWal;
import io.tidelog.node.WalManager;
import io.tidelog.proto.AppendResultProto;
import io.tidelog.proto.AppendedRange;
import io.tidelog.proto.ProduceMessageFrame;
import io.tidelog.proto.ProduceOpened;
import io.tidelog.proto.ProduceRequestFrame;
import io.tidelog.proto.ProduceResponse;
import io.tidelog.proto.ProduceResult;
import io.tidelog.proto.ProduceResults;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One producer stream bound to one pchannel at one term.
 *
 * <p><b>Runs.</b> The plain messages of a request ({@link StreamingWal#isPlain}: Raw messages outside transactions,
 * without keys, in the common case) that follow one another are appended as one run
 * ({@link StreamingWal#tryAppendRun}): one pass of the WAL's locks, one hand-off to the backend, one acknowledgement.
 * A producer that opened with {@code accepts_ranges} gets the run's outcome as one {@link AppendedRange}; any other
 * gets one result per message, as it asked. Every other message goes through {@link StreamingWal#append} alone, in
 * its place in the order.
 *
 * <p><b>Threads.</b> Requests arrive on the server's executor, never on a transport thread: a backend's append may
 * wait (the local disk's queue when full, a Kafka producer's metadata or buffer), and a transport thread that waits
 * stalls every call it carries, the node's heartbeats and its meta-store session included (a kafka chaos run lost
 * every node's session that way). Outcomes arrive on the WAL backend's thread, which sends them at once: the one
 * that finds results queued sends them all in one response, so a busy stream pays one gRPC message per
 * acknowledgement. A round trip crosses three threads: transport → executor → WAL writer → transport.
 *
 * <p><b>Flow control.</b> The stream reads its next request only while it has less than {@value #WINDOW_BYTES} bytes
 * of appends in flight; acknowledgements open the window again. A client that sends more waits in its own buffers
 * (HTTP/2 flow control), not in the server's memory.
 */
final class ProduceSession implements StreamObserver<ProduceRequestFrame> {
    /** Bytes of appends in flight past which the stream stops reading requests until acknowledgements come. */
    static final long WINDOW_BYTES = 16L << 20;
    /** The most messages one run carries (a larger request is appended as several runs). */
    static final int MAX_RUN = 4096;

    private final ServerCallStreamObserver<ProduceResponse> out;
    private final WalManager wals;
    private final MessageLimits limits;
    /** The caller's role, from the call's context when the session starts (admin when no token is checked). */
    private final Role callerRole = TokenInterceptor.role();
    private StreamingWal wal;
    private boolean acceptsRanges;
    /** The vchannel name the last message passed its check with (read and written on the transport's thread). */
    private String checkedVchannel;
    /** Set once the WAL stopped serving this term: the stream ends when in-flight results are out. */
    private volatile StreamingException ending;

    // Guarded by this: the outcomes waiting to be sent, the window, the stream's end.
    private ProduceResults.Builder pending;
    private boolean sending;
    private int inFlight;
    private long inFlightBytes;
    private boolean paused;
    private boolean finished;

    ProduceSession(ServerCallStreamObserver<ProduceResponse> out, WalManager wals, MessageLimits limits) {
        this.out = out;
        this.wals = wals;
        this.limits = limits;
        out.disableAutoRequest();
        out.request(1);
    }

    @Override
    public void onNext(ProduceRequestFrame request) {
        switch (request.getRequestCase()) {
            case OPEN:
                open(request);
                break;
            case MESSAGE:
                appendAll(List.of(request.getMessage()));
                break;
            case BATCH:
                appendAll(request.getBatch().getMessagesList());
                break;
            default:
                finish(new StreamingException(ErrorCode.INVALID_REQUEST_SEQ, "empty produce request"));
                return;
        }
        requestMoreIfOpen();
    }

    private void open(ProduceRequestFrame request) {
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
        acceptsRanges = request.getOpen().getAcceptsRanges();
        send(ProduceResponse.newBuilder().setOpened(ProduceOpened.newBuilder()
                .setPchannel(wal.pchannel()).setTerm(wal.term())).build());
    }

    /** Appends the request's messages in order: runs of plain ones together, every other one alone. */
    private void appendAll(List<ProduceMessageFrame> messages) {
        if (wal == null) {
            finish(new StreamingException(ErrorCode.INVALID_REQUEST_SEQ, "open the producer before sending messages"));
            return;
        }
        List<MutableMessage> run = new ArrayList<>(messages.size());
        long runFirst = 0; // the request id of run's first message
        for (ProduceMessageFrame m : messages) {
            long requestId = m.getRequestId();
            StreamingException end = ending;
            if (end != null) {
                submitRun(run, runFirst);
                queueError(requestId, end);
                continue;
            }
            MutableMessage message;
            boolean plain;
            try {
                message = MutableMessage.fromSerialized(m.getMessage(), limits, checkedVchannel);
                MessageKind.checkProducible(message.type());
                TokenInterceptor.checkMayProduce(callerRole, message.type());
                plain = wal.isPlain(message);
            } catch (RuntimeException e) {
                submitRun(run, runFirst);
                queueError(requestId, e);
                continue;
            }
            if (!MessageKind.isPchannelWide(message.type())) {
                checkedVchannel = message.vchannel();
            }
            if (!plain) {
                submitRun(run, runFirst);
                appendOne(requestId, message);
                continue;
            }
            if (run.size() == MAX_RUN || (!run.isEmpty() && requestId != runFirst + run.size())) {
                submitRun(run, runFirst);
            }
            if (run.isEmpty()) {
                runFirst = requestId;
            }
            run.add(message);
        }
        submitRun(run, runFirst);
        endIfDone();
    }

    /** Ends the stream once its WAL stopped serving and no outcome is in flight any more. */
    private void endIfDone() {
        StreamingException end = ending;
        boolean done;
        synchronized (this) {
            done = end != null && inFlight == 0;
        }
        if (done) {
            drain();
            finish(end);
        }
    }

    /** Sends the run on, if any, and empties it; {@code first} is the request id of its first message. */
    private void submitRun(List<MutableMessage> run, long first) {
        if (run.isEmpty()) {
            return;
        }
        List<MutableMessage> messages = List.copyOf(run);
        run.clear();
        long bytes = 0;
        for (MutableMessage m : messages) {
            bytes += m.serializedSize();
        }
        CompletableFuture<AppendedRun> f = wal.tryAppendRun(messages);
        if (f == null) {
            // An extension cannot hold the run now (a DDL of its vchannel waits or runs): one by one, in order.
            for (int i = 0; i < messages.size(); i++) {
                appendOne(first + i, messages.get(i));
            }
            return;
        }
        long runBytes = bytes;
        started(runBytes);
        f.whenComplete((r, err) -> {
            if (err != null) {
                noteEnd(err);
                for (int i = 0; i < messages.size(); i++) {
                    queueError(first + i, err);
                }
            } else {
                queueRun(first, r);
            }
            completed(runBytes);
        });
    }

    private void appendOne(long requestId, MutableMessage message) {
        long bytes = message.serializedSize();
        started(bytes);
        wal.append(message).whenComplete((r, err) -> {
            if (err != null) {
                noteEnd(err);
                queueError(requestId, err);
            } else {
                queueResult(requestId, r);
            }
            completed(bytes);
        });
    }

    /**
     * Whether this stream's WAL no longer serves its term: fenced or addressed wrongly, closed or stopped by a
     * failure (it then refuses every append at once). Any other failure is the one message's.
     */
    private void noteEnd(Throwable err) {
        StreamingException e = StreamingException.from(err);
        if (e.isWrongNode() || !wal.isAvailable()) {
            ending = e;
        }
    }

    // ------------------------------------------------------------------ outcomes

    private void queueError(long requestId, Throwable err) {
        ProduceResult r = ProduceResult.newBuilder().setRequestId(requestId).setError(GrpcErrors.toProto(err)).build();
        synchronized (this) {
            pendingResults().addResults(r);
        }
        drain();
    }

    private void queueResult(long requestId, AppendResult r) {
        ProduceResult result = ProduceResult.newBuilder().setRequestId(requestId).setAppended(toProto(r)).build();
        synchronized (this) {
            pendingResults().addResults(result);
        }
        drain();
    }

    private void queueRun(long first, AppendedRun r) {
        if (!acceptsRanges) {
            List<ProduceResult> each = new ArrayList<>(r.size());
            for (int i = 0; i < r.size(); i++) {
                each.add(ProduceResult.newBuilder().setRequestId(first + i).setAppended(toProto(r.result(i))).build());
            }
            synchronized (this) {
                pendingResults().addAllResults(each);
            }
        } else {
            AppendedRange range = range(first, r);
            synchronized (this) {
                pendingResults().addAppended(range);
            }
        }
        drain();
    }

    static AppendedRange range(long first, AppendedRun r) {
        AppendedRange.Builder b = AppendedRange.newBuilder().setFirstRequestId(first)
                .setLastConfirmedId(MessageIds.toProto(r.lastConfirmedId()));
        long major = 0;
        long minor = 0;
        long tt = 0;
        for (int i = 0; i < r.size(); i++) {
            MessageId id = r.ids()[i];
            b.addIdMajorDelta(id.major() - major);
            b.addIdMinorDelta(id.minor() - minor);
            long t = r.firstTimeTick() + i;
            b.addTimeTickDelta(t - tt);
            major = id.major();
            minor = id.minor();
            tt = t;
        }
        return b.build();
    }

    private static AppendResultProto toProto(AppendResult r) {
        AppendResultProto.Builder a = AppendResultProto.newBuilder().setId(MessageIds.toProto(r.id()))
                .setTimeTick(r.timeTick());
        if (r.lastConfirmedId() != null) {
            a.setLastConfirmedId(MessageIds.toProto(r.lastConfirmedId()));
        }
        return a.setTxnId(r.txnId()).addAllFlushedSegmentIds(r.flushedSegmentIds()).build();
    }

    /** Under the monitor. */
    private ProduceResults.Builder pendingResults() {
        if (pending == null) {
            pending = ProduceResults.newBuilder();
        }
        return pending;
    }

    /**
     * Sends what is queued, unless another thread is sending: that one sends it after its own. One response per
     * pass, so outcomes that arrive together leave together.
     */
    private void drain() {
        while (true) {
            ProduceResults.Builder batch;
            synchronized (this) {
                if (sending || pending == null) {
                    return;
                }
                batch = pending;
                pending = null;
                sending = true;
            }
            try {
                send(ProduceResponse.newBuilder().setResults(batch).build());
            } finally {
                synchronized (this) {
                    sending = false;
                }
            }
        }
    }

    // ------------------------------------------------------------------ window and end

    private synchronized void started(long bytes) {
        inFlight++;
        inFlightBytes += bytes;
    }

    private void completed(long bytes) {
        boolean resume;
        boolean end;
        synchronized (this) {
            inFlight--;
            inFlightBytes -= bytes;
            resume = paused && inFlightBytes < WINDOW_BYTES;
            if (resume) {
                paused = false;
            }
            end = ending != null && inFlight == 0;
        }
        if (end) {
            endIfDone();
            return;
        }
        if (resume) {
            request();
        }
    }

    /** After a request: reads the next one unless the window is full (an acknowledgement then reads it). */
    private void requestMoreIfOpen() {
        synchronized (this) {
            if (finished) {
                return;
            }
            if (inFlightBytes >= WINDOW_BYTES) {
                paused = true;
                return;
            }
        }
        request();
    }

    private void request() {
        synchronized (this) {
            if (finished || out.isCancelled()) {
                return;
            }
            out.request(1);
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
