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
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

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
 * <p><b>Threads.</b> Requests arrive on the transport thread that reads the stream's connection
 * ({@link StreamingNodeService#PRODUCE_ON_TRANSPORT}). There the session does only what never waits: it checks the
 * request's messages and appends their runs with {@link StreamingWal#appendRunWithoutWaiting}. A transport thread that
 * waited would stall every call it carries, the node's heartbeats and meta-store session included (a kafka chaos run
 * lost every node's session that way). The first thing that would wait (an open, a message that is not plain, a
 * run the WAL cannot take at once: its backend's queue full, the append lock or the TSO busy) and the rest of its
 * request go to {@code waiting}, a pool whose threads may wait; the stream reads its next request only when that one
 * is done, so the order of appends is the order sent. Outcomes arrive on the WAL backend's thread, which sends them at
 * once: the one that finds results queued sends them all in one response, so a busy stream pays one gRPC message per
 * acknowledgement. A round trip crosses two threads: transport → WAL writer → transport.
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
    private final Executor waiting;
    /** The caller's role, from the call's context when the session starts (admin when no token is checked). */
    private final Role callerRole = TokenInterceptor.role();
    /** Set by the open, on a thread of {@code waiting}; read by the next requests' threads. */
    private volatile StreamingWal wal;
    private boolean acceptsRanges;
    /**
     * The vchannel name the last message passed its check with. Requests are handled one at a time (the next is read
     * only when one is done), by whichever thread: gRPC's hand-over of the next request orders the accesses.
     */
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

    /** @param waiting where the work that may wait goes: an open, appends that are not plain or wait for room */
    ProduceSession(ServerCallStreamObserver<ProduceResponse> out, WalManager wals, MessageLimits limits,
                   Executor waiting) {
        this.out = out;
        this.wals = wals;
        this.limits = limits;
        this.waiting = waiting;
        out.disableAutoRequest();
        out.request(1);
    }

    /** On the transport thread: appends what it can without waiting, hands the rest of the request to {@code waiting}. */
    @Override
    public void onNext(ProduceRequestFrame request) {
        StreamingWal open = wal;
        List<ProduceMessageFrame> messages = switch (request.getRequestCase()) {
            case MESSAGE -> List.of(request.getMessage());
            case BATCH -> request.getBatch().getMessagesList();
            default -> null;
        };
        if (open == null || messages == null) {
            handOff(() -> handle(request, messages));
            return;
        }
        Checked checked = new Checked(messages);
        int done = appendFrom(open, checked, 0, false);
        if (done == checked.size()) {
            requestMoreIfOpen();
        } else {
            handOff(() -> appendFrom(open, checked, done, true));
        }
    }

    /** Runs {@code work} on a thread that may wait, then reads the next request. */
    private void handOff(Runnable work) {
        try {
            waiting.execute(() -> {
                try {
                    work.run();
                } catch (RuntimeException e) {
                    finish(StreamingException.from(e));
                    return;
                }
                requestMoreIfOpen();
            });
        } catch (RejectedExecutionException e) {
            finish(StreamingException.onShutdown("the node is stopping"));
        }
    }

    /** A request that is not messages for an open producer, or comes before its open. May wait. */
    private void handle(ProduceRequestFrame request, List<ProduceMessageFrame> messages) {
        if (request.getRequestCase() == ProduceRequestFrame.RequestCase.OPEN) {
            open(request);
        } else if (messages == null) {
            finish(new StreamingException(ErrorCode.INVALID_REQUEST_SEQ, "empty produce request"));
        } else if (wal == null) {
            finish(new StreamingException(ErrorCode.INVALID_REQUEST_SEQ, "open the producer before sending messages"));
        } else {
            StreamingWal open = wal;
            appendFrom(open, new Checked(messages), 0, true);
        }
    }

    private void open(ProduceRequestFrame request) {
        if (wal != null) {
            finish(new StreamingException(ErrorCode.INVALID_REQUEST_SEQ, "the producer is already open"));
            return;
        }
        StreamingWal opened;
        try {
            opened = wals.get(request.getOpen().getPchannel(), request.getOpen().getTerm());
        } catch (StreamingException e) {
            finish(e);
            return;
        }
        acceptsRanges = request.getOpen().getAcceptsRanges();
        wal = opened;
        send(ProduceResponse.newBuilder().setOpened(ProduceOpened.newBuilder()
                .setPchannel(opened.pchannel()).setTerm(opened.term())).build());
    }

    /**
     * A request's messages, each checked when the appends reach it (an earlier message of the same request, a DDL, may
     * change what a later one is), once: parsed and whether it may travel in a run, or why it is refused.
     */
    private final class Checked {
        final List<ProduceMessageFrame> frames;
        final MutableMessage[] messages;
        final boolean[] plain;
        final RuntimeException[] refused;
        int checked;

        Checked(List<ProduceMessageFrame> frames) {
            this.frames = frames;
            int n = frames.size();
            messages = new MutableMessage[n];
            plain = new boolean[n];
            refused = new RuntimeException[n];
        }

        int size() {
            return messages.length;
        }

        long requestId(int i) {
            return frames.get(i).getRequestId();
        }

        /** Checks message {@code i} (and every one before it) against {@code open}, if not done yet. Never waits. */
        void check(StreamingWal open, int i) {
            for (; checked <= i; checked++) {
                try {
                    MutableMessage message = MutableMessage.fromSerialized(frames.get(checked).getMessage(), limits,
                            checkedVchannel);
                    MessageKind.checkProducible(message.type());
                    TokenInterceptor.checkMayProduce(callerRole, message.type());
                    plain[checked] = open.isPlain(message);
                    messages[checked] = message;
                    if (!MessageKind.isPchannelWide(message.type())) {
                        checkedVchannel = message.vchannel();
                    }
                } catch (RuntimeException e) {
                    refused[checked] = e;
                }
            }
        }

        /** The bytes of messages {@code from} to {@code to} (exclusive). */
        long bytes(int from, int to) {
            long bytes = 0;
            for (int i = from; i < to; i++) {
                bytes += messages[i].serializedSize();
            }
            return bytes;
        }
    }

    /**
     * Appends the checked messages from {@code from} on, in order: runs of plain ones together, every other one alone.
     * Without {@code mayWait} it stops at the first message whose append would wait.
     *
     * @return how far it got: the index of the first message not appended (or refused), {@code c.size()} when done
     */
    private int appendFrom(StreamingWal open, Checked c, int from, boolean mayWait) {
        int run = -1; // the index of the run's first message, while a run gathers
        for (int i = from; i < c.size(); i++) {
            StreamingException end = ending;
            if (end == null) {
                c.check(open, i);
            }
            RuntimeException refused = end != null ? end : c.refused[i];
            boolean cutsRun = refused != null || !c.plain[i] || (run >= 0
                    && (i - run == MAX_RUN || c.requestId(i) != c.requestId(run) + (i - run)));
            if (cutsRun && run >= 0) {
                if (!submitRun(open, c, run, i, mayWait)) {
                    return run;
                }
                run = -1;
            }
            if (refused != null) {
                queueError(c.requestId(i), refused);
            } else if (!c.plain[i]) {
                if (!mayWait) {
                    return i;
                }
                appendOne(open, c.requestId(i), c.messages[i]);
            } else if (run < 0) {
                run = i;
            }
        }
        if (run >= 0 && !submitRun(open, c, run, c.size(), mayWait)) {
            return run;
        }
        endIfDone();
        return c.size();
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

    /**
     * Appends messages {@code from} to {@code to} (exclusive) as one run. Returns false, with nothing done, when
     * {@code mayWait} is not set and the WAL cannot take the run at once; true when they are on their way.
     */
    private boolean submitRun(StreamingWal open, Checked c, int from, int to, boolean mayWait) {
        List<MutableMessage> messages = Arrays.asList(Arrays.copyOfRange(c.messages, from, to));
        CompletableFuture<AppendedRun> f = mayWait ? open.tryAppendRun(messages) : open.appendRunWithoutWaiting(messages);
        long first = c.requestId(from);
        if (f == null) {
            if (!mayWait) {
                return false;
            }
            // An extension cannot hold the run now (a DDL of its vchannel waits or runs): one by one, in order.
            for (int i = from; i < to; i++) {
                appendOne(open, c.requestId(i), c.messages[i]);
            }
            return true;
        }
        long runBytes = c.bytes(from, to);
        started(runBytes);
        f.whenComplete((r, err) -> {
            if (err != null) {
                noteEnd(open, err);
                for (int i = 0; i < messages.size(); i++) {
                    queueError(first + i, err);
                }
            } else {
                queueRun(first, r);
            }
            completed(runBytes);
        });
        return true;
    }

    private void appendOne(StreamingWal open, long requestId, MutableMessage message) {
        long bytes = message.serializedSize();
        started(bytes);
        open.append(message).whenComplete((r, err) -> {
            if (err != null) {
                noteEnd(open, err);
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
    private void noteEnd(StreamingWal open, Throwable err) {
        StreamingException e = StreamingException.from(err);
        if (e.isWrongNode() || !open.isAvailable()) {
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
