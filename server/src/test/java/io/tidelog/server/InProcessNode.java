package io.tidelog.server;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.tidelog.meta.MetaStore;
import io.tidelog.node.NodeConfig;
import io.tidelog.node.WalManager;
import io.tidelog.session.Session;
import io.tidelog.session.SessionConfig;
import io.tidelog.tso.TimestampAllocator;
import io.tidelog.wal.memory.MemoryStorage;
import io.tidelog.wal.memory.MemoryWalBackend;
import io.tidelog.wal.memory.MemoryWalConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * One life of a streaming node in the test's JVM, for the coordinator's tests: its WALs on a shared in-memory
 * storage (which fences older terms as the shared backends do), its NodeControl service on a free port, its session
 * {@code session/node/<id>} in the given meta store (ttl 3 s).
 */
final class InProcessNode implements AutoCloseable {
    final String id;
    final WalManager wals;
    final Server server;
    final Session session;
    final ExecutorService calls = Executors.newCachedThreadPool();
    /** Sends this node's heartbeats; a task that blocks it freezes them as a SIGSTOP would. */
    final ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor();

    InProcessNode(String id, MetaStore meta, MemoryStorage storage, TimestampAllocator tso) throws IOException {
        this.id = id;
        MemoryWalBackend backend = new MemoryWalBackend(MemoryWalConfig.defaults(), storage);
        wals = new WalManager(backend, tso, NodeConfig.from(Map.of("node.timetick.interval", "20ms")), p -> List.of());
        long[] sessionId = {0};
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new NodeControlService(wals, () -> sessionId[0], calls, beats)).build().start();
        session = Session.register(meta, SessionConfig.from(Map.of("session.ttl", "3s",
                        "session.keepalive.interval", "500ms", "session.self.fence.margin", "1s")), "node", id,
                address().getBytes(StandardCharsets.UTF_8), (s, why) -> sessionId[0] = 0);
        sessionId[0] = session.sessionId();
    }

    String address() {
        return "127.0.0.1:" + server.getPort();
    }

    int serving() {
        return wals.status().size();
    }

    /** Stops answering at once, as a killed process (its session lives on until its lease expires). */
    void kill() {
        server.shutdownNow();
        wals.close();
        calls.shutdownNow();
        beats.shutdownNow();
    }

    /** Freezes the heartbeats until the latch opens; the connection stays up. */
    void freezeBeats(CountDownLatch until) {
        beats.execute(() -> {
            try {
                until.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    @Override
    public void close() {
        kill();
        session.close();
    }
}
