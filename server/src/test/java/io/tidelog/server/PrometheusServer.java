package io.tidelog.server;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real Prometheus server (the {@code prometheus} binary of Debian's package, on the PATH) as a child process for one
 * test: its configuration, storage and log in a directory of the test, its HTTP port free at start, scraping one
 * target every second. {@link #close()} stops it and waits for it.
 */
final class PrometheusServer implements AutoCloseable {
    private static final Pattern VALUE = Pattern.compile("\"value\":\\[[0-9.eE+-]+,\"([^\"]+)\"\\]");

    private final Process process;
    private final String address;
    private final Path log;

    private PrometheusServer(Process process, String address, Path log) {
        this.process = process;
        this.address = address;
        this.log = log;
    }

    /** Starts Prometheus in {@code dir} scraping {@code target} (host:port, path /metrics) as job {@code tidelog}. */
    static PrometheusServer start(Path dir, String target) throws IOException {
        return start(dir, target, null);
    }

    /**
     * Starts Prometheus in {@code dir} scraping {@code target} as job {@code tidelog}, presenting {@code bearer} (when
     * not null) as {@code Authorization: Bearer}; then also as job {@code anonymous}, presenting nothing.
     */
    static PrometheusServer start(Path dir, String target, String bearer) throws IOException {
        Files.createDirectories(dir);
        Path config = dir.resolve("prometheus.yml");
        List<String> lines = new ArrayList<>(List.of(
                "global:",
                "  scrape_interval: 1s",
                "  scrape_timeout: 1s",
                "  evaluation_interval: 1s",
                "scrape_configs:",
                "  - job_name: tidelog",
                "    static_configs:",
                "      - targets: ['" + target + "']"));
        if (bearer != null) {
            lines.addAll(List.of(
                    "    authorization:",
                    "      type: Bearer",
                    "      credentials: '" + bearer + "'",
                    "  - job_name: anonymous",
                    "    static_configs:",
                    "      - targets: ['" + target + "']"));
        }
        lines.add("");
        Files.writeString(config, String.join("\n", lines));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String address = "127.0.0.1:" + port;
        Path log = dir.resolve("prometheus.log");
        List<String> cmd = new ArrayList<>(List.of(binary(), "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=" + address, "--log.level=warn"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new PrometheusServer(p, address, log);
    }

    /** The binary, found on the PATH; a clear failure if Debian's {@code prometheus} package is not installed. */
    private static String binary() {
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(d, "prometheus");
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new IllegalStateException("the prometheus binary is not on the PATH: install Debian's package prometheus"
                + " (./scripts/test does when run as root)");
    }

    /** Whether it answers {@code /-/ready} with 200; fails at once, with its log, if it has exited. */
    boolean isReady() throws IOException, InterruptedException {
        if (!process.isAlive()) {
            throw new IllegalStateException("prometheus exited with " + process.exitValue() + "; its log:\n"
                    + Files.readString(log));
        }
        try {
            return Exposition.get(address, "/-/ready").status() == 200;
        } catch (IOException e) {
            return false; // not listening yet
        }
    }

    /**
     * The value of an instant query whose answer is one series (via {@code /api/v1/query}), or NaN if it has none (yet).
     *
     * @throws IllegalStateException if it answers more than one series or an error
     */
    double query(String promql) throws IOException, InterruptedException {
        Exposition.Reply r = Exposition.get(address, "/api/v1/query?query="
                + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        if (r.status() != 200 || !r.body().contains("\"status\":\"success\"")) {
            throw new IllegalStateException("query " + promql + " answered " + r.status() + ": " + r.body());
        }
        Matcher m = VALUE.matcher(r.body());
        if (!m.find()) {
            return Double.NaN;
        }
        double v = Double.parseDouble(m.group(1));
        if (m.find()) {
            throw new IllegalStateException("query " + promql + " answered more than one series: " + r.body());
        }
        return v;
    }

    String log() throws IOException {
        return Files.readString(log);
    }

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
    }
}
