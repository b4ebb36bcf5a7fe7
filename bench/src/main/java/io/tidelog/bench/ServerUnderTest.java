package io.tidelog.bench;

import io.tidelog.client.StreamingClient;
import io.tidelog.common.Closeables;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The system under test of the gRPC benchmarks: {@code tidelog standalone} (coordinator, one node,
 * embedded meta store, {@code local} WAL) as users run it, a process of its own ({@code tidelog}'s main
 * class on the bench's class path; nothing here imports the server), on a fresh data directory and an
 * ephemeral loopback port, with clients of the Java client library in the bench JVM dialling it over TCP.
 * Send, acknowledgement and receive times are all taken in the bench JVM, on one clock. The server JVM
 * gets the bench's JVM options ({@code -Xmx1g} unless it says otherwise) and then whatever
 * {@code BENCH_SERVER_JAVA_OPTS} says (a later {@code -Xmx} wins); its log goes to {@code server.log} in the data
 * directory, printed if it fails to start.
 */
final class ServerUnderTest {
    /**
     * The retention key the bench sets: a server lives through a whole run and takes its full load for minutes
     * (1 KiB x 100,000/s is 6 GB a minute), and the standalone's own retention (72 h) would keep all of it on the
     * disk. Bounded by bytes, each pchannel keeps its newest 512 MiB and a segment more. {@code -P} replaces it.
     */
    static final String RETENTION_BYTES = "wal.retention.bytes";
    static final String RETENTION_BYTES_DEFAULT = "512MiB";

    private final Map<String, String> userProperties;
    private final WorkDir work;
    private final long batchBytes;
    private final List<String> jvmOptions;
    private int started;

    ServerUnderTest(Map<String, String> userProperties, WorkDir work, long batchBytes) {
        this(userProperties, work, batchBytes, List.of("-Xmx1g"));
    }

    /** A server started with {@code jvmOptions} before those of {@code BENCH_SERVER_JAVA_OPTS}. */
    ServerUnderTest(Map<String, String> userProperties, WorkDir work, long batchBytes, List<String> jvmOptions) {
        this.userProperties = new TreeMap<>(userProperties);
        this.work = work;
        this.batchBytes = batchBytes;
        this.jvmOptions = List.copyOf(jvmOptions);
    }

    /** The server properties of a run with {@code pchannels} pchannels (the data directory aside). */
    Map<String, String> properties(int pchannels) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("server.host", "127.0.0.1");
        p.put("server.advertised.host", "127.0.0.1");
        p.put("server.port", "0");
        p.put("http.port", "0");
        p.put("coord.pchannel.count", Integer.toString(pchannels));
        p.put("wal.local.batch.max.bytes", Long.toString(batchBytes));
        p.put(RETENTION_BYTES, RETENTION_BYTES_DEFAULT);
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
        p.remove("http.port");
        return "tidelog standalone as a child process, 127.0.0.1:<ephemeral>, " + p
                + " (standalone defaults otherwise: wal.local.segment.bytes=16MiB)";
    }

    /** The name of the {@code index}-th vchannel of a run over {@code pchannels} pchannels: spread round robin. */
    static String vchannel(int index, int pchannels) {
        return "pchannel-" + (index % pchannels) + "_bench" + index;
    }

    static final String SERVER_MAIN = "io.tidelog.server.Main";

    /** Starts a server with {@code pchannels} pchannels in a fresh directory, and one client for it. */
    Started start(String label, int pchannels) throws IOException {
        Path dir = work.newDirectory(label + "-" + (++started));
        Process server = null;
        try {
            List<String> args = new ArrayList<>(List.of(SERVER_MAIN, "standalone", "--data-dir",
                    dir.resolve("data").toString()));
            properties(pchannels).forEach((k, v) -> args.addAll(List.of("-c", k + "=" + v)));
            List<String> cmd = ChildJvm.command(jvmOptions, "BENCH_SERVER_JAVA_OPTS", args);
            Path log = dir.resolve("server.log");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(log.toFile());
            server = pb.start();
            String address = awaitAddress(server, log);
            Started s = new Started(server, address, dir);
            s.newClient();
            return s;
        } catch (IOException | RuntimeException e) {
            if (server != null) {
                server.destroyForcibly();
            }
            WorkDir.delete(dir);
            throw e;
        }
    }

    /** Waits for the line {@code ... listening on HOST:PORT ...} and returns the address. */
    private static String awaitAddress(Process server, Path log) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                String l;
                while ((l = out.readLine()) != null) {
                    int at = l.indexOf("listening on ");
                    if (at >= 0) {
                        return l.substring(at + "listening on ".length()).split(" ")[0];
                    }
                }
                return null;
            } catch (IOException e) {
                return null;
            }
        });
        String address;
        try {
            address = line.get(2, TimeUnit.MINUTES);
        } catch (Exception e) {
            address = null;
        }
        if (address == null) {
            throw new IOException("tidelog standalone did not start; its log:\n"
                    + (Files.exists(log) ? Files.readString(log) : "(none)"));
        }
        return address;
    }

    /** A running server and the clients made for it: closing closes them all and removes the directory. */
    static final class Started implements AutoCloseable {
        private final Process server;
        private final String address;
        private final Path dir;
        private final List<StreamingClient> clients = new ArrayList<>();

        private Started(Process server, String address, Path dir) {
            this.server = server;
            this.address = address;
            this.dir = dir;
        }

        /** The server's process id, to read its CPU time. */
        long pid() {
            return server.pid();
        }

        /** The server's {@code host:port}, for a channel of one's own (raw gRPC calls the client does not make). */
        String address() {
            return address;
        }

        /** The first client. */
        StreamingClient client() {
            return clients.get(0);
        }

        /** One more client of this server, closed with it. */
        StreamingClient newClient() {
            StreamingClient c = StreamingClient.builder().target(address).build();
            clients.add(c);
            return c;
        }

        @Override
        public void close() throws IOException {
            try {
                Closeables.closeAll(clients);
                ChildJvm.stop(server, Duration.ofSeconds(60)); // SIGTERM first: a clean shutdown
            } finally {
                WorkDir.delete(dir);
            }
        }
    }
}
