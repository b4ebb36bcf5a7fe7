package io.tidelog.bench;

import io.tidelog.client.StreamingClient;
import io.tidelog.common.Closeables;
import io.tidelog.server.StandaloneServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The system under test of the gRPC benchmarks: {@code tidelog standalone} (coordinator, one node,
 * embedded meta store, {@code local} WAL) started in the bench JVM on a fresh data directory, listening
 * on an ephemeral loopback port, with clients of the Java client library dialling it over TCP.
 *
 * <p>Why in the bench JVM and not a child process: on this 2-core machine both share the same two cores
 * either way, so a child process would not give the server CPU of its own; in one JVM the send, ack and
 * receive timestamps come from one {@code System.nanoTime()}, and one flight recording shows both the
 * client and the server. The price is one heap: a collection pauses both sides at once (the JVM is
 * started with whatever {@code BENCH_JAVA_OPTS} say).
 *
 * <p>Every byte still crosses the loopback TCP connection: HTTP/2 framing, protobuf encoding, the
 * client's and the server's executors, the node's time ticks and the WAL's group commit with fdatasync.
 */
final class ServerUnderTest {
    private final Map<String, String> userProperties;
    private final WorkDir work;
    private final long batchBytes;
    private int started;

    ServerUnderTest(Map<String, String> userProperties, WorkDir work, long batchBytes) {
        this.userProperties = new TreeMap<>(userProperties);
        this.work = work;
        this.batchBytes = batchBytes;
    }

    /** The server properties of a run with {@code pchannels} pchannels (the data directory aside). */
    Map<String, String> properties(int pchannels) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("server.host", "127.0.0.1");
        p.put("server.advertised.host", "127.0.0.1");
        p.put("server.port", "0");
        p.put("coord.pchannel.count", Integer.toString(pchannels));
        p.put("wal.local.batch.max.bytes", Long.toString(batchBytes));
        p.putAll(userProperties);
        return p;
    }

    /** What every server of the run shares, for the report header. */
    String describe(int pchannels) {
        Map<String, String> p = properties(pchannels);
        p.remove("coord.pchannel.count");
        p.remove("server.host");
        p.remove("server.advertised.host");
        p.remove("server.port");
        return "tidelog standalone in the bench JVM, 127.0.0.1:<ephemeral>, " + p
                + " (standalone defaults otherwise: wal.local.segment.bytes=16MiB)";
    }

    /** The name of the {@code index}-th vchannel of a run over {@code pchannels} pchannels: spread round robin. */
    static String vchannel(int index, int pchannels) {
        return "pchannel-" + (index % pchannels) + "_bench" + index;
    }

    /** Starts a server with {@code pchannels} pchannels in a fresh directory, and one client for it. */
    Started start(String label, int pchannels) throws IOException {
        Path dir = work.newDirectory(label + "-" + (++started));
        StandaloneServer server = null;
        try {
            server = StandaloneServer.start(dir, properties(pchannels));
            Started s = new Started(server, dir);
            s.newClient();
            return s;
        } catch (RuntimeException e) {
            Closeables.closeQuietly(server, e);
            WorkDir.delete(dir);
            throw e;
        }
    }

    /** A running server and the clients made for it: closing closes them all and removes the directory. */
    static final class Started implements AutoCloseable {
        private final StandaloneServer server;
        private final Path dir;
        private final List<StreamingClient> clients = new ArrayList<>();

        private Started(StandaloneServer server, Path dir) {
            this.server = server;
            this.dir = dir;
        }

        StandaloneServer server() {
            return server;
        }

        /** The first client. */
        StreamingClient client() {
            return clients.get(0);
        }

        /** One more client of this server, closed with it. */
        StreamingClient newClient() {
            StreamingClient c = StreamingClient.builder().target(server.address()).build();
            clients.add(c);
            return c;
        }

        @Override
        public void close() throws IOException {
            List<AutoCloseable> order = new ArrayList<>(clients);
            order.add(server);
            try {
                Closeables.closeAll(order);
            } finally {
                WorkDir.delete(dir);
            }
        }
    }
}
