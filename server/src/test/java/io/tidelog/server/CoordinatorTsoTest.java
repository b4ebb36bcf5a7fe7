package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.GrpcErrors;
import io.tidelog.proto.AllocateTimestampsRequest;
import io.tidelog.proto.AllocateTimestampsResponse;
import io.tidelog.proto.CoordinatorGrpc;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A node's timestamps from the leader's TSO: following the leader, in batches, and through a leaderless moment. */
class CoordinatorTsoTest {
    /** The cluster's one oracle, shared by the fake coordinators. */
    final AtomicLong oracle = new AtomicLong(1_000);
    final List<Server> servers = new ArrayList<>();
    final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

    /** A coordinator that leads (hands out timestamps) or stands by naming {@code leader}. */
    final class FakeCoordinator extends CoordinatorGrpc.CoordinatorImplBase {
        final AtomicInteger calls = new AtomicInteger();
        volatile String leader;
        Server server;

        @Override
        public void allocateTimestamps(AllocateTimestampsRequest r, StreamObserver<AllocateTimestampsResponse> out) {
            calls.incrementAndGet();
            if (leader != null) {
                out.onError(GrpcErrors.notLeader(leader, "a standby"));
                return;
            }
            long first = oracle.getAndAdd(r.getCount());
            out.onNext(AllocateTimestampsResponse.newBuilder().setFirst(first).setCount(r.getCount()).build());
            out.onCompleted();
        }

        String address() {
            return "127.0.0.1:" + server.getPort();
        }
    }

    FakeCoordinator coordinator() throws Exception {
        FakeCoordinator c = new FakeCoordinator();
        c.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(c).build().start();
        servers.add(c.server);
        return c;
    }

    ManagedChannel channel(String target) {
        return channels.computeIfAbsent(target, t -> NettyChannelBuilder.forTarget(t).usePlaintext().build());
    }

    @AfterEach
    void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        servers.forEach(Server::shutdownNow);
    }

    @Test
    void aStandbyNamesTheLeaderAndOneBatchServesManyIncreasingTimestamps() throws Exception {
        FakeCoordinator leader = coordinator();
        FakeCoordinator standby = coordinator();
        standby.leader = leader.address();
        CoordinatorTso tso = new CoordinatorTso(() -> List.of(standby.address(), leader.address()), this::channel, 100,
                Duration.ofMinutes(1), Duration.ofSeconds(5));
        long last = 0;
        for (int i = 0; i < 50; i++) {
            long t = tso.next();
            assertThat(t).isGreaterThan(last);
            last = t;
        }
        assertThat(standby.calls.get()).isEqualTo(1);
        assertThat(leader.calls.get()).as("one batch of 100 for 50 timestamps").isEqualTo(1);
    }

    @Test
    void tryAllocateIssuesOnlyFromTheBatchHeldAndNeverCallsTheCoordinator() throws Exception {
        FakeCoordinator leader = coordinator();
        CoordinatorTso tso = new CoordinatorTso(() -> List.of(leader.address()), this::channel, 10,
                Duration.ofMinutes(1), Duration.ofSeconds(5));
        assertThat(tso.tryAllocate(1)).as("no batch held yet").isZero();
        assertThat(leader.calls.get()).isZero();
        long first = tso.next();
        assertThat(leader.calls.get()).isEqualTo(1);
        assertThat(tso.tryAllocate(4)).isEqualTo(first + 1);
        assertThat(tso.tryAllocate(5)).isEqualTo(first + 5);
        assertThat(tso.tryAllocate(1)).as("the batch of 10 used up").isZero();
        tso.sync();
        assertThat(tso.tryAllocate(1)).as("given up by a sync").isZero();
        assertThat(leader.calls.get()).as("tries never take a batch").isEqualTo(1);
        assertThat(tso.next()).isGreaterThan(first + 9);
    }

    @Test
    void afterASyncTheNextTimestampIsAboveEverythingTheOracleIssuedBefore() throws Exception {
        FakeCoordinator leader = coordinator();
        CoordinatorTso node1 = new CoordinatorTso(() -> List.of(leader.address()), this::channel, 100,
                Duration.ofMinutes(1), Duration.ofSeconds(5));
        CoordinatorTso node2 = new CoordinatorTso(() -> List.of(leader.address()), this::channel, 100,
                Duration.ofMinutes(1), Duration.ofSeconds(5));
        long first = node1.next();
        long other = node2.next(); // another node's batch, above node1's
        assertThat(node1.next()).as("node1's held batch lies below node2's").isLessThan(other);
        node1.sync();
        assertThat(node1.next()).isGreaterThan(other).isGreaterThan(first);
    }

    @Test
    void anOldBatchIsUsedOnWhileNoLeaderAnswersAndAUsedUpOneFailsWithTimeout() throws Exception {
        FakeCoordinator leader = coordinator();
        String gone = leader.address();
        CoordinatorTso tso = new CoordinatorTso(() -> List.of(gone), this::channel, 10, Duration.ZERO,
                Duration.ofMillis(500));
        long last = tso.next();
        leader.server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        for (int i = 0; i < 9; i++) {
            long t = tso.next();
            assertThat(t).as("from the batch held").isGreaterThan(last);
            last = t;
        }
        long started = System.nanoTime();
        assertThatThrownBy(tso::next).isInstanceOfSatisfying(StreamingException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("gave up after its timeout, not at once")
                .isGreaterThanOrEqualTo(Duration.ofMillis(400));
    }
}
