package io.tidelog.client;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Consumer;

/**
 * Keeps the client's copy of the pchannel assignment: one {@code WatchAssignments} stream to the leading
 * coordinator ({@link Coordinators}), reopened whenever it ends: on the leader a {@code NOT_LEADER} names, else
 * on the next address, waiting the reconnect backoff once per round of {@link Coordinators#size()} failures
 * without a snapshot (with one address: after every failure); every accepted snapshot replaces the copy and then
 * runs the listener (on the executor, holding no lock). Within one stream a snapshot whose version is not
 * greater than the last is stale and dropped; the first snapshot of a new stream is always taken, since a
 * restarted coordinator may count versions anew.
 *
 * <p>A snapshot also lists every pchannel of the cluster, served or not: a pchannel not in that list does not
 * exist ({@link #cannotServe}), and producers and consumers of it fail with {@code NOT_FOUND} instead of
 * waiting for an assignment that can never come. Likewise, while the coordinator refuses the client's credentials
 * ({@code UNAUTHENTICATED}, {@code PERMISSION_DENIED}: no token, an unknown one, a role that may not watch), every
 * pchannel fails at once with that refusal; the watch keeps trying (the server's token file may change), and its
 * next snapshot ends the refusal.
 *
 * <p>Also sends {@code ReportAssignmentError} when a node refused the client. Thread-safe: lookups read
 * volatile immutable collections; the stream's state is guarded by {@code this}.
 */
final class AssignmentWatcher implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AssignmentWatcher.class.getName());
    private static final Duration REPORT_DEADLINE = Duration.ofSeconds(5);

    private final Coordinators coordinators;
    private volatile Map<String, Assignment> assignments = Map.of();
    /** Every replica of the last snapshot, in its order; by vchannel in {@link #replicasByVchannel}. */
    private volatile List<ReplicaLocation> replicas = List.of();
    private volatile Map<String, List<ReplicaLocation>> replicasByVchannel = Map.of();
    /** Called with {@link #replicas} after every accepted snapshot. */
    private final List<Consumer<List<ReplicaLocation>>> replicaListeners = new CopyOnWriteArrayList<>();
    /**
     * Every pchannel of the cluster, from the last snapshot that listed them; {@code null} before the first
     * such snapshot (a coordinator that does not list them leaves it unknown).
     */
    private volatile Set<String> pchannels;
    /** Why the watch is down (null while it is up or was never tried). */
    private volatile StreamingException watchError;
    /** The auth failure the last watch ended with, while no snapshot came after it; null otherwise. */
    private volatile StreamingException refusal;
    /** The coordinator whose stream ended with {@link #watchError}. */
    private volatile String watchErrorFrom;
    /** Completes with the first accepted snapshot. */
    private final java.util.concurrent.CompletableFuture<Map<String, Assignment>> first =
            new java.util.concurrent.CompletableFuture<>();

    private ClientContext ctx;
    private Runnable listener;
    private Backoff backoff;
    private WatchStream stream;
    private long version;
    /** Streams that ended since the last accepted snapshot. */
    private int failures;
    private ScheduledFuture<?> retry;
    private boolean closed;

    AssignmentWatcher(Coordinators coordinators) {
        this.coordinators = coordinators;
    }

    /** Opens the watch; {@code listener} runs after every accepted snapshot. */
    synchronized void start(ClientContext context, Runnable onChange) {
        this.ctx = context;
        this.listener = onChange;
        this.backoff = context.config().newBackoff();
        connect(coordinators.leader());
    }

    /** The current assignment of {@code pchannel}, or {@code null} if it has none (yet). */
    Assignment get(String pchannel) {
        return assignments.get(pchannel);
    }

    /** The replicas of {@code vchannel} (other than its owner's delegator), ordered by node id; empty if none. */
    List<ReplicaLocation> replicasOf(String vchannel) {
        return replicasByVchannel.getOrDefault(vchannel, List.of());
    }

    /**
     * Calls {@code listener} with every replica of the cluster now (if a snapshot arrived) and after every accepted
     * snapshot, on the thread that accepted it (it must not block); close to stop.
     */
    AutoCloseable watchReplicas(Consumer<List<ReplicaLocation>> listener) {
        replicaListeners.add(listener);
        if (first.isDone()) {
            listener.accept(replicas);
        }
        return () -> replicaListeners.remove(listener);
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

    /** The coordinators' addresses as given, comma-separated, for messages. */
    String target() {
        return coordinators.toString();
    }

    /**
     * Whether {@code pchannel} is known not to exist: a snapshot listed every pchannel of the cluster and
     * not this one. The set is fixed for the life of the data ({@code coord.pchannel.count}), so no wait
     * makes it appear. Before the first snapshot nothing is known and the answer is {@code false}.
     */
    boolean cannotServe(String pchannel) {
        Set<String> all = pchannels;
        return refusal != null || (all != null && !all.contains(pchannel));
    }

    /**
     * Why {@link #cannotServe} holds: the coordinator's refusal of the client's credentials, else the
     * {@code NOT_FOUND} failure for a pchannel the cluster does not have.
     */
    StreamingException whyCannotServe(String pchannel) {
        StreamingException refused = refusal;
        if (refused != null) {
            return new StreamingException(refused.code(), "the coordinator at " + watchErrorFrom + " refused the"
                    + " client: " + refused.detail(), refused);
        }
        List<String> all = new ArrayList<>(pchannels);
        all.sort(Comparator.comparingInt(String::length).thenComparing(Comparator.naturalOrder()));
        String which = all.size() == 1 ? all.get(0) : all.get(0) + " to " + all.get(all.size() - 1);
        return new StreamingException(ErrorCode.NOT_FOUND, "pchannel " + pchannel + " does not exist: the cluster at "
                + coordinators + " has " + all.size() + (all.size() == 1 ? " pchannel, " : " pchannels, ") + which);
    }

    /** Why {@code pchannel} has no assignment, for error messages: none yet, or the watch failed and why. */
    String whyUnassigned(String pchannel) {
        StreamingException watch = watchError;
        return "pchannel " + pchannel + " has no assignment" + (watch == null ? ""
                : "; the assignment watch on the coordinator at " + watchErrorFrom + " failed: " + watch.getMessage());
    }

    /** Tells the coordinator that the node of {@code refused} refused the client with {@code error}; fire and forget. */
    void report(Assignment refused, StreamingException error) {
        ReportAssignmentErrorRequest req = ReportAssignmentErrorRequest.newBuilder()
                .setPchannel(refused.pchannel())
                .setTerm(refused.term())
                .setError(GrpcErrors.toProto(error))
                .build();
        CoordinatorCalls.<CoordinatorGrpc.CoordinatorStub, ReportAssignmentErrorResponse, ReportAssignmentErrorResponse>call(
                ctx, CoordinatorGrpc::newStub, REPORT_DEADLINE, (stub, out) -> stub.reportAssignmentError(req, out),
                r -> r).whenComplete((r, e) -> {
                    if (e != null) {
                        LOG.log(System.Logger.Level.DEBUG, "report of " + refused + " failed: " + e);
                    }
                });
    }

    private synchronized void connect(String address) {
        retry = null;
        if (closed) {
            return;
        }
        WatchStream s = new WatchStream(address);
        stream = s;
        try {
            CoordinatorGrpc.newStub(ctx.channels().get(address)).watchAssignments(
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
            failures = 0;
            watchError = null;
            refusal = null;
            coordinators.answered(s.address);
            Map<String, Assignment> next = new HashMap<>();
            for (PchannelAssignment a : snapshot.getAssignmentsList()) {
                next.put(a.getPchannel(), Assignment.fromProto(a));
            }
            assignments = Map.copyOf(next);
            if (snapshot.getPchannelsCount() > 0) {
                pchannels = Set.copyOf(snapshot.getPchannelsList());
            }
            List<ReplicaLocation> all = snapshot.getReplicasList().stream().map(ReplicaLocation::fromProto).toList();
            Map<String, List<ReplicaLocation>> byVchannel = new HashMap<>();
            for (ReplicaLocation r : all) {
                byVchannel.computeIfAbsent(r.vchannel(), v -> new ArrayList<>()).add(r);
            }
            byVchannel.replaceAll((v, l) -> List.copyOf(l));
            replicas = all;
            replicasByVchannel = Map.copyOf(byVchannel);
            notify = listener;
        }
        first.complete(assignments);
        notify.run();
        List<ReplicaLocation> now = replicas;
        for (Consumer<List<ReplicaLocation>> l : replicaListeners) {
            try {
                l.accept(now);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "a replica listener failed: " + e);
            }
        }
    }

    private synchronized void ended(WatchStream s, StreamingException error) {
        if (s != stream || closed) {
            return;
        }
        stream = null;
        watchErrorFrom = s.address; // first: a reader reads watchError, then where it came from
        watchError = error;
        if (error.isAuthFailure()) {
            refusal = error;
            ctx.dispatch(listener); // producers and consumers waiting for an assignment fail with the refusal
        }
        String next = coordinators.failed(s.address, GrpcErrors.leaderHint(error));
        failures++;
        long delay = failures % coordinators.size() == 0 ? backoff.nextNanos() : 0;
        retry = ctx.schedule(() -> connect(next), delay);
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
        final String address;
        ClientCallStreamObserver<WatchAssignmentsRequest> call;
        boolean received;

        WatchStream(String address) {
            this.address = address;
        }

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
            ended(this, GrpcErrors.fromThrowable(t, "coordinator at " + address));
        }

        @Override
        public void onCompleted() {
            ended(this, new StreamingException(ErrorCode.ON_SHUTDOWN, "coordinator at " + address
                    + " ended the assignment watch"));
        }
    }
}
