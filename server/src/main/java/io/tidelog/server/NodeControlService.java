package io.tidelog.server;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.GrpcErrors;
import io.tidelog.node.WalManager;
import io.tidelog.node.WalStatus;
import io.tidelog.proto.Heartbeat;
import io.tidelog.proto.HeartbeatsRequest;
import io.tidelog.proto.NodeAssignRequest;
import io.tidelog.proto.NodeAssignResponse;
import io.tidelog.proto.NodeControlGrpc;
import io.tidelog.proto.NodeRemoveRequest;
import io.tidelog.proto.NodeRemoveResponse;
import io.tidelog.proto.PchannelAssignment;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A streaming node's side of the cluster's assignment protocol (the {@code NodeControl} service): the leader
 * coordinator's assigns, removes and heartbeats, each checked against this node's current session, so that a
 * request meant for an earlier life of the node (it restarted) is refused and never opens a term bound to that life.
 *
 * <p>Threads: assigns and removes run on {@code calls}, one thread per call in flight (the {@link WalManager} locks
 * per pchannel, so a long recovery holds back no other pchannel); a cancelled assign goes on to the end (a second
 * assign at the term joins it). Heartbeats are sent from {@code beats}.
 */
final class NodeControlService extends NodeControlGrpc.NodeControlImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(NodeControlService.class);
    static final int MIN_BEAT_MILLIS = 10;
    static final int MAX_BEAT_MILLIS = 10_000;

    private final WalManager wals;
    private final LongSupplier session;
    private final Executor calls;
    private final ScheduledExecutorService beats;

    /**
     * @param session the node's current session id; 0 while it has none (lost, not registered again yet)
     */
    NodeControlService(WalManager wals, LongSupplier session, Executor calls, ScheduledExecutorService beats) {
        this.wals = wals;
        this.session = session;
        this.calls = calls;
        this.beats = beats;
    }

    @Override
    public void assign(NodeAssignRequest request, StreamObserver<NodeAssignResponse> responses) {
        run(request.getSessionId(), responses, NodeAssignResponse.getDefaultInstance(), () -> {
            wals.open(request.getPchannel(), request.getTerm());
            if (session.getAsLong() != request.getSessionId()) {
                // the session ended while the WAL opened: this life holds nothing any more
                wals.remove(request.getPchannel(), request.getTerm());
                checkSession(request.getSessionId());
            }
        });
    }

    @Override
    public void remove(NodeRemoveRequest request, StreamObserver<NodeRemoveResponse> responses) {
        run(request.getSessionId(), responses, NodeRemoveResponse.getDefaultInstance(),
                () -> wals.remove(request.getPchannel(), request.getTerm()));
    }

    private <T> void run(long requested, StreamObserver<T> responses, T done, Runnable work) {
        try {
            checkSession(requested);
            calls.execute(() -> {
                try {
                    work.run();
                    reply(responses, done);
                } catch (RuntimeException e) {
                    fail(responses, e);
                }
            });
        } catch (RuntimeException e) {
            fail(responses, e instanceof RejectedExecutionException
                    ? StreamingException.onShutdown("the node is shutting down") : e);
        }
    }

    @Override
    public void heartbeats(HeartbeatsRequest request, StreamObserver<Heartbeat> responses) {
        ServerCallStreamObserver<Heartbeat> out = (ServerCallStreamObserver<Heartbeat>) responses;
        try {
            checkSession(request.getSessionId());
        } catch (StreamingException e) {
            fail(out, e);
            return;
        }
        long every = Math.max(MIN_BEAT_MILLIS, Math.min(MAX_BEAT_MILLIS,
                request.getIntervalMillis() == 0 ? 250 : request.getIntervalMillis()));
        ScheduledFuture<?>[] task = new ScheduledFuture<?>[1];
        Object lock = new Object();
        out.setOnCancelHandler(() -> {
            synchronized (lock) {
                if (task[0] != null) {
                    task[0].cancel(false);
                }
            }
        });
        synchronized (lock) {
            try {
                task[0] = beats.scheduleAtFixedRate(() -> beat(request.getSessionId(), out, task[0]), 0, every,
                        TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                fail(out, StreamingException.onShutdown("the node is shutting down"));
            }
        }
    }

    private void beat(long requested, ServerCallStreamObserver<Heartbeat> out, ScheduledFuture<?> self) {
        if (out.isCancelled()) {
            if (self != null) {
                self.cancel(false);
            }
            return;
        }
        try {
            checkSession(requested);
            Heartbeat.Builder b = Heartbeat.newBuilder().setSessionId(requested);
            for (WalStatus s : wals.status()) {
                b.addServing(PchannelAssignment.newBuilder().setPchannel(s.pchannel()).setTerm(s.term()));
                b.addWal(WalStatusProto.of(s));
            }
            out.onNext(b.build());
        } catch (RuntimeException e) {
            if (self != null) {
                self.cancel(false);
            }
            fail(out, e);
        }
    }

    private void checkSession(long requested) {
        long mine = session.getAsLong();
        if (mine == 0) {
            throw StreamingException.onShutdown("this node's session was lost: it serves nothing until it registers"
                    + " again");
        }
        if (requested != mine) {
            throw new StreamingException(ErrorCode.UNMATCHED_CHANNEL_TERM, "this node is session " + mine + ", not "
                    + requested + " (it restarted, or registered again): the request was meant for an earlier life");
        }
    }

    private static <T> void reply(StreamObserver<T> responses, T value) {
        try {
            responses.onNext(value);
            responses.onCompleted();
        } catch (RuntimeException e) {
            LOG.debug("the caller went away before the answer: {}", e.toString());
        }
    }

    private static void fail(StreamObserver<?> responses, Throwable e) {
        try {
            responses.onError(GrpcErrors.toStatus(e));
        } catch (RuntimeException again) {
            LOG.debug("the caller went away before the answer: {}", again.toString());
        }
    }
}
