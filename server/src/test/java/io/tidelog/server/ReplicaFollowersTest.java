package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.client.ReplicaLocation;
import io.tidelog.client.StreamingClient;
import io.tidelog.delegator.Delegators;
import io.tidelog.delegator.QueryConfig;
import io.tidelog.node.shard.GrowingSegmentBytes;
import io.tidelog.node.shard.ShardConfig;
import io.tidelog.objectstore.ObjectStore;
import io.tidelog.objectstore.ObjectStores;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node runs a feed for each replica placed on it and for no other; a feed stops when its entry goes. The client
 * reaches no coordinator, so each feed keeps asking for its schema: enough to see which feeds run.
 */
class ReplicaFollowersTest {
    @TempDir
    Path dir;
    final List<AutoCloseable> toClose = new ArrayList<>();
    ReplicaFollowers followers;

    @BeforeEach
    void start() {
        ScheduledExecutorService threads = Executors.newScheduledThreadPool(2);
        toClose.add(threads::shutdownNow);
        ObjectStore objects = ObjectStores.open("file:" + dir.resolve("objects").toAbsolutePath(), Map.of());
        toClose.add(objects);
        Delegators delegators = new Delegators(QueryConfig.from(Map.of()), threads, threads, threads,
                InstantSource.system(), System::currentTimeMillis, objects, dir.resolve("cache"),
                new GrowingSegmentBytes(ShardConfig.defaults()), false);
        StreamingClient client = StreamingClient.builder().target("127.0.0.1:1").appendTimeout(Duration.ofMillis(200))
                .build();
        toClose.add(client);
        followers = new ReplicaFollowers("n1", delegators, client, Duration.ofMillis(50), Runnable::run);
        toClose.add(followers);
    }

    @AfterEach
    void close() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    static ReplicaLocation replica(String vchannel, long collectionId, String node) {
        return new ReplicaLocation(vchannel, collectionId, node, node + ":1");
    }

    @Test
    void theReplicasPlacedOnThisNodeRunAndThoseOfOtherNodesDoNot() {
        followers.placed(List.of(replica("p-0_1v0", 1, "n1"), replica("p-1_1v0", 1, "n2"),
                replica("p-2_1v0", 1, "n1")));

        assertThat(followers.running()).containsExactlyInAnyOrder("p-0_1v0", "p-2_1v0");
    }

    @Test
    void aReplicaWhoseEntryGoesStopsAndTheOthersKeepRunning() {
        followers.placed(List.of(replica("p-0_1v0", 1, "n1"), replica("p-2_1v0", 1, "n1")));
        followers.placed(List.of(replica("p-2_1v0", 1, "n1"), replica("p-0_1v0", 1, "n3")));

        assertThat(followers.running()).containsExactly("p-2_1v0");
        followers.placed(List.of());
        assertThat(followers.running()).isEmpty();
    }

    @Test
    void afterCloseNoPlacementStartsAFeed() {
        followers.close();
        followers.placed(List.of(replica("p-0_1v0", 1, "n1")));

        assertThat(followers.running()).isEmpty();
    }
}
