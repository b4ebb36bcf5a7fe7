package io.tidelog.client.testing;

import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.tidelog.client.StreamingClient;
import io.tidelog.message.GrpcErrors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Several fake coordinators on in-process servers, as a cluster runs them: one leads, the others are standbys
 * that refuse every Coordinator and CollectionService call with {@code NOT_LEADER} ({@link GrpcErrors#notLeader}),
 * naming the leader or not as the test says. Each has its own {@link FakeCoordinator} (assignments, reports,
 * status) and {@link FakeCatalog}; each counts the calls it received, served or refused. Thread-safe.
 *
 * <p>Streaming nodes are not here: start a {@link FakeCluster} for them and assign its nodes' addresses.
 */
public final class FakeCoordinators implements AutoCloseable {
    private static final AtomicInteger GROUPS = new AtomicInteger();

    private final List<Member> members = new ArrayList<>();

    private FakeCoordinators(int count) {
        int group = GROUPS.incrementAndGet();
        for (int i = 0; i < count; i++) {
            members.add(new Member("fake-coordinators-" + group + "-" + i + ":19530"));
        }
    }

    /** Starts {@code count} coordinators, every one a standby that knows no leader until {@link #lead}. */
    public static FakeCoordinators start(int count) {
        return new FakeCoordinators(count);
    }

    public String address(int i) {
        return members.get(i).address;
    }

    /** Every address, comma-separated, in order: a client's target. */
    public String targets() {
        return String.join(",", members.stream().map(m -> m.address).toList());
    }

    public FakeCoordinator coordinator(int i) {
        return members.get(i).coordinator;
    }

    public FakeCatalog catalog(int i) {
        return members.get(i).catalog;
    }

    /** Calls coordinator {@code i} received, served or refused (watches included). */
    public int calls(int i) {
        return members.get(i).calls.get();
    }

    /** Calls of {@code method} (its bare name, {@code GetStatus}) that coordinator {@code i} received. */
    public int calls(int i, String method) {
        AtomicInteger n = members.get(i).byMethod.get(method);
        return n == null ? 0 : n.get();
    }

    /** Calls coordinator {@code i} refused as a standby. */
    public int refused(int i) {
        return members.get(i).refused.get();
    }

    /**
     * Makes {@code i} the leader; every other coordinator becomes a standby that names it if {@code hint}, and
     * ends its assignment watches with that {@code NOT_LEADER}, as a deposed leader does.
     */
    public void lead(int i, boolean hint) {
        members.get(i).leader = null;
        members.get(i).leading = true;
        for (int j = 0; j < members.size(); j++) {
            if (j != i) {
                standby(j, hint ? address(i) : null);
            }
        }
    }

    /** Makes {@code i} a standby that names {@code leaderOrNull}; its assignment watches end with its refusal. */
    public void standby(int i, String leaderOrNull) {
        Member m = members.get(i);
        m.leader = leaderOrNull;
        m.leading = false;
        if (!m.down) {
            m.coordinator.endWatches(m.refusal());
        }
    }

    /** Shuts coordinator {@code i}'s server down: its streams break with {@code UNAVAILABLE}, new calls fail. */
    public void shutDown(int i) throws InterruptedException {
        Server s = members.get(i).server;
        members.get(i).down = true;
        s.shutdownNow();
        s.awaitTermination(5, TimeUnit.SECONDS);
    }

    /** A client builder aimed at every coordinator over in-process channels, with short timeouts for tests. */
    public StreamingClient.Builder clientBuilder() {
        return StreamingClient.builder().target(targets())
                .appendTimeout(Duration.ofSeconds(10))
                .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
                .channelBuilders(InProcessChannelBuilder::forName);
    }

    @Override
    public void close() {
        members.forEach(m -> m.server.shutdownNow());
        for (Member m : members) {
            try {
                m.server.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static final class Member implements ServerInterceptor {
        final String address;
        final FakeCoordinator coordinator = new FakeCoordinator();
        final FakeCatalog catalog = new FakeCatalog();
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger refused = new AtomicInteger();
        final Map<String, AtomicInteger> byMethod = new ConcurrentHashMap<>();
        final Server server;
        volatile boolean leading;
        volatile boolean down;
        volatile String leader;

        Member(String address) {
            this.address = address;
            try {
                server = InProcessServerBuilder.forName(address)
                        .addService(ServerInterceptors.intercept(coordinator, this))
                        .addService(ServerInterceptors.intercept(catalog, this))
                        .build().start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        StatusRuntimeException refusal() {
            return GrpcErrors.notLeader(leader, "coordinator " + address + " is a standby (fake)");
        }

        @Override
        public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                           ServerCallHandler<Q, A> next) {
            calls.incrementAndGet();
            byMethod.computeIfAbsent(call.getMethodDescriptor().getBareMethodName(), k -> new AtomicInteger())
                    .incrementAndGet();
            if (leading) {
                return next.startCall(call, headers);
            }
            refused.incrementAndGet();
            StatusRuntimeException no = refusal();
            call.close(no.getStatus(), no.getTrailers());
            return new ServerCall.Listener<Q>() {
            };
        }
    }
}
