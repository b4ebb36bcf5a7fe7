package io.tidelog.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The Kafka broker of {@code wal-kafka}: an external one ({@code --bootstrap}), or by default one the bench starts
 * as a child process, so that the broker's CPU and heap are not the bench JVM's, as they would not be in a
 * deployment. The child is a single KRaft node (broker and controller in one, as Kafka's quickstart runs it), the
 * server's own main classes ({@code kafka.tools.StorageTool} to format, then {@code kafka.Kafka}) from the bench's
 * class path, which carries the server's jars, with the JVM options {@code kafka-server-start.sh} gives it ({@code
 * -Xmx1g -Xms1g}, G1 with 20 ms pauses; more from {@code BENCH_BROKER_JAVA_OPTS}), on two free loopback ports, its
 * log directory in a private temporary directory. Its internal topics have one replica and one partition, so
 * transactions work on the one node.
 *
 * <p>The broker's directory is a {@link WorkDir}: {@link #close} stops the child (SIGTERM, then SIGKILL after 30 s)
 * and removes the directory, and its shutdown hook does the same when the bench is interrupted (Ctrl-C) or fails.
 * The broker's output goes to {@code broker.log} there, printed when it fails to start.
 */
final class KafkaBroker implements AutoCloseable {
    static final String MAIN = "kafka.Kafka";
    static final String STORAGE_TOOL = "kafka.tools.StorageTool";
    private static final Duration START_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final List<String> BROKER_JVM_OPTIONS = List.of("-Xmx1g", "-Xms1g", "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent",
            "-Djava.awt.headless=true");

    private final String bootstrap;
    private final Process process;
    private final WorkDir dir;

    private KafkaBroker(String bootstrap, Process process, WorkDir dir) {
        this.bootstrap = bootstrap;
        this.process = process;
        this.dir = dir;
    }

    /** A broker the bench does not own: nothing is started or stopped. */
    static KafkaBroker external(String bootstrap) {
        return new KafkaBroker(bootstrap, null, null);
    }

    /**
     * Starts a broker in a new directory inside {@code parent} (the system temporary directory if null) and
     * returns once a client can create a topic on it.
     */
    static KafkaBroker start(Path parent) throws IOException {
        return start(parent, Map.of());
    }

    /** As {@link #start(Path)}, with {@code extra} broker settings added to (or replacing) the bench's. */
    static KafkaBroker start(Path parent, Map<String, String> extra) throws IOException {
        WorkDir dir = WorkDir.create(parent, "tidelog-bench-kafka-");
        try {
            int brokerPort = freePort();
            int controllerPort = freePort();
            Path properties = Files.writeString(dir.path().resolve("server.properties"),
                    serverProperties(brokerPort, controllerPort, dir.path().resolve("logs"), extra));
            format(dir.path(), properties);
            Process p = new ProcessBuilder(command(List.of(MAIN, properties.toString()))).redirectErrorStream(true)
                    .redirectOutput(dir.path().resolve("broker.log").toFile()).start();
            dir.beforeRemoval(() -> ChildJvm.stop(p, STOP_TIMEOUT));
            KafkaBroker broker = new KafkaBroker("127.0.0.1:" + brokerPort, p, dir);
            broker.awaitReady();
            return broker;
        } catch (IOException | RuntimeException e) {
            try {
                dir.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    String bootstrapServers() {
        return bootstrap;
    }

    /** The broker's process id; empty for an external broker. */
    OptionalLong pid() {
        return process == null ? OptionalLong.empty() : OptionalLong.of(process.pid());
    }

    /** Where the broker is, for the report header. */
    String describe() {
        return process == null ? "external, " + bootstrap
                : "a child process (kafka.Kafka, one KRaft node, -Xmx1g) at " + bootstrap + ", started by the bench";
    }

    /** An admin client of this broker; the caller closes it. */
    Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.CLIENT_ID_CONFIG, "tidelog-bench-admin"));
    }

    /** The broker's {@code server.properties}: one KRaft node on the two ports, then {@code extra}. */
    static String serverProperties(int brokerPort, int controllerPort, Path logDir, Map<String, String> extra) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.bootstrap.servers", "127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", logDir.toString());
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.putAll(extra);
        return p.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining("\n", "", "\n"));
    }

    private static List<String> command(List<String> args) {
        return ChildJvm.command(BROKER_JVM_OPTIONS, "BENCH_BROKER_JAVA_OPTS", args);
    }

    /** Formats the log directory for a new cluster, as {@code kafka-storage.sh format --standalone} does. */
    private static void format(Path dir, Path properties) throws IOException {
        Path log = dir.resolve("format.log");
        Process p = new ProcessBuilder(command(List.of(STORAGE_TOOL, "format", "-t", Uuid.randomUuid().toString(),
                "-c", properties.toString(), "--standalone")))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (!p.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("formatting the broker's storage took longer than " + START_TIMEOUT);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while formatting the broker's storage", e);
        }
        if (p.exitValue() != 0) {
            throw new IOException("formatting the broker's storage failed (exit status " + p.exitValue() + "):\n"
                    + Files.readString(log, StandardCharsets.UTF_8));
        }
    }

    /**
     * Waits until the broker's port accepts connections, then until a client can create a topic (the controller has
     * a leader and the broker is registered and unfenced); deletes that topic. Fails at once if the process exits,
     * with its log.
     */
    private void awaitReady() throws IOException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        int port = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
        try {
            while (!accepts(port)) {
                checkStarting(deadline, null);
                Thread.sleep(100); // polling the child: no event to wait on
            }
            String probe = "tidelog-bench-ready-" + Uuid.randomUuid();
            try (Admin admin = admin()) {
                while (!created(admin, probe)) {
                    checkStarting(deadline, null);
                    Thread.sleep(200);
                }
                admin.deleteTopics(List.of(probe)).all().get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                checkStarting(0, e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the Kafka broker", e);
        }
    }

    /** Whether {@code topic} exists now (created by this call or an earlier one whose answer came too late). */
    private static boolean created(Admin admin, String topic) throws InterruptedException {
        try {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(10, TimeUnit.SECONDS);
            return true;
        } catch (ExecutionException e) {
            return e.getCause() instanceof TopicExistsException;
        } catch (TimeoutException e) {
            return false;
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Throws, with the broker's log, if it exited, or if {@code deadline} passed (or {@code failure} is given). */
    private void checkStarting(long deadline, Exception failure) throws IOException {
        if (!process.isAlive()) {
            throw new IOException("the Kafka broker exited with status " + process.exitValue() + "; its log:\n" + log());
        }
        if (failure != null || System.nanoTime() - deadline > 0) {
            throw new IOException("the Kafka broker was not ready within " + START_TIMEOUT
                    + (failure == null ? "" : " (" + BenchMain.describe(failure) + ")") + "; its log:\n" + log(), failure);
        }
    }

    private String log() {
        try {
            List<String> lines = Files.readAllLines(dir.path().resolve("broker.log"), StandardCharsets.UTF_8);
            return lines.subList(Math.max(0, lines.size() - 60), lines.size()).stream()
                    .collect(Collectors.joining("\n"));
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Stops the broker it started (SIGTERM, then SIGKILL) and removes its directory. */
    @Override
    public void close() throws IOException {
        if (dir != null) {
            dir.close();
        }
    }
}
