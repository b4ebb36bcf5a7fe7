package io.tidelog.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code tidelog standalone} as a child process (the test's class path, {@link Main}), for tests that
 * kill the server for real. The port is chosen once, so restarts keep the address clients know.
 */
final class StandaloneProcess implements AutoCloseable {
    private final Path dataDir;
    private final int port;
    private final List<String> extraArgs;
    private final Path log;
    private Process process;

    StandaloneProcess(Path dataDir, List<String> extraArgs) throws IOException {
        this(dataDir, dataDir.getParent(), extraArgs);
    }

    /** A server whose log (its standard error) goes to {@code logDir}, for data on a disk that fills up. */
    StandaloneProcess(Path dataDir, Path logDir, List<String> extraArgs) throws IOException {
        this.dataDir = dataDir;
        this.extraArgs = extraArgs;
        this.port = freePort();
        this.log = Files.createTempFile(logDir, "standalone", ".log");
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    String address() {
        return "localhost:" + port;
    }

    /** Starts the server and waits until it says it listens (every pchannel assigned). */
    void start() throws Exception {
        start(List.of());
    }

    /** Starts the server with {@code moreArgs} after the constructor's, and waits until it listens. */
    void start(List<String> moreArgs) throws Exception {
        launch(moreArgs);
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
            try {
                String line;
                while ((line = out.readLine()) != null) {
                    if (line.contains("listening on")) {
                        return line;
                    }
                }
                return null;
            } catch (IOException e) {
                return null;
            }
        });
        String line = ready.get(60, TimeUnit.SECONDS);
        if (line == null) {
            throw new IllegalStateException("standalone server did not start; its log:\n" + Files.readString(log));
        }
    }

    /** Starts the server expecting it to fail: waits for it to exit and returns its exit status. */
    int startAndAwaitExit() throws Exception {
        launch(List.of());
        process.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("standalone server did not exit within 60 s; its log:\n" + log());
        }
        return process.exitValue();
    }

    private void launch(List<String> moreArgs) throws IOException {
        List<String> cmd = tidelog(List.of("-Xmx512m"), List.of("standalone", "--data-dir", dataDir.toString(), "--port",
                Integer.toString(port), "--http-port", "0"));
        cmd.addAll(extraArgs);
        cmd.addAll(moreArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        process = pb.start();
    }

    /** The command line of {@code tidelog ARGS} in a JVM with {@code jvmOptions} and the test's class path. */
    static List<String> tidelog(List<String> jvmOptions, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        return cmd;
    }

    int port() {
        return port;
    }

    /** SIGKILL, and wait for the process to be gone. */
    void kill9() throws InterruptedException {
        process.toHandle().destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM (a clean shutdown), and wait for the process to exit. */
    int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException("standalone server did not stop within 60 s of SIGTERM");
        }
        return process.exitValue();
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.toHandle().destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
