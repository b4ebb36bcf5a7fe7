package io.tidelog.server.chaos;

import io.tidelog.server.Main;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One member of a test cluster as a child process ({@code tidelog coord ...} or {@code tidelog node ...} on the
 * test's class path), for tests that kill, freeze and restart it for real. Its port is chosen once, so a restart
 * keeps the address; its standard error goes to a log file that every restart appends to.
 */
final class ClusterProcess implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    /** Where the line that says it listens puts its HTTP port. */
    private static final java.util.regex.Pattern HTTP = java.util.regex.Pattern.compile("HTTP on http://(\\S+) ");

    final String name;
    final int port;
    private final List<String> args;
    private final Path log;
    private Process process;
    private boolean stopped;
    /** host:port of its HTTP endpoints, as its last start said. */
    private volatile String httpAddress;

    /** @param args the command line after {@code tidelog}, without {@code --port} and {@code --http-port} (any free one) */
    ClusterProcess(String name, List<String> args, Path logDir) throws IOException {
        this.name = name;
        this.port = freePort();
        this.args = List.copyOf(args);
        this.log = logDir.resolve(name + ".log");
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    /** host:port of {@code /metrics}, {@code /healthz} and {@code /readyz} (a free port picked at each start). */
    String httpAddress() {
        return httpAddress;
    }

    /** Starts the process and waits until it says it listens. */
    synchronized void start() throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k"));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        cmd.addAll(List.of("--port", Integer.toString(port), "--http-port", "0"));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Process p = pb.start();
        process = p;
        stopped = false;
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<Boolean> ready = CompletableFuture.supplyAsync(() -> {
            try {
                String line;
                while ((line = out.readLine()) != null) {
                    if (line.contains("listening on")) {
                        java.util.regex.Matcher http = HTTP.matcher(line);
                        httpAddress = http.find() ? http.group(1) : null;
                        // keep draining so the child never blocks on a full pipe
                        CompletableFuture.runAsync(() -> {
                            try {
                                p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
                            } catch (IOException e) {
                                // gone
                            }
                        });
                        return true;
                    }
                }
                return false;
            } catch (IOException e) {
                return false;
            }
        });
        if (!ready.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            throw new IllegalStateException(name + " did not start; the end of its log:\n" + logTail());
        }
    }

    synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Stopped by {@link #freeze()} and not thawed yet. */
    synchronized boolean isFrozen() {
        return stopped;
    }

    /** SIGKILL, and wait until the process is gone. */
    synchronized void kill9() throws InterruptedException {
        if (process != null) {
            if (stopped) {
                signal("-CONT");
            }
            process.toHandle().destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** SIGSTOP: the process keeps its sockets and answers nothing, as a machine that froze. */
    synchronized void freeze() throws Exception {
        signal("-STOP");
        stopped = true;
    }

    /** SIGCONT after {@link #freeze()}. */
    synchronized void thaw() throws Exception {
        signal("-CONT");
        stopped = false;
    }

    /** SIGTERM (a graceful stop), and wait for the exit status. */
    synchronized int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(90, TimeUnit.SECONDS)) {
            process.toHandle().destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException(name + " did not stop within 90 s of SIGTERM");
        }
        return process.exitValue();
    }

    private void signal(String which) throws InterruptedException {
        try {
            Process kill = new ProcessBuilder("kill", which, Long.toString(process.pid())).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill " + which + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new IllegalStateException("kill " + which + " failed", e);
        }
    }

    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    Path log() {
        return log;
    }

    @Override
    public synchronized void close() {
        if (process != null && process.isAlive()) {
            try {
                kill9();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
