package io.tidelog.client;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.tidelog.common.Backoff;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.GrpcErrors;
import io.tidelog.proto.AssignmentSnapshot;
import io.tidelog.proto.CoordinatorGrpc;
import io.tidelog.proto.PchannelAssignment;
import io.tidelog.proto.ReportAssignmentErrorRequest;
import io.tidelog.proto.ReportAssignmentErrorResponse;
import io.tidelog.proto.WatchAssignmentsRequest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Keeps the client's copy of the pchannel assignment: one {@code WatchAssignments} stream to the
 * coordinator, reopened with backoff whenever it ends; every accepted snapshot replaces the copy and then
 * runs the listener (on the executor, holding no lock). Within one stream a snapshot whose version is not
 * greater than the last is stale and dropped; the first snapshot of a new stream is always taken, since a
 * restarted coordinator may count versions anew.
 *
 * <p>A snapshot also lists every pchannel of the cluster, served or not: a pchannel not in that list does not
 * exist ({@link #isMissing}), and producers and consumers of it fail with {@code NOT_FOUND} instead of
 * waiting for an assignment that can never come.
 *
 * <p>Also sends {@code ReportAssignmentError} when a node refused the client. Thread-safe: lookups read
 * volatile immutable collections; the stream's state is guarded by {@code this}.
 */
final class AssignmentWatcher implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AssignmentWatcher.class.getName());
    private static final long REPORT_DEADLINE_MILLIS = 5_000;

    private final String target;
    private volatile Map<String, Assignment> assignments = Map.of();
    /**
     * Every pchannel of the cluster, from the last snapshot that listed them; {@code null} before the first
     * such snapshot (a coordinator that does not list them leaves it unknown).
     */
    private volatile Set<String> pchannels;
    /** Why the watch is down (null while it is up or was never tried). */
    private volatile StreamingException watchError;
    /** Completes with the first accepted snapshot. */
    private final java.util.concurrent.CompletableFuture<Map<String, Assignment>> first =
            new java.util.concurrent.CompletableFuture<>();

    private ClientContext ctx;
    private Runnable listener;
    private Backoff backoff;
    private WatchStream stream;
    private long version;
    private ScheduledFuture<?> retry;
    private boolean closed;

    AssignmentWatcher(String target) {
        this.target = target;
    }

    /** Opens the watch; {@code listener} runs after every accepted snapshot. */
    synchronized void start(ClientContext context, Runnable onChange) {
        this.ctx = context;
        this.listener = onChange;
        this.backoff = context.config().newBackoff();
        connect();
    }

    /** The current assignment of {@code pchannel}, or {@code null} if it has none (yet). */
    Assignment get(String pchannel) {
        return assignments.get(pchannel);
    }

    /** Every pchannel's current assignment (empty before the first snapshot). */
    Map<String, Assignment> all() {
        return assignments;
    }

    /** Completes with every pchannel's assignment once the first snapshot arrived. */
    java.util.concurrent.CompletableFuture<Map<String, Assignment>> firstSnapshot() {
        return first;
    }

    /** Why the watch is down, for error messages; {@code null} while it is up. */
    StreamingException watchError() {
        return watchError;
    }

    String target() {
        return target;
    }

    /**
     * Whether {@code pchannel} is known not to exist: a snapshot listed every pchannel of the cluster and
     * not this one. The set is fixed for the life of the data ({@code coord.pchannel.count}), so no wait
     * makes it appear. Before the first snapshot nothing is known and the answer is {@code false}.
     */
    boolean isMissing(String pchannel) {
        Set<String> all = pchannels;
        return all != null && !all.contains(pchannel);
    }

    /** The {@code NOT_FOUND} failure for a pchannel {@link #isMissing} says does not exist. */
    StreamingException notFound(String pchannel) {
        List<String> all = new ArrayList<>(pchannels);
        all.sort(Comparator.comparingInt(String::length).thenComparing(Comparator.naturalOrder()));
        String which = all.size() == 1 ? all.get(0) : all.get(0) + " to " + all.get(all.size() - 1);
        return new StreamingException(ErrorCode.NOT_FOUND, "pchannel " + pchannel + " does not exist: the cluster at "
                + target + " has " + all.size() + (all.size() == 1 ? " pchannel, " : " pchannels, ") + which);
    }

    /** Why {@code pchannel} has no assignment, for error messages: none yet, or the watch failed and why. */
    String whyUnassigned(String pchannel) {
        StreamingException watch = watchError;
        return "pchannel " + pchannel + " has no assignment" + (watch == null ? ""
                : "; the assignment watch on the coordinator at " + target + " failed: " + watch.getMessage());
    }

    /** Tells the coordinator that the node of {@code refused} refused the client with {@code error}; fire and forget. */
    void report(Assignment refused, StreamingException error) {
        ReportAssignmentErrorRequest req = ReportAssignmentErrorRequest.newBuilder()
                .setPchannel(refused.pchannel())
                .setTerm(refused.term())
                .setError(GrpcErrors.toProto(error))
                .build();
        try {
            CoordinatorGrpc.newStub(ctx.channels().get(target))
                    .withDeadlineAfter(REPORT_DEADLINE_MILLIS, TimeUnit.MILLISECONDS)
                    .reportAssignmentError(req, new StreamObserver<ReportAssignmentErrorResponse>() {
                        @Override
                        public void onNext(ReportAssignmentErrorResponse value) {
                        }

                        @Override
                        public void onError(Throwable t) {
                            LOG.log(System.Logger.Level.DEBUG, "report of " + refused + " failed: " + t);
                        }

                        @Override
                        public void onCompleted() {
                        }
                    });
        } catch (StreamingException e) {
            LOG.log(System.Logger.Level.DEBUG, "report of " + refused + " not sent: " + e.getMessage());
        }
    }

    private synchronized void connect() {
        retry = null;
        if (closed) {
            return;
        }
        WatchStream s = new WatchStream();
        stream = s;
        try {
            CoordinatorGrpc.newStub(ctx.channels().get(target)).watchAssignments(
                    WatchAssignmentsRequest.getDefaultInstance(), s);
        } catch (StreamingException e) {
            stream = null;
        }
    }

    private void accepted(WatchStream s, AssignmentSnapshot snapshot) {
        Runnable notify;
        synchronized (this) {
            if (s != stream || closed || (s.received && snapshot.getVersion() <= version)) {
                return;
            }
            s.received = true;
            version = snapshot.getVersion();
            backoff.reset();
            watchError = null;
            Map<String, Assignment> next = new HashMap<>();
            for (PchannelAssignment a : snapshot.getAssignmentsList()) {
                next.put(a.getPchannel(), Assignment.fromProto(a));
            }
            assignments = Map.copyOf(next);
            if (snapshot.getPchannelsCount() > 0) {
                pchannels = Set.copyOf(snapshot.getPchannelsList());
            }
            notify = listener;
        }
        first.complete(assignments);
        notify.run();
    }

    private synchronized void ended(WatchStream s, StreamingException error) {
        if (s != stream || closed) {
            return;
        }
        stream = null;
        watchError = error;
        retry = ctx.schedule(this::connect, backoff.nextNanos());
    }

    /** Cancels the watch and its retry. */
    @Override
    public void close() {
        WatchStream s;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            ClientContext.cancel(retry);
            s = stream;
            stream = null;
        }
        if (s != null && s.call != null) {
            s.call.cancel("client closed", null);
        }
    }

    private final class WatchStream implements ClientResponseObserver<WatchAssignmentsRequest, AssignmentSnapshot> {
        ClientCallStreamObserver<WatchAssignmentsRequest> call;
        boolean received;

        @Override
        public void beforeStart(ClientCallStreamObserver<WatchAssignmentsRequest> requestStream) {
            call = requestStream;
        }

        @Override
        public void onNext(AssignmentSnapshot snapshot) {
            accepted(this, snapshot);
        }

        @Override
        public void onError(Throwable t) {
            ended(this, GrpcErrors.fromThrowable(t, "coordinator at " + target));
        }

        @Override
        public void onCompleted() {
            ended(this, new StreamingException(ErrorCode.ON_SHUTDOWN, "coordinator at " + target
                    + " ended the assignment watch"));
        }
    }
}
