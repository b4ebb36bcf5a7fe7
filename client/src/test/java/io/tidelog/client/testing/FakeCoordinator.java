package io.tidelog.client.testing;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.tidelog.proto.AllocateTimestampsRequest;
import io.tidelog.proto.AllocateTimestampsResponse;
import io.tidelog.proto.AssignmentSnapshot;
import io.tidelog.proto.ClusterStatus;
import io.tidelog.proto.CoordinatorGrpc;
import io.tidelog.proto.GetStatusRequest;
import io.tidelog.proto.PchannelAssignment;
import io.tidelog.proto.ReportAssignmentErrorRequest;
import io.tidelog.proto.ReportAssignmentErrorResponse;
import io.tidelog.proto.WatchAssignmentsRequest;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A coordinator for tests: pushes a full snapshot to every watcher on every change, records reports, answers
 * status with whatever the test set. Thread-safe; snapshots are pushed under its lock, so every watcher sees
 * them in version order.
 */
public final class FakeCoordinator extends CoordinatorGrpc.CoordinatorImplBase {
    private final Map<String, PchannelAssignment> assignments = new TreeMap<>();
    private final Set<ServerCallStreamObserver<AssignmentSnapshot>> watchers = new HashSet<>();
    private final BlockingQueue<ReportAssignmentErrorRequest> reports = new LinkedBlockingQueue<>();
    private final AtomicLong timestamps = new AtomicLong(1);
    private volatile ClusterStatus status = ClusterStatus.getDefaultInstance();
    private long version;
    /** Every pchannel of the cluster, listed in snapshots; empty: not listed (a coordinator that does not say). */
    private List<String> pchannels = List.of();
    /** While true no snapshot is sent: watchers wait for their first one. */
    private boolean silent;

    FakeCoordinator() {
    }

    /** Assigns {@code pchannel} and pushes the new snapshot. */
    public synchronized void assign(String pchannel, long term, String nodeId, String address) {
        assignments.put(pchannel, PchannelAssignment.newBuilder().setPchannel(pchannel).setTerm(term)
                .setNodeId(nodeId).setAddress(address).build());
        push();
    }

    /** Removes {@code pchannel}'s assignment and pushes the new snapshot. */
    public synchronized void unassign(String pchannel) {
        assignments.remove(pchannel);
        push();
    }

    /** Lists {@code all} as every pchannel of the cluster in the snapshots from now on, and pushes one. */
    public synchronized void declarePchannels(String... all) {
        pchannels = List.of(all);
        push();
    }

    /** Sends no snapshot (not even a watch's first) until {@link #speak()}. */
    public synchronized void silence() {
        silent = true;
    }

    /** Ends {@link #silence()}: every watcher gets the current snapshot. */
    public synchronized void speak() {
        silent = false;
        push();
    }

    /** Every report received, in order. */
    public BlockingQueue<ReportAssignmentErrorRequest> reports() {
        return reports;
    }

    public void setStatus(ClusterStatus s) {
        this.status = s;
    }

    public synchronized int watchers() {
        return watchers.size();
    }

    /** Ends every watch with {@code UNAVAILABLE}, like a coordinator restart. */
    public void breakWatches() {
        endWatches(Status.UNAVAILABLE.withDescription("coordinator restarting (fake)").asRuntimeException());
    }

    /** Ends every watch with {@code error}, for example the {@code NOT_LEADER} of a deposed leader. */
    public synchronized void endWatches(Throwable error) {
        for (ServerCallStreamObserver<AssignmentSnapshot> w : watchers) {
            w.onError(error);
        }
        watchers.clear();
    }

    private void push() {
        version++;
        if (silent) {
            return;
        }
        AssignmentSnapshot s = snapshot();
        for (ServerCallStreamObserver<AssignmentSnapshot> w : watchers) {
            w.onNext(s);
        }
    }

    private AssignmentSnapshot snapshot() {
        return AssignmentSnapshot.newBuilder().setVersion(version).addAllAssignments(assignments.values())
                .addAllPchannels(pchannels).build();
    }

    @Override
    public synchronized void watchAssignments(WatchAssignmentsRequest request, StreamObserver<AssignmentSnapshot> out) {
        ServerCallStreamObserver<AssignmentSnapshot> w = (ServerCallStreamObserver<AssignmentSnapshot>) out;
        w.setOnCancelHandler(() -> {
            synchronized (this) {
                watchers.remove(w);
            }
        });
        watchers.add(w);
        if (!silent) {
            w.onNext(snapshot());
        }
    }

    @Override
    public void reportAssignmentError(ReportAssignmentErrorRequest request, StreamObserver<ReportAssignmentErrorResponse> out) {
        reports.add(request);
        out.onNext(ReportAssignmentErrorResponse.getDefaultInstance());
        out.onCompleted();
    }

    @Override
    public void getStatus(GetStatusRequest request, StreamObserver<ClusterStatus> out) {
        out.onNext(status);
        out.onCompleted();
    }

    @Override
    public void allocateTimestamps(AllocateTimestampsRequest request, StreamObserver<AllocateTimestampsResponse> out) {
        long first = timestamps.getAndAdd(request.getCount());
        out.onNext(AllocateTimestampsResponse.newBuilder().setFirst(first).setCount(request.getCount()).build());
        out.onCompleted();
    }
}
