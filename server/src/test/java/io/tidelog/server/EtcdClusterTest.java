package io.tidelog.server;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tidelog.client.StreamingClient;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.MetaStores;
import io.tidelog.meta.etcd.EtcdServer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The frame of a test of cluster members in this JVM on a real etcd (each test class registers its own
 * {@link EtcdServer} and names it in {@link #etcd()}): every test gets a root of its own in etcd and a meta store on
 * it; whatever it starts is closed in reverse order after it; coordinators and clients start with test timings.
 */
abstract class EtcdClusterTest {
    private static final AtomicInteger ROOTS = new AtomicInteger();

    final List<AutoCloseable> toClose = new ArrayList<>();
    String root;
    MetaStore meta;

    /** The etcd of the test class. */
    abstract EtcdServer etcd();

    @BeforeEach
    void openRoot() {
        root = getClass().getSimpleName() + "-" + ROOTS.incrementAndGet();
        meta = MetaStores.create("etcd", etcd().storeProperties(root));
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        meta.close();
    }

    /**
     * A member's properties: this test's etcd root, a free port on 127.0.0.1 (gRPC and HTTP), sessions of 3 s (keepalive every
     * 500 ms, self-fence 1 s before the ttl).
     */
    Map<String, String> memberProperties() {
        Map<String, String> p = new HashMap<>(etcd().storeProperties(root));
        p.put("server.port", "0");
        p.put("server.host", "127.0.0.1");
        p.put("server.advertised.host", "127.0.0.1");
        p.put("http.port", "0"); // several members of a test on one machine
        p.put("session.ttl", "3s");
        p.put("session.keepalive.interval", "500ms");
        p.put("session.self.fence.margin", "1s");
        return p;
    }

    /** A node's properties: {@link #memberProperties()}, its id, and the {@code objectstore} WAL in {@code shared}. */
    Map<String, String> nodeProperties(String id, java.nio.file.Path shared) {
        Map<String, String> p = memberProperties();
        p.put("server.node.id", id);
        p.put("wal.backend", "objectstore");
        p.put("wal.objectstore.uri", "file:" + shared);
        return p;
    }

    /** A coordinator of {@code pchannels} pchannels, balancing every 50 ms, a node down after 800 ms of silence. */
    Map<String, String> coordinatorProperties(int pchannels) {
        Map<String, String> p = memberProperties();
        p.put("coord.pchannel.count", String.valueOf(pchannels));
        p.put("coord.balance.interval", "50ms");
        p.put("coord.node.health.interval", "100ms");
        p.put("coord.node.health.timeout", "800ms");
        return p;
    }

    CoordServer startCoordinator(Map<String, String> properties) {
        CoordServer c = CoordServer.start(properties);
        toClose.add(c);
        return c;
    }

    /** A plaintext channel to {@code address}, shut down after the test. */
    ManagedChannel channel(String address) {
        ManagedChannel c = NettyChannelBuilder.forTarget(address).usePlaintext().build();
        toClose.add(c::shutdownNow);
        return c;
    }

    /** A client of the given coordinators (the first taken for the leader). */
    StreamingClient client(CoordServer... coordinators) {
        List<String> targets = new ArrayList<>();
        for (CoordServer c : coordinators) {
            targets.add(c.address());
        }
        StreamingClient client = StreamingClient.builder().targets(targets).build();
        toClose.add(client);
        return client;
    }
}
