package io.tidelog.server;

import io.grpc.MethodDescriptor;
import io.tidelog.proto.CollectionServiceGrpc;
import io.tidelog.proto.CoordinatorGrpc;
import io.tidelog.proto.NodeControlGrpc;
import io.tidelog.proto.QueryServiceGrpc;
import io.tidelog.proto.StreamingNodeGrpc;
import java.util.HashMap;
import java.util.Map;

/**
 * The one table of the role each gRPC method needs. A method not in it needs {@link Role#ADMIN} (default deny), so
 * a new RPC is closed until someone decides otherwise here; {@code MethodRolesTest} fails until every method of every
 * service is listed. Immutable.
 */
final class MethodRoles {
    private static final Map<String, Role> TABLE = table();

    private MethodRoles() {
    }

    private static Map<String, Role> table() {
        Map<String, Role> t = new HashMap<>();
        // The streaming node: produce writes (a DDL message in it needs admin: ProduceSession checks), the rest reads.
        put(t, StreamingNodeGrpc.getProduceMethod(), Role.WRITE);
        put(t, StreamingNodeGrpc.getConsumeMethod(), Role.READ);
        put(t, StreamingNodeGrpc.getSubscribeMethod(), Role.READ);
        put(t, StreamingNodeGrpc.getCommitSubscriptionMethod(), Role.READ);
        put(t, StreamingNodeGrpc.getListSubscriptionsMethod(), Role.READ);
        // Removing a subscription lets the WAL truncate what its consumer has not read.
        put(t, StreamingNodeGrpc.getDeleteSubscriptionMethod(), Role.WRITE);
        // The coordinator: what every client needs to find the nodes, and status; TSO batches and drains are the
        // members' and operators' business.
        put(t, CoordinatorGrpc.getWatchAssignmentsMethod(), Role.READ);
        put(t, CoordinatorGrpc.getReportAssignmentErrorMethod(), Role.READ);
        put(t, CoordinatorGrpc.getGetStatusMethod(), Role.READ);
        put(t, CoordinatorGrpc.getAllocateTimestampsMethod(), Role.ADMIN);
        put(t, CoordinatorGrpc.getDrainNodeMethod(), Role.ADMIN);
        // The coordinator's calls to the nodes.
        put(t, NodeControlGrpc.getAssignMethod(), Role.ADMIN);
        put(t, NodeControlGrpc.getRemoveMethod(), Role.ADMIN);
        put(t, NodeControlGrpc.getHeartbeatsMethod(), Role.ADMIN);
        // Collections: DDL and flush need admin; descriptions and listings read.
        put(t, CollectionServiceGrpc.getCreateCollectionMethod(), Role.ADMIN);
        put(t, CollectionServiceGrpc.getDropCollectionMethod(), Role.ADMIN);
        put(t, CollectionServiceGrpc.getAlterCollectionMethod(), Role.ADMIN);
        put(t, CollectionServiceGrpc.getCreatePartitionMethod(), Role.ADMIN);
        put(t, CollectionServiceGrpc.getDropPartitionMethod(), Role.ADMIN);
        put(t, CollectionServiceGrpc.getFlushMethod(), Role.ADMIN);
        put(t, CollectionServiceGrpc.getDescribeCollectionMethod(), Role.READ);
        put(t, CollectionServiceGrpc.getListCollectionsMethod(), Role.READ);
        put(t, CollectionServiceGrpc.getListSegmentsMethod(), Role.READ);
        put(t, QueryServiceGrpc.getQueryMethod(), Role.READ);
        put(t, QueryServiceGrpc.getSearchMethod(), Role.READ);
        return Map.copyOf(t);
    }

    private static void put(Map<String, Role> t, MethodDescriptor<?, ?> method, Role role) {
        t.put(method.getFullMethodName(), role);
    }

    /** The role {@code fullMethodName} ({@code service/method}) needs: its entry, else admin. */
    static Role needed(String fullMethodName) {
        return TABLE.getOrDefault(fullMethodName, Role.ADMIN);
    }

    /** Every method listed, by full name: for the test that nothing is missing. */
    static Map<String, Role> all() {
        return TABLE;
    }
}
