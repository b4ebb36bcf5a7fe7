package io.tidelog.server;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.tidelog.common.Closeables;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.GrpcErrors;
import io.tidelog.meta.MetaStore;
import io.tidelog.objectstore.ObjectStore;
import io.tidelog.objectstore.ObjectStores;
import io.tidelog.proto.AllocateTimestampsRequest;
import io.tidelog.proto.CoordinatorGrpc;
import io.tidelog.session.Session;
import io.tidelog.session.SessionConfig;
import io.tidelog.tso.TimestampAllocator;
import io.tidelog.wal.memory.MemoryStorage;
import io.tidelog.wal.memory.MemoryWalBackend;
import io.tidelog.wal.memory.MemoryWalConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * One life of a whole streaming node in the test's JVM, for the cluster's catalog tests: {@link StreamingNodeParts}
 * (extensions, flusher, StreamingNode and NodeControl services) on a free port, its WALs on a shared in-memory
 * storage (which fences older terms as the shared backends do), flushed segments in the given object store
 * directory, time ticks from the leading coordinator ({@link LeaderTso}), and its session {@code session/node/<id>}
 * in the given meta store (ttl 3 s), whose info is its gRPC address: the leader assigns pchannels to it.
 */
final class InProcessStreamingNode implements AutoCloseable {
    final String id;
    private final MemoryWalBackend backend;
    private final ObjectStore objects;
    private final LeaderTso tso;
    private final StreamingNodeParts parts;
    private final Server server;
    private final Session session;

    InProcessStreamingNode(String id, MetaStore meta, MemoryStorage storage, Path objectsDir, Path dataDir,
                           List<String> coordinators) throws IOException {
        this.id = id;
        backend = new MemoryWalBackend(MemoryWalConfig.defaults(), storage);
        objects = ObjectStores.open("file:" + objectsDir.toAbsolutePath(), Map.of());
        tso = new LeaderTso(coordinators);
        parts = StreamingNodeParts.start(backend, meta, tso, objects,
                StreamingNodeParts.Configs.from(Map.of("node.timetick.interval", "20ms")), 64, dataDir);
        AtomicLong sessionId = new AtomicLong();
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0));
        parts.addServices(builder, sessionId::get);
        server = builder.build().start();
        session = Session.register(meta, SessionConfig.from(Map.of("session.ttl", "3s",
                        "session.keepalive.interval", "500ms", "session.self.fence.margin", "1s")), "node", id,
                address().getBytes(StandardCharsets.UTF_8), (s, why) -> sessionId.set(0));
        sessionId.set(session.sessionId());
    }

    String address() {
        return "127.0.0.1:" + server.getPort();
    }

    /** Pchannels this node serves now. */
    int serving() {
        return parts.wals().status().size();
    }

    @Override
    public void close() {
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Closeables.closeAll(parts, backend, session, tso, objects);
    }

    /**
     * The test's stand-in for a node's TSO client: each allocation is one AllocateTimestamps call to the leading
     * coordinator, found by trying the addresses in turn (a standby answers {@code NOT_LEADER}), for up to 10 s; at
     * once {@code ON_SHUTDOWN} when the calling thread is interrupted (the node is closing) or this is closed.
     */
    static final class LeaderTso implements TimestampAllocator, AutoCloseable {
        private final List<ManagedChannel> channels;
        private volatile boolean closed;

        LeaderTso(List<String> coordinators) {
            channels = coordinators.stream()
                    .map(a -> NettyChannelBuilder.forTarget(a).usePlaintext().build()).toList();
        }

        @Override
        public long allocate(int count) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            StreamingException last = null;
            while (System.nanoTime() < deadline && !closed && !Thread.currentThread().isInterrupted()) {
                for (ManagedChannel c : channels) {
                    try {
                        return CoordinatorGrpc.newBlockingStub(c).withDeadlineAfter(2, TimeUnit.SECONDS)
                                .allocateTimestamps(AllocateTimestampsRequest.newBuilder().setCount(count).build())
                                .getFirst();
                    } catch (StatusRuntimeException e) {
                        last = GrpcErrors.fromThrowable(e, "coordinator");
                    }
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // a back-off between rounds, not a wait
            }
            throw new StreamingException(ErrorCode.ON_SHUTDOWN, "no coordinator allocated timestamps: " + last);
        }

        @Override
        public void close() {
            closed = true;
            channels.forEach(ManagedChannel::shutdownNow);
        }
    }
}
