package io.tidelog.meta.etcd;

import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.KVGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real etcd server for one test class: the {@code etcd} binary (Debian package {@code etcd-server}; the project's
 * {@code scripts/test} installs it) as a child process, one member, on free ports of 127.0.0.1, with its data in a
 * temporary directory removed when it stops. Register it as a static extension: it starts before the class's first
 * test, once, and stops after its last. Tests can kill it (SIGKILL) and start it again on the same data, stop it,
 * pause it (SIGSTOP) and resume it, wipe it, and compact its history. Shipped in this module's test-jar, for the
 * cluster's tests.
 *
 * <p>It runs with a heartbeat of 25 ms and an election timeout of 250 ms, so a restarted member leads again within
 * about a quarter second and etcd's smallest lease is 1 s. Readiness is polled on etcd's {@code /health} endpoint
 * with a deadline; a failed start reports the end of etcd's log.
 */
public final class EtcdServer implements BeforeAllCallback, AfterAllCallback {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final String NAME = "tidelog-test";

    private final long maxRequestBytes;
    private Path dir;
    private int clientPort;
    private int peerPort;
    private Process process;
    private Thread reaper;

    /** etcd with its default request limit (1.5 MiB). */
    public EtcdServer() {
        this(0);
    }

    private EtcdServer(long maxRequestBytes) {
        this.maxRequestBytes = maxRequestBytes;
    }

    /** etcd started with {@code --max-request-bytes} = {@code bytes}. */
    public static EtcdServer withMaxRequestBytes(long bytes) {
        return new EtcdServer(bytes);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        dir = Files.createTempDirectory("tidelog-etcd-");
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        try {
            stop();
        } finally {
            deleteTree(dir);
        }
    }

    /** The client endpoint, {@code 127.0.0.1:PORT}. */
    public String endpoint() {
        return "127.0.0.1:" + clientPort;
    }

    /** The properties of an etcd meta store on this server whose keys live under {@code root}. */
    public Map<String, String> storeProperties(String root) {
        return Map.of(EtcdMetaStoreConfig.ENDPOINTS, endpoint(), EtcdMetaStoreConfig.ROOT, root,
                EtcdMetaStoreConfig.REQUEST_TIMEOUT, "5s");
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /**
     * Starts etcd on the data it has (none the first time) and waits until it serves. The first start takes free
     * ports, and other ones if etcd finds them taken meanwhile; later starts keep them.
     */
    public synchronized void start() {
        if (isRunning()) {
            throw new IllegalStateException("etcd is running already");
        }
        boolean firstStart = clientPort == 0;
        for (int attempt = 1; ; attempt++) {
            if (firstStart) {
                clientPort = freePort();
                peerPort = freePort();
            }
            try {
                launch();
                return;
            } catch (IllegalStateException e) {
                if (!firstStart || attempt == 3 || !log().contains("address already in use")) {
                    throw e;
                }
            }
        }
    }

    /** SIGTERM, waiting for etcd to exit (SIGKILL after 10 s). */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                kill();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
        }
        ended();
    }

    /** SIGKILL, waiting until the process is gone: a crash of the server; its data stays. */
    public synchronized void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly().onExit().join();
        ended();
    }

    /** Stops etcd and starts it again with no data: a fresh cluster on the same ports. */
    public synchronized void wipe() {
        stop();
        deleteTree(dir.resolve("data"));
        start();
    }

    /** SIGSTOP: etcd keeps its connections but answers nothing until {@link #resume()}. */
    public synchronized void pause() {
        signal("-STOP");
    }

    /** SIGCONT after {@link #pause()}. */
    public synchronized void resume() {
        signal("-CONT");
    }

    /** Compacts etcd's history below {@code revision} (at most its current revision), physically. */
    public void compact(long revision) {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", clientPort).usePlaintext().build();
        try {
            KVGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .compact(CompactionRequest.newBuilder().setRevision(revision).setPhysical(true).build());
        } finally {
            channel.shutdownNow();
        }
    }

    private void launch() {
        List<String> command = new ArrayList<>(List.of("etcd", "--name", NAME,
                "--data-dir", dir.resolve("data").toString(),
                "--listen-client-urls", url(clientPort), "--advertise-client-urls", url(clientPort),
                "--listen-peer-urls", url(peerPort), "--initial-advertise-peer-urls", url(peerPort),
                "--initial-cluster", NAME + "=" + url(peerPort),
                "--heartbeat-interval", "25", "--election-timeout", "250",
                "--logger", "zap", "--log-outputs", dir.resolve("etcd.log").toString()));
        if (maxRequestBytes > 0) {
            command.addAll(List.of("--max-request-bytes", Long.toString(maxRequestBytes)));
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("etcd.out").toFile()));
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run etcd (" + e.getMessage() + "): these tests need the etcd binary"
                    + " on the PATH, Debian package etcd-server (./scripts/test installs it)", e);
        }
        Process started = process;
        reaper = new Thread(started::destroyForcibly, "etcd-test-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
        awaitHealthy();
    }

    private void awaitHealthy() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        long pauseMicros = 200;
        while (!healthy()) {
            if (!process.isAlive() || System.nanoTime() - deadline > 0) {
                String why = process.isAlive() ? "is not healthy after " + START_TIMEOUT : "exited with "
                        + process.exitValue();
                kill();
                throw new IllegalStateException("etcd " + why + "; the end of its log:\n" + log());
            }
            LockSupport.parkNanos(pauseMicros * 1000);
            pauseMicros = Math.min(pauseMicros * 2, 20_000);
        }
    }

    private boolean healthy() {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(url(clientPort) + "/health").toURL().openConnection();
            c.setConnectTimeout(1000);
            c.setReadTimeout(1000);
            try {
                return c.getResponseCode() == 200
                        && new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8).contains("\"true\"");
            } finally {
                c.disconnect();
            }
        } catch (IOException e) {
            return false;
        }
    }

    private void ended() {
        process = null;
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway, on a process that is gone
        }
    }

    private void signal(String signal) {
        if (process == null) {
            throw new IllegalStateException("etcd is not running");
        }
        try {
            Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid())).start();
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill " + signal + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while signalling etcd", e);
        }
    }

    private String log() {
        StringBuilder b = new StringBuilder();
        for (String name : List.of("etcd.out", "etcd.log")) {
            Path p = dir.resolve(name);
            try {
                if (Files.exists(p)) {
                    List<String> lines = Files.readAllLines(p, StandardCharsets.UTF_8);
                    lines.subList(Math.max(0, lines.size() - 20), lines.size()).forEach(l -> b.append(l).append('\n'));
                }
            } catch (IOException e) {
                b.append("(").append(p).append(" cannot be read: ").append(e.getMessage()).append(")\n");
            }
        }
        return b.toString();
    }

    private static String url(int port) {
        return "http://127.0.0.1:" + port;
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
