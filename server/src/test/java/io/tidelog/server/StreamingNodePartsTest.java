package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.GrpcErrors;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.MetaStores;
import io.tidelog.node.WalStatus;
import io.tidelog.objectstore.ObjectStore;
import io.tidelog.objectstore.ObjectStores;
import io.tidelog.proto.NodeAssignRequest;
import io.tidelog.proto.NodeControlGrpc;
import io.tidelog.wal.memory.MemoryStorage;
import io.tidelog.wal.memory.MemoryWalBackend;
import io.tidelog.wal.memory.MemoryWalConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node's side of a process on its own: given a backend, meta store, TSO and object store, serving NodeControl. */
class StreamingNodePartsTest {
    @TempDir
    Path dir;
    MetaStore meta;
    ObjectStore objects;
    MemoryWalBackend backend;
    StreamingNodeParts parts;
    Server server;
    ManagedChannel channel;
    final AtomicLong clock = new AtomicLong(1);
    final AtomicLong session = new AtomicLong(7);

    @BeforeEach
    void start() throws Exception {
        meta = MetaStores.create("embedded", Map.of("meta.embedded.dir", dir.resolve("meta").toString()));
        objects = ObjectStores.open("file:" + dir.resolve("objects").toAbsolutePath(), Map.of());
        backend = new MemoryWalBackend(MemoryWalConfig.defaults(), new MemoryStorage());
        parts = StreamingNodeParts.start(backend, meta, count -> clock.getAndAdd(count), objects,
                StreamingNodeParts.Configs.from(Map.of("node.timetick.interval", "20ms")), 16, dir);
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0));
        parts.addServices(builder, session::get);
        server = builder.build().start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    }

    @AfterEach
    void close() throws Exception {
        channel.shutdownNow();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        parts.close();
        backend.close();
        objects.close();
        meta.close();
    }

    @Test
    void nodeControlOpensAPchannelOnlyForTheCurrentSession() {
        NodeControlGrpc.NodeControlBlockingStub control = NodeControlGrpc.newBlockingStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS);
        control.assign(NodeAssignRequest.newBuilder().setPchannel("p1").setTerm(3).setSessionId(7).build());

        assertThatThrownBy(() -> control.assign(
                NodeAssignRequest.newBuilder().setPchannel("p2").setTerm(3).setSessionId(6).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(
                        GrpcErrors.fromThrowable(e, "node").code()).isEqualTo(ErrorCode.UNMATCHED_CHANNEL_TERM));
        assertThat(parts.wals().status()).extracting(WalStatus::pchannel, WalStatus::term)
                .containsExactly(tuple("p1", 3L));
    }

    @Test
    void closedPartsServeNothingAndTakeNoMoreServices() {
        parts.wals().open("p1", 1);

        parts.close();
        parts.close();

        assertThat(parts.wals().status()).isEmpty();
        assertThatThrownBy(() -> parts.wals().open("p1", 2)).isInstanceOfSatisfying(StreamingException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.ON_SHUTDOWN));
        assertThatThrownBy(() -> parts.addServices(NettyServerBuilder.forPort(0), session::get))
                .isInstanceOf(IllegalStateException.class);
    }
}
