package io.tidelog.server;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.coord.Assignment;
import io.tidelog.coord.AssignmentView;
import io.tidelog.coord.StreamingCoordinator;
import io.tidelog.message.GrpcErrors;
import io.tidelog.message.MessageIds;
import io.tidelog.node.WalManager;
import io.tidelog.node.WalStatus;
import io.tidelog.node.retention.RetentionStatus;
import io.tidelog.proto.AllocateTimestampsRequest;
import io.tidelog.proto.AllocateTimestampsResponse;
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
import io.tidelog.proto.WatchAssignmentsRequest;
import io.tidelog.state.proto.PchannelState;
import io.tidelog.tso.TimestampOracle;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * The coordinator's gRPC face. Standalone: the node's status comes from the in-process {@link WalManager}.
 */
final class CoordinatorService extends CoordinatorGrpc.CoordinatorImplBase {
    private final StreamingCoordinator coordinator;
    private final WalManager localNode;
    private final String localNodeId;
    private final java.util.function.Supplier<String> localAddress;
    private final Executor background;

    CoordinatorService(StreamingCoordinator coordinator, WalManager localNode, String localNodeId,
                       java.util.function.Supplier<String> localAddress, Executor background) {
        this.coordinator = coordinator;
        this.localNode = localNode;
        this.localNodeId = localNodeId;
        this.localAddress = localAddress;
        this.background = background;
    }

    @Override
    public void watchAssignments(WatchAssignmentsRequest request, StreamObserver<AssignmentSnapshot> responses) {
        ServerCallStreamObserver<AssignmentSnapshot> out = (ServerCallStreamObserver<AssignmentSnapshot>) responses;
        long[] sent = {-1};
        AutoCloseable[] registration = new AutoCloseable[1];
        out.setOnCancelHandler(() -> closeQuietly(registration[0]));
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

    /** The served pchannels of {@code view}, and every pchannel of the cluster. */
    static AssignmentSnapshot toProto(AssignmentView view, List<String> pchannels) {
        AssignmentSnapshot.Builder b = AssignmentSnapshot.newBuilder().setVersion(view.version()).addAllPchannels(pchannels);
        for (Assignment a : view.assignments()) {
            if (a.state() == PchannelState.ASSIGNED) {
                b.addAssignments(PchannelAssignment.newBuilder().setPchannel(a.pchannel()).setTerm(a.term())
                        .setNodeId(a.nodeId()).setAddress(a.address()));
            }
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

    @Override
    public void getStatus(GetStatusRequest request, StreamObserver<ClusterStatus> responses) {
        Map<String, WalStatus> local = new HashMap<>();
        for (WalStatus s : localNode.status()) {
            local.put(s.pchannel(), s);
        }
        ClusterStatus.Builder b = ClusterStatus.newBuilder();
        b.addNodes(NodeStatus.newBuilder().setNodeId(localNodeId).setAddress(localAddress.get()).setAlive(true));
        // standalone: this process is the one coordinator, and leads
        b.addCoordinators(CoordinatorStatus.newBuilder().setCoordinatorId(localNodeId).setAddress(localAddress.get())
                .setLeader(true));
        for (Assignment a : coordinator.assignments().assignments()) {
            PchannelStatus.Builder p = PchannelStatus.newBuilder().setPchannel(a.pchannel()).setNodeId(a.nodeId())
                    .setTerm(a.term()).setState(stateName(a.state()));
            WalStatus s = local.get(a.pchannel());
            if (s != null && s.term() == a.term()) {
                p.setAvailable(s.available()).setLastTimeTick(s.lastTimeTick()).setInFlight(s.inFlight())
                        .setAppended(s.appended()).setBufferBytes(s.bufferBytes())
                        .setRetainedBytes(Math.max(0, s.retainedBytes()));
                if (s.lastId() != null) {
                    p.setLastId(MessageIds.toProto(s.lastId()));
                }
                RetentionStatus r = s.retention();
                if (r.earliest() != null) {
                    p.setEarliestId(MessageIds.toProto(r.earliest().messageId())).setEarliestTimeTick(r.earliest().timeTick());
                }
                if (r.truncatedBelow() != null) {
                    p.setTruncatedBelow(MessageIds.toProto(r.truncatedBelow()));
                }
                if (r.bound() != null) {
                    p.setTruncationBound(r.bound());
                }
                p.setSubscriptions(r.subscriptions()).setSubscriptionsLetGo(r.letGo());
                if (s.checkpoint() != null) {
                    p.setCheckpointId(MessageIds.toProto(s.checkpoint().messageId()))
                            .setCheckpointTimeTick(s.checkpoint().timeTick());
                }
                if (s.unavailableReason() != null) {
                    p.setUnavailableReason(s.unavailableReason());
                }
            }
            b.addPchannels(p);
        }
        responses.onNext(b.build());
        responses.onCompleted();
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
