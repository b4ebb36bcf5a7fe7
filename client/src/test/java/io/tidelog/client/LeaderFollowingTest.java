package io.tidelog.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.client.testing.FakeCluster;
import io.tidelog.client.testing.FakeCoordinators;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.NodeStatus;
import io.tidelog.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A client given several coordinators follows the leader: standbys refuse with {@code NOT_LEADER}, naming the
 * leader or not; a leader may go away. Nodes are the fake cluster's; the coordinators are {@link FakeCoordinators}.
 */
class LeaderFollowingTest {
    static final Duration WAIT = Duration.ofSeconds(10);

    final FakeCluster nodes = FakeCluster.start("node-a");
    FakeCoordinators coordinators;
    StreamingClient client;

    @AfterEach
    void close() {
        if (client != null) {
            client.close();
        }
        if (coordinators != null) {
            coordinators.close();
        }
        nodes.close();
    }

    /** Assigns {@code pchannel} to node-a at term 1 on coordinator {@code i}. */
    void assignOn(int i, String pchannel) {
        nodes.node("node-a").serve(pchannel, 1);
        coordinators.coordinator(i).assign(pchannel, 1, "node-a", nodes.address("node-a"));
    }

    static io.tidelog.proto.ClusterStatus statusNaming(String nodeId) {
        return io.tidelog.proto.ClusterStatus.newBuilder()
                .addNodes(NodeStatus.newBuilder().setNodeId(nodeId).setAddress("h:1").setAlive(true)).build();
    }

    static <T> T done(CompletableFuture<T> f) throws Exception {
        return f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Test
    void statusCollectionsAndTheAssignmentWatchReachTheLeaderAStandbyNames() throws Exception {
        coordinators = FakeCoordinators.start(3);
        coordinators.lead(2, true);
        coordinators.coordinator(2).setStatus(statusNaming("seen-by-the-leader"));
        assignOn(2, "p-1");
        client = coordinators.clientBuilder().build();

        assertThat(client.statusBlocking().nodes()).extracting(ClusterStatus.NodeStatus::nodeId)
                .containsExactly("seen-by-the-leader");
        client.collections().createBlocking("books", CollectionSchema.getDefaultInstance());
        assertThat(client.collections().listBlocking()).extracting(CollectionDescription::name).containsExactly("books");
        assertThat(client.collections().describeBlocking("books").name()).isEqualTo("books");
        assertThat(done(client.appendRaw("p-1_v", "via the leader's assignment".getBytes(UTF_8))).vchannel())
                .isEqualTo("p-1_v");

        assertThat(coordinators.coordinator(2).watchers()).isEqualTo(1);
        assertThat(coordinators.calls(1)).as("the hint skips the other standby").isZero();
        int refusedBefore = coordinators.refused(0);
        assertThat(refusedBefore).as("the watch and the first call asked the standby at most once each").isLessThanOrEqualTo(2);
        client.statusBlocking();
        client.collections().listBlocking();
        assertThat(coordinators.refused(0)).as("the client remembers the leader").isEqualTo(refusedBefore);
    }

    @Test
    void withoutAHintTheClientTriesTheNextAddressUntilTheLeaderAnswers() throws Exception {
        coordinators = FakeCoordinators.start(3);
        coordinators.lead(2, false);
        coordinators.coordinator(2).setStatus(statusNaming("seen-by-the-leader"));
        assignOn(2, "p-1");
        client = coordinators.clientBuilder().build();

        assertThat(client.statusBlocking().nodes()).extracting(ClusterStatus.NodeStatus::nodeId)
                .containsExactly("seen-by-the-leader");
        assertThat(client.collections().listBlocking()).isEmpty();
        assertThat(done(client.appendRaw("p-1_v", "x".getBytes(UTF_8))).vchannel()).isEqualTo("p-1_v");

        assertThat(coordinators.refused(0)).isPositive();
        assertThat(coordinators.refused(1)).isPositive();
        assertThat(coordinators.refused(2)).isZero();
        assertThat(coordinators.coordinator(2).watchers()).isEqualTo(1);
    }

    @Test
    void whenTheLeadersServerGoesAwayTheWatchResumesOnTheNewLeaderAndAWaitingAppendIsAcknowledged() throws Exception {
        coordinators = FakeCoordinators.start(2);
        coordinators.lead(0, true);
        client = coordinators.clientBuilder().build();
        Await.until("the client watches the leader", () -> coordinators.coordinator(0).watchers() == 1);
        CompletableFuture<Appended> waiting = client.appendRaw("p-1_v", "waits for its pchannel".getBytes(UTF_8));
        assertThat(waiting).as("p-1 has no assignment yet").isNotDone();

        coordinators.shutDown(0);
        coordinators.lead(1, true);
        assignOn(1, "p-1");

        assertThat(done(waiting).vchannel()).isEqualTo("p-1_v");
        assertThat(nodes.node("node-a").received()).extracting(m -> m.getMessage().getPayload().toStringUtf8())
                .containsExactly("waits for its pchannel");
        assertThat(coordinators.coordinator(1).watchers()).isEqualTo(1);
    }

    @Test
    void aDeposedLeaderEndsTheWatchAndTheClientFollowsTheLeaderItNames() throws Exception {
        coordinators = FakeCoordinators.start(2);
        coordinators.lead(0, true);
        assignOn(0, "p-1");
        client = coordinators.clientBuilder().build();
        done(client.appendRaw("p-1_v", "first".getBytes(UTF_8)));

        coordinators.lead(1, true);
        nodes.node("node-a").serve("p-2", 1);
        coordinators.coordinator(1).assign("p-2", 1, "node-a", nodes.address("node-a"));

        assertThat(done(client.appendRaw("p-2_v", "second".getBytes(UTF_8))).vchannel()).isEqualTo("p-2_v");
        Await.until("the client watches the new leader", () -> coordinators.coordinator(1).watchers() == 1);
        assertThat(coordinators.coordinator(0).watchers()).isZero();
    }

    @Test
    void whenNoCoordinatorLeadsAUnaryCallFailsWithinItsDeadlineWithNotLeaderAndWithoutAHotLoop() {
        coordinators = FakeCoordinators.start(2);
        Duration deadline = Duration.ofSeconds(1);
        client = coordinators.clientBuilder().appendTimeout(deadline)
                .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(200)).build();

        long start = System.nanoTime();
        assertThatThrownBy(client::statusBlocking).isInstanceOfSatisfying(StreamingException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.NOT_LEADER);
            assertThat(e.isRetriable()).isTrue();
            assertThat(e.getMessage()).contains("no leader among the coordinators " + coordinators.targets());
        });
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThatThrownBy(() -> client.collections().withTimeout(deadline).listBlocking())
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_LEADER));

        assertThat(took).isLessThan(deadline.plusSeconds(1));
        // Backoff 50 ms doubling to 200 ms between rounds of two: about 6 rounds in a second.
        int statusCalls = coordinators.calls(0, "GetStatus") + coordinators.calls(1, "GetStatus");
        assertThat(statusCalls).as("status calls").isBetween(4, 20);
        int listCalls = coordinators.calls(0, "ListCollections") + coordinators.calls(1, "ListCollections");
        assertThat(listCalls).as("list calls").isBetween(4, 20);
        int watches = coordinators.calls(0, "WatchAssignments") + coordinators.calls(1, "WatchAssignments");
        assertThat(watches).as("watches in about two seconds").isBetween(2, 60);
    }

    @Test
    void aSingleStandbyWithoutHintFailsAtOnceAsAStandaloneClientDid() {
        coordinators = FakeCoordinators.start(1);
        client = coordinators.clientBuilder().build();

        assertThatThrownBy(client::statusBlocking).isInstanceOfSatisfying(StreamingException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.NOT_LEADER);
            assertThat(e.getMessage()).contains("is a standby");
        });
        assertThat(coordinators.calls(0, "GetStatus")).isEqualTo(1);
    }

    @Test
    void aSingleAddressThatIsAStandbyNamingTheLeaderLeadsTheClientThere() {
        coordinators = FakeCoordinators.start(2);
        coordinators.lead(1, true);
        coordinators.coordinator(1).setStatus(statusNaming("seen-by-the-leader"));
        client = StreamingClient.builder().target(coordinators.address(0))
                .channelBuilders(io.grpc.inprocess.InProcessChannelBuilder::forName).build();

        assertThat(client.statusBlocking().nodes()).extracting(ClusterStatus.NodeStatus::nodeId)
                .containsExactly("seen-by-the-leader");
    }

    @Test
    void targetsAreACommaSeparatedListOfAddressesEachCheckedAsOne() {
        assertThat(StreamingClient.builder().target("h1:1, [::1]:2,h1:1").config().targets())
                .containsExactly("h1:1", "[::1]:2");
        assertThat(StreamingClient.builder().targets(List.of("h2:2", "h1:1")).config().targets())
                .containsExactly("h2:2", "h1:1");
        for (String bad : new String[] {"h1:1,", ",h1:1", "h1:1,,h2:2", "h1:1,h2", "h1:1,::1:2", ""}) {
            assertThatThrownBy(() -> StreamingClient.builder().target(bad)).as(bad)
                    .isInstanceOfSatisfying(StreamingException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
        assertThatThrownBy(() -> StreamingClient.builder().targets(List.of()))
                .isInstanceOfSatisfying(StreamingException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        assertThatThrownBy(() -> StreamingClient.builder().target("h1:1,,h2:2"))
                .hasMessageContaining("coordinator address 2 of 3 is empty");
    }
}
