package io.tidelog.wal.pulsar;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Pulsar 4.0.7 standalone broker (broker, one bookie, RocksDB metadata) in a process of its own, on the class path
 * the {@code pulsar-test-broker} module resolved (the broker's jars never meet the shaded client of the backend):
 * random free ports, a temporary data directory removed when it stops, loopback allowed for the bookie, ensemble and
 * quorums of one, no functions worker, no stream storage. Ledgers roll over every {@value #ENTRIES_PER_LEDGER}
 * entries, so truncation (a ledger at a time) deletes something within a test. Readiness is polled on the admin API
 * (the {@code public/default} namespace), with a deadline; the broker's log is in the exception if it is not ready
 * in time. No JUnit: the bench starts it too.
 *
 * <p>If the system property {@value #INTERCEPTOR_PROPERTY} names the damaging interceptor the
 * {@code pulsar-test-broker} module builds, the broker loads it, and {@link #deliverDamaged} works: the broker then
 * delivers a chosen message with a damaged payload under a valid Pulsar checksum, as a storage that silently flipped
 * bits would (the stored bytes stay as written).
 */
public final class StandaloneBrokerProcess implements AutoCloseable {
    /** The system property naming the file with the broker's class path (set by this module's surefire). */
    public static final String CLASSPATH_PROPERTY = "tidelog.pulsar.broker.classpath";
    /** The system property naming the jar of the test broker's damaging interceptor (optional). */
    public static final String INTERCEPTOR_PROPERTY = "tidelog.pulsar.broker.interceptor";
    /** The interceptor's name (its {@code broker_interceptor.yml}) and topic property (its class's contract). */
    private static final String INTERCEPTOR_NAME = "tidelog-damage";
    private static final String DAMAGE_PROPERTY = "tidelog.test.damage";
    static final int ENTRIES_PER_LEDGER = 100;
    private static final Duration START_DEADLINE = Duration.ofSeconds(120);

    private final String serviceUrl;
    private final String adminUrl;
    private final Process process;
    private final Path dir;
    private final boolean damaging;

    private StandaloneBrokerProcess(String serviceUrl, String adminUrl, Process process, Path dir, boolean damaging) {
        this.serviceUrl = serviceUrl;
        this.adminUrl = adminUrl;
        this.process = process;
        this.dir = dir;
        this.damaging = damaging;
    }

    public String serviceUrl() {
        return serviceUrl;
    }

    public String adminUrl() {
        return adminUrl;
    }

    /** Starts a broker with {@code -Xmx<heap>} and waits until it is ready. */
    public static StandaloneBrokerProcess start(String heap) {
        try {
            Path dir = Files.createTempDirectory("pulsar-test-broker");
            int brokerPort = freePort();
            int webPort = freePort();
            int bookiePort = freePort();
            Path conf = dir.resolve("standalone.conf");
            String interceptor = interceptorConfiguration(dir);
            Files.writeString(conf, String.join("\n",
                    "clusterName=standalone",
                    "advertisedAddress=127.0.0.1",
                    "bindAddress=127.0.0.1",
                    "brokerServicePort=" + brokerPort,
                    "webServicePort=" + webPort,
                    "allowLoopback=true",
                    "managedLedgerDefaultEnsembleSize=1",
                    "managedLedgerDefaultWriteQuorum=1",
                    "managedLedgerDefaultAckQuorum=1",
                    "managedLedgerMaxEntriesPerLedger=" + ENTRIES_PER_LEDGER,
                    "managedLedgerMinLedgerRolloverTimeMinutes=0",
                    "functionsWorkerEnabled=false",
                    "brokerDeleteInactiveTopicsEnabled=false",
                    "loadBalancerEnabled=false",
                    interceptor,
                    "") + "\n");
            List<String> cmd = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xms128m", "-Xmx" + heap, "-XX:MaxDirectMemorySize=256m",
                    "-cp", brokerClasspath(),
                    "org.apache.pulsar.PulsarStandaloneStarter",
                    "--config", conf.toString(),
                    "--no-functions-worker", "--no-stream-storage", "--wipe-data",
                    "--bookkeeper-port", Integer.toString(bookiePort),
                    "--bookkeeper-dir", dir.resolve("bookkeeper").toString(),
                    "--metadata-dir", dir.resolve("metadata").toString()));
            Path log = dir.resolve("broker.log");
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            StandaloneBrokerProcess s = new StandaloneBrokerProcess("pulsar://127.0.0.1:" + brokerPort,
                    "http://127.0.0.1:" + webPort, p, dir, !interceptor.isEmpty());
            s.awaitReady(log);
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the Pulsar test broker", e);
        }
    }

    /**
     * The configuration lines that load the damaging interceptor, if {@value #INTERCEPTOR_PROPERTY} names it: the jar
     * goes into the broker's interceptors directory as a NAR (Pulsar looks for {@code *.nar} there and unpacks it in
     * the NAR extraction directory, both in the broker's temporary directory).
     */
    private static String interceptorConfiguration(Path dir) throws IOException {
        String jar = System.getProperty(INTERCEPTOR_PROPERTY);
        if (jar == null) {
            return "";
        }
        if (!Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("no test broker interceptor: system property " + INTERCEPTOR_PROPERTY
                    + " = " + jar + " (the pulsar-test-broker module builds it; build with -am)");
        }
        Path interceptors = Files.createDirectories(dir.resolve("interceptors"));
        Files.copy(Path.of(jar), interceptors.resolve(INTERCEPTOR_NAME + ".nar"));
        return String.join("\n",
                "brokerInterceptorsDirectory=" + interceptors,
                "brokerInterceptors=" + INTERCEPTOR_NAME,
                "narExtractionDirectory=" + dir.resolve("nar"));
    }

    /**
     * From now on the broker delivers the message at {@code ledger:entry:batchIndex} of the topic at
     * {@code topicAdminPath} ({@code /admin/v2/persistent/<tenant>/<namespace>/<topic>}) with the first byte of its
     * payload inverted and the entry's Pulsar checksum recomputed, to every reader (a topic property the
     * interceptor reads on each dispatch): Pulsar's client hands the damaged message on. Needs the interceptor
     * ({@value #INTERCEPTOR_PROPERTY}).
     */
    public void deliverDamaged(String topicAdminPath, long ledger, long entry, int batchIndex) {
        setDamage(topicAdminPath, ledger + ":" + entry + ":" + batchIndex);
    }

    /**
     * As {@link #deliverDamaged}, but the entry keeps the checksum it was written with: Pulsar's client finds the
     * entry damaged and drops it whole, telling the application nothing.
     */
    public void deliverDamagedUnderItsStaleChecksum(String topicAdminPath, long ledger, long entry, int batchIndex) {
        setDamage(topicAdminPath, ledger + ":" + entry + ":" + batchIndex + ":stale-checksum");
    }

    private void setDamage(String topicAdminPath, String target) {
        if (!damaging) {
            throw new IllegalStateException("this broker runs without the damaging interceptor (system property "
                    + INTERCEPTOR_PROPERTY + " unset when it started)");
        }
        String body = "{\"" + DAMAGE_PROPERTY + "\":\"" + target + "\"}";
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(adminUrl + topicAdminPath
                            + "/properties")).timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() / 100 != 2) {
                throw new IllegalStateException("cannot set the damage property of " + topicAdminPath + ": "
                        + r.statusCode() + " " + r.body());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set the damage property of " + topicAdminPath, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while setting the damage property", e);
        }
    }

    private static String brokerClasspath() throws IOException {
        String file = System.getProperty(CLASSPATH_PROPERTY);
        if (file == null || !Files.isRegularFile(Path.of(file))) {
            throw new IllegalStateException("no broker class path: system property " + CLASSPATH_PROPERTY + " = "
                    + file + " (the pulsar-test-broker module writes it; build with -am)");
        }
        return Files.readString(Path.of(file)).trim();
    }

    private void awaitReady(Path log) throws IOException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + START_DEADLINE.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                break;
            }
            if (ok(http, adminUrl + "/admin/v2/namespaces/public/default")) {
                return;
            }
            try {
                process.waitFor(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        close();
        throw new IllegalStateException("the Pulsar test broker was not ready within " + START_DEADLINE
                + "; its log:\n" + output);
    }

    private static boolean ok(HttpClient http, String url) {
        try {
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2))
                    .GET().build(), HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** SIGTERM (SIGKILL after 20 s), then the data directory is removed. Idempotent. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a temporary directory: left for the system to clean
        }
    }
}
