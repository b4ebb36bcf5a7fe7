package io.tidelog.server;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.coord.Assignment;
import io.tidelog.coord.AssignmentView;
import io.tidelog.coord.Replica;
import io.tidelog.coord.StreamingCoordinator;
import io.tidelog.message.GrpcErrors;
import io.tidelog.node.WalManager;
import io.tidelog.proto.AllocateTimestampsRequest;
import io.tidelog.proto.AllocateTimestampsResponse;
import io.tidelog.proto.DrainNodeRequest;
import io.tidelog.proto.DrainNodeResponse;
import io.tidelog.proto.AssignmentSnapshot;
import io.tidelog.proto.ClusterStatus;
import io.tidelog.proto.CoordinatorGrpc;
import io.tidelog.proto.CoordinatorStatus;
import io.tidelog.proto.GetStatusRequest;
import io.tidelog.proto.NodeStatus;
import io.tidelog.proto.PchannelAssignment;
import io.tidelog.proto.PchannelStatus;
import io.tidelog.proto.ReportAssignmentErrorRequest;
import io.tidelog.proto.ReportAssignmentErrorResponse;
import io.tidelog.proto.VchannelReplica;
import io.tidelog.proto.WatchAssignmentsRequest;
import io.tidelog.state.proto.PchannelState;
import io.tidelog.tso.TimestampOracle;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * The coordinator's gRPC face, for one coordinator that leads: standalone, for the life of the process; in a
 * cluster, for one leadership ({@link #endWatches} ends its assignment streams when it is over, so that clients
 * look for the next leader at once).
 */
final class CoordinatorService extends CoordinatorGrpc.CoordinatorImplBase {
    /** What the coordinator knows of the nodes and coordinators beyond the assignments. */
    interface StatusSource {
        /** Every node known, with whether it is alive. */
        List<NodeStatus> nodes();

        /**
         * The WAL status of the pchannels served by nodes whose status is at hand (standalone: the local node; a
         * cluster: the nodes' last heartbeats), each with its pchannel and term.
         */
        List<PchannelStatus> walStatus();

        /** Every coordinator with a live session, the leader marked. */
        List<CoordinatorStatus> coordinators();
    }

    private final StreamingCoordinator coordinator;
    private final StatusSource source;
    private final Executor background;
    /** The open assignment streams, to end them when the leadership is over. */
    private final Set<ServerCallStreamObserver<AssignmentSnapshot>> watches = ConcurrentHashMap.newKeySet();
    private volatile StreamingException ended;

    CoordinatorService(StreamingCoordinator coordinator, StatusSource source, Executor background) {
        this.coordinator = coordinator;
        this.source = source;
        this.background = background;
    }

    /** The status source of a standalone server: its one node, and itself as the leading coordinator. */
    static StatusSource standalone(WalManager localNode, String localNodeId, Supplier<String> localAddress) {
        return new StatusSource() {
            @Override
            public List<NodeStatus> nodes() {
                return List.of(NodeStatus.newBuilder().setNodeId(localNodeId).setAddress(localAddress.get())
                        .setAlive(true).build());
            }

            @Override
            public List<PchannelStatus> walStatus() {
                return WalStatusProto.all(localNode.status());
            }

            @Override
            public List<CoordinatorStatus> coordinators() {
                return List.of(CoordinatorStatus.newBuilder().setCoordinatorId(localNodeId)
                        .setAddress(localAddress.get()).setLeader(true).build());
            }
        };
    }

    /** Ends every open assignment stream with {@code why} (a lost leadership: NOT_LEADER), and any opened later. */
    void endWatches(StreamingException why) {
        ended = why;
        for (ServerCallStreamObserver<AssignmentSnapshot> out : watches) {
            fail(out, why);
        }
        watches.clear();
    }

    private static void fail(StreamObserver<?> out, Throwable why) {
        try {
            out.onError(GrpcErrors.toStatus(why));
        } catch (RuntimeException e) {
            // the stream is over already
        }
    }

    @Override
    public void watchAssignments(WatchAssignmentsRequest request, StreamObserver<AssignmentSnapshot> responses) {
        ServerCallStreamObserver<AssignmentSnapshot> out = (ServerCallStreamObserver<AssignmentSnapshot>) responses;
        long[] sent = {-1};
        AutoCloseable[] registration = new AutoCloseable[1];
        out.setOnCancelHandler(() -> {
            watches.remove(out);
            closeQuietly(registration[0]);
        });
        watches.add(out);
        StreamingException over = ended;
        if (over != null) {
            watches.remove(out);
            fail(out, over);
            return;
        }
        registration[0] = coordinator.watch(view -> {
            synchronized (sent) {
                // views may race past each other on their way here: never send an older one
                if (view.version() > sent[0] && !out.isCancelled()) {
                    sent[0] = view.version();
                    out.onNext(toProto(view, coordinator.pchannels()));
                }
            }
        });
        if (out.isCancelled()) {
            closeQuietly(registration[0]);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // nothing to release beyond the registration
            }
        }
    }

    /** The served pchannels of {@code view}, its replicas, and every pchannel of the cluster. */
    static AssignmentSnapshot toProto(AssignmentView view, List<String> pchannels) {
        AssignmentSnapshot.Builder b = AssignmentSnapshot.newBuilder().setVersion(view.version()).addAllPchannels(pchannels);
        for (Assignment a : view.assignments()) {
            if (a.state() == PchannelState.ASSIGNED) {
                b.addAssignments(PchannelAssignment.newBuilder().setPchannel(a.pchannel()).setTerm(a.term())
                        .setNodeId(a.nodeId()).setAddress(a.address()));
            }
        }
        for (Replica r : view.replicas()) {
            b.addReplicas(VchannelReplica.newBuilder().setVchannel(r.vchannel()).setCollectionId(r.collectionId())
                    .setNodeId(r.nodeId()).setAddress(r.address()));
        }
        return b.build();
    }

    @Override
    public void reportAssignmentError(ReportAssignmentErrorRequest request,
                                      StreamObserver<ReportAssignmentErrorResponse> responses) {
        ErrorCode code = ErrorCode.fromCode(request.getError().getCode());
        background.execute(() -> coordinator.reportError(request.getPchannel(), request.getTerm(), code,
                request.getError().getMessage()));
        responses.onNext(ReportAssignmentErrorResponse.getDefaultInstance());
        responses.onCompleted();
    }

    /**
     * Answers when the node holds no pchannel; if the caller goes away first, the drain goes on. A term that ends
     * meanwhile fails the call with {@code NOT_LEADER}, and the client asks the next leader, which finds the drain
     * persisted and answers when it is done.
     */
    @Override
    public void drainNode(DrainNodeRequest request, StreamObserver<DrainNodeResponse> responses) {
        if (request.getNodeId().isBlank()) {
            responses.onError(GrpcErrors.toStatus(StreamingException.invalidArgument("a node id is required")));
            return;
        }
        coordinator.assigner().drain(request.getNodeId()).whenCompleteAsync((session, err) -> {
            if (err != null) {
                responses.onError(GrpcErrors.toStatus(err));
            } else {
                responses.onNext(DrainNodeResponse.newBuilder().setSessionId(session).build());
                responses.onCompleted();
            }
        }, background);
    }

    @Override
    public void getStatus(GetStatusRequest request, StreamObserver<ClusterStatus> responses) {
        responses.onNext(status());
        responses.onCompleted();
    }

    /**
     * What {@code GetStatus} answers (and the status page shows): every pchannel's assignment (owner, term, state)
     * merged with its WAL's status where at hand, the nodes, the coordinators and the replicas.
     */
    ClusterStatus status() {
        Map<String, PchannelStatus> local = new HashMap<>();
        for (PchannelStatus s : source.walStatus()) {
            local.put(s.getPchannel(), s);
        }
        ClusterStatus.Builder b = ClusterStatus.newBuilder();
        List<NodeStatus> nodes = source.nodes();
        Set<String> alive = new java.util.HashSet<>();
        for (NodeStatus n : nodes) {
            if (n.getAlive()) {
                alive.add(n.getNodeId());
            }
        }
        b.addAllNodes(nodes);
        b.addAllCoordinators(source.coordinators());
        for (Replica r : coordinator.assignments().replicas()) {
            b.addReplicas(VchannelReplica.newBuilder().setVchannel(r.vchannel()).setCollectionId(r.collectionId())
                    .setNodeId(r.nodeId()).setAddress(r.address()));
        }
        for (Assignment a : coordinator.assignments().assignments()) {
            PchannelStatus.Builder p = PchannelStatus.newBuilder().setPchannel(a.pchannel()).setNodeId(a.nodeId())
                    .setTerm(a.term()).setState(stateName(a.state()));
            PchannelStatus s = local.get(a.pchannel());
            if (s == null) {
                // a node whose WAL status is not at hand here: served if ASSIGNED to a node that answers
                p.setAvailable(a.state() == PchannelState.ASSIGNED && alive.contains(a.nodeId()));
            } else if (s.getTerm() == a.term()) {
                p.mergeFrom(s).setNodeId(a.nodeId()).setState(stateName(a.state()));
            }
            b.addPchannels(p);
        }
        return b.build();
    }

    /** The state as {@code status} shows it: ASSIGNING, ASSIGNED or UNASSIGNED. */
    static String stateName(PchannelState state) {
        return switch (state) {
            case ASSIGNING -> "ASSIGNING";
            case ASSIGNED -> "ASSIGNED";
            default -> "UNASSIGNED";
        };
    }

    @Override
    public void allocateTimestamps(AllocateTimestampsRequest request, StreamObserver<AllocateTimestampsResponse> responses) {
        try {
            int count = request.getCount() == 0 ? 1 : request.getCount();
            if (count < 0 || count > TimestampOracle.MAX_BATCH) {
                throw StreamingException.invalidArgument("count must lie in [1, " + TimestampOracle.MAX_BATCH + "]");
            }
            long first = coordinator.tso().allocate(count);
            responses.onNext(AllocateTimestampsResponse.newBuilder().setFirst(first).setCount(count).build());
            responses.onCompleted();
        } catch (RuntimeException e) {
            responses.onError(GrpcErrors.toStatus(e));
        }
    }
}
