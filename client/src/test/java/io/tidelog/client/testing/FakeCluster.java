package io.tidelog.client.testing;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.tidelog.client.StreamingClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fake coordinator and streaming nodes on in-process gRPC servers (or on localhost TCP ports). Like
 * standalone, the first node's server also answers the coordinator service, so its address is the clients'
 * target. Addresses are unique per cluster, so tests may run side by side. Closing shuts the servers down.
 */
public final class FakeCluster implements AutoCloseable {
    private static final AtomicInteger CLUSTERS = new AtomicInteger();

    private final FakeCoordinator coordinator = new FakeCoordinator();
    private final Map<String, FakeStreamingNode> nodes = new LinkedHashMap<>();
    private final Map<String, String> addresses = new LinkedHashMap<>();
    private final Map<String, FakeLog> logs = new ConcurrentHashMap<>();
    private final Map<String, Server> servers = new LinkedHashMap<>();
    private final java.util.List<StreamingClient> clients = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final boolean tcp;
    private final long baseTimeTick = System.currentTimeMillis() << 18;

    private FakeCluster(boolean tcp, String... nodeIds) {
        this.tcp = tcp;
        int cluster = CLUSTERS.incrementAndGet();
        for (String id : nodeIds) {
            FakeStreamingNode node = new FakeStreamingNode(id, this::log);
            nodes.put(id, node);
            Server server = tcp ? startTcp(id, 0) : startInProcess(id, "fake-" + cluster + "-" + id + ":19530");
            servers.put(id, server);
            addresses.put(id, tcp ? "localhost:" + server.getPort() : "fake-" + cluster + "-" + id + ":19530");
        }
    }

    /** Starts one in-process server per node id; the first also runs the coordinator. */
    public static FakeCluster start(String... nodeIds) {
        return new FakeCluster(false, nodeIds);
    }

    /** Like {@link #start}, on real TCP ports of localhost (the client's default transport). */
    public static FakeCluster startOnTcp(String... nodeIds) {
        return new FakeCluster(true, nodeIds);
    }

    private Server startInProcess(String nodeId, String name) {
        return started(withServices(nodeId, InProcessServerBuilder.forName(name)));
    }

    private Server startTcp(String nodeId, int port) {
        return started(withServices(nodeId, Grpc.newServerBuilderForPort(port, InsecureServerCredentials.create())));
    }

    private ServerBuilder<?> withServices(String nodeId, ServerBuilder<?> b) {
        b.addService(nodes.get(nodeId));
        if (nodeId.equals(nodes.keySet().iterator().next())) {
            b.addService(coordinator);
        }
        return b;
    }

    private static Server started(ServerBuilder<?> b) {
        try {
            return b.build().start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Restarts a TCP node's server on the same port, like a process restart: open streams break with
     * {@code UNAVAILABLE}; the node's state and the logs survive.
     */
    public void restart(String nodeId) throws InterruptedException {
        if (!tcp) {
            throw new IllegalStateException("only TCP clusters restart");
        }
        Server old = servers.get(nodeId);
        int port = old.getPort();
        old.shutdownNow();
        old.awaitTermination(5, TimeUnit.SECONDS);
        servers.put(nodeId, startTcp(nodeId, port));
    }

    /** The coordinator's address: the clients' target. */
    public String target() {
        return addresses.values().iterator().next();
    }

    public FakeCoordinator coordinator() {
        return coordinator;
    }

    public FakeStreamingNode node(String nodeId) {
        return nodes.get(nodeId);
    }

    public String address(String nodeId) {
        return addresses.get(nodeId);
    }

    /** The shared log of {@code pchannel}. */
    public FakeLog log(String pchannel) {
        return logs.computeIfAbsent(pchannel, p -> new FakeLog(p, baseTimeTick));
    }

    /** Moves {@code pchannel} to {@code nodeId} at {@code term}: the node opens it, the others drop it, then the coordinator announces it. */
    public void assign(String pchannel, long term, String nodeId) {
        nodes.forEach((id, n) -> {
            if (!id.equals(nodeId)) {
                n.stopServing(pchannel);
            }
        });
        nodes.get(nodeId).serve(pchannel, term);
        coordinator.assign(pchannel, term, nodeId, addresses.get(nodeId));
    }

    /** A client builder aimed at this cluster over in-process channels, with short timeouts for tests. */
    public StreamingClient.Builder clientBuilder() {
        StreamingClient.Builder b = StreamingClient.builder()
                .target(target())
                .appendTimeout(Duration.ofSeconds(10))
                .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200));
        return tcp ? b : b.channelBuilders(InProcessChannelBuilder::forName);
    }

    /** A client of this cluster ({@link #clientBuilder()} with {@code options} applied), closed with the cluster. */
    public StreamingClient client(java.util.function.Consumer<StreamingClient.Builder> options) {
        StreamingClient.Builder b = clientBuilder();
        options.accept(b);
        StreamingClient c = b.build();
        clients.add(c);
        return c;
    }

    /** Closes the clients made by {@link #client}, then stops the servers. */
    @Override
    public void close() {
        clients.forEach(StreamingClient::close);
        servers.values().forEach(Server::shutdownNow);
        for (Server s : servers.values()) {
            try {
                s.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
