package io.tidelog.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.tidelog.client.testing.FakeCatalog;
import io.tidelog.client.testing.FakeErrors;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.AssignmentSnapshot;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.Column;
import io.tidelog.proto.CoordinatorGrpc;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import io.tidelog.proto.Int64Array;
import io.tidelog.proto.PchannelAssignment;
import io.tidelog.proto.QueryServiceGrpc;
import io.tidelog.proto.ShardQueryRequest;
import io.tidelog.proto.ShardQueryResponse;
import io.tidelog.proto.VchannelReplica;
import io.tidelog.proto.WatchAssignmentsRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Queries of a vchannel with a replica: the owner of the pchannel is asked first, and when it cannot be reached or
 * answers a retriable error the replica is asked at once, when it does not answer in time the replica is asked
 * too; a final error of the owner is the query's.
 */
class ReplicaQueriesTest {
    static final AtomicInteger CLUSTERS = new AtomicInteger();
    final String prefix = "replica-queries-" + CLUSTERS.incrementAndGet() + "-";
    final List<Server> servers = new ArrayList<>();
    final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        servers.forEach(Server::shutdownNow);
    }

    /** A coordinator whose one snapshot has p-0 on n1 and a replica of collection 100's vchannel on n2. */
    static final class OneSnapshot extends CoordinatorGrpc.CoordinatorImplBase {
        final AssignmentSnapshot snapshot;

        OneSnapshot(String ownerAddress, String replicaAddress) {
            snapshot = AssignmentSnapshot.newBuilder().setVersion(1).addPchannels("p-0")
                    .addAssignments(PchannelAssignment.newBuilder().setPchannel("p-0").setTerm(1).setNodeId("n1")
                            .setAddress(ownerAddress))
                    .addReplicas(VchannelReplica.newBuilder().setVchannel("p-0_100v0").setCollectionId(100)
                            .setNodeId("n2").setAddress(replicaAddress))
                    .build();
        }

        @Override
        public void watchAssignments(WatchAssignmentsRequest request, StreamObserver<AssignmentSnapshot> out) {
            out.onNext(snapshot);
        }
    }

    /** A delegator of a node that stopped without closing its connections: it never answers. */
    static final class Silent extends QueryServiceGrpc.QueryServiceImplBase {
        @Override
        public void query(ShardQueryRequest request, StreamObserver<ShardQueryResponse> out) {
        }
    }

    /** A delegator that answers the keys it holds, or fails every query with {@code error}. */
    static final class Delegator extends QueryServiceGrpc.QueryServiceImplBase {
        final List<Long> keys;
        final ErrorCode error;
        final AtomicInteger asked = new AtomicInteger();

        Delegator(List<Long> keys, ErrorCode error) {
            this.keys = keys;
            this.error = error;
        }

        @Override
        public void query(ShardQueryRequest request, StreamObserver<ShardQueryResponse> out) {
            asked.incrementAndGet();
            if (error != null) {
                out.onError(FakeErrors.status(error, "delegator says " + error));
                return;
            }
            out.onNext(ShardQueryResponse.newBuilder().setNumRows(keys.size()).addColumns(Column.newBuilder()
                    .setFieldName("id").setInt64S(Int64Array.newBuilder().addAllValues(keys))).build());
            out.onCompleted();
        }
    }

    /** The in-process address of member {@code name} (host:port, as the client wants it). */
    String at(String name) {
        return prefix + name + ":19530";
    }

    void serve(String name, io.grpc.BindableService... services) throws Exception {
        InProcessServerBuilder b = InProcessServerBuilder.forName(at(name));
        for (io.grpc.BindableService s : services) {
            b.addService(s);
        }
        servers.add(b.build().start());
    }

    /** A client of the coordinator, with a collection "c" of one shard created (id 100, vchannel p-0_100v0). */
    StreamingClient client() throws Exception {
        StreamingClient c = StreamingClient.builder().target(at("coord"))
                .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
                .channelBuilders(InProcessChannelBuilder::forName).build();
        toClose.add(c);
        c.collections().createBlocking("c", CollectionSchema.newBuilder().addFields(FieldSchema.newBuilder()
                .setName("id").setType(DataType.INT64).setPrimaryKey(true)).build());
        return c;
    }

    static List<Object> ids(List<Map<String, Object>> rows) {
        return rows.stream().map(r -> r.get("id")).toList();
    }

    QueryOptions within(Duration d) {
        return QueryOptions.defaults().withTimeout(d);
    }

    @Test
    void aQueryWhoseOwnerCannotBeReachedIsAnsweredByTheReplicaAtOnce() throws Exception {
        Delegator replica = new Delegator(List.of(1L, 2L, 3L), null);
        serve("coord", new OneSnapshot(at("gone"), at("n2")), new FakeCatalog());
        serve("n2", replica);

        long start = System.nanoTime();
        List<Map<String, Object>> rows = client().queries().query("c", within(Duration.ofSeconds(20)))
                .get(30, TimeUnit.SECONDS);

        assertThat(ids(rows)).containsExactly(1L, 2L, 3L);
        assertThat(replica.asked).hasValue(1);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aQueryWhoseOwnerAnswersARetriableErrorIsAnsweredByTheReplica() throws Exception {
        Delegator owner = new Delegator(List.of(), ErrorCode.CHANNEL_NOT_EXIST);
        Delegator replica = new Delegator(List.of(7L), null);
        serve("coord", new OneSnapshot(at("n1"), at("n2")), new FakeCatalog());
        serve("n1", owner);
        serve("n2", replica);

        List<Map<String, Object>> rows = client().queries().query("c", within(Duration.ofSeconds(20)))
                .get(30, TimeUnit.SECONDS);

        assertThat(ids(rows)).containsExactly(7L);
        assertThat(owner.asked).hasValue(1);
    }

    @Test
    void aQueryWhoseOwnerNeverAnswersIsAskedOfTheReplicaAfterTheHedgeDelayNotTheDeadline() throws Exception {
        serve("coord", new OneSnapshot(at("n1"), at("n2")), new FakeCatalog());
        serve("n1", new Silent());
        serve("n2", new Delegator(List.of(5L), null));

        long start = System.nanoTime();
        List<Map<String, Object>> rows = client().queries().query("c", within(Duration.ofSeconds(30)))
                .get(30, TimeUnit.SECONDS);

        assertThat(ids(rows)).containsExactly(5L);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aFinalErrorOfTheOwnerFailsTheQueryWithoutAskingTheReplica() throws Exception {
        Delegator owner = new Delegator(List.of(), ErrorCode.INVALID_ARGUMENT);
        Delegator replica = new Delegator(List.of(7L), null);
        serve("coord", new OneSnapshot(at("n1"), at("n2")), new FakeCatalog());
        serve("n1", owner);
        serve("n2", replica);

        assertThatThrownBy(() -> client().queries().query("c", within(Duration.ofSeconds(20))).get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .satisfies(e -> assertThat(StreamingException.from(e.getCause()).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        assertThat(replica.asked).hasValue(0);
    }

    @Test
    void whenNoDelegatorAnswersTheQueryFailsWithTimeoutNamingTheLastFailure() throws Exception {
        serve("coord", new OneSnapshot(at("gone-1"), at("gone-2")), new FakeCatalog());

        assertThatThrownBy(() -> client().queries().query("c", within(Duration.ofMillis(500))).get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .satisfies(e -> assertThat(StreamingException.from(e.getCause()).code()).isEqualTo(ErrorCode.TIMEOUT))
                .hasMessageContaining("p-0_100v0");
    }
}
