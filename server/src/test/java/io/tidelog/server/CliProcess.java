package io.tidelog.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A {@code tidelog} command as a child process ({@link StandaloneProcess#tidelog}): real standard input and
 * output bytes, real signals and the real exit status. Its output is collected as it comes, so a test can wait
 * for lines while the command runs.
 */
final class CliProcess implements AutoCloseable {
    /** A client command's JVM: small, quick to start. */
    private static final List<String> JVM = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    private final Process process;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Thread outPump;
    private final Thread errPump;

    private CliProcess(Process process) {
        this.process = process;
        this.outPump = pump(process.getInputStream(), out);
        this.errPump = pump(process.getErrorStream(), err);
    }

    /** Starts {@code tidelog ARGS} with {@code env} added to this process's environment. */
    static CliProcess start(Map<String, String> env, String... args) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(StandaloneProcess.tidelog(JVM, List.of(args)));
        pb.environment().putAll(env);
        return new CliProcess(pb.start());
    }

    static CliProcess start(String... args) throws IOException {
        return start(Map.of(), args);
    }

    /** Runs {@code tidelog ARGS} with {@code input} as its whole standard input, to its end. */
    static CliProcess run(byte[] input, String... args) throws Exception {
        CliProcess p = start(args);
        p.stdin().write(input);
        p.stdin().close();
        p.waitFor(Duration.ofMinutes(3));
        return p;
    }

    OutputStream stdin() {
        return process.getOutputStream();
    }

    /** Waits for the exit (and the last of its output) and returns the status. */
    int waitFor(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("tidelog did not exit within " + timeout + "; stderr: " + stderr());
        }
        outPump.join(timeout.toMillis());
        errPump.join(timeout.toMillis());
        return process.exitValue();
    }

    /**
     * SIGTERM, then {@link #waitFor}. Through the process handle: {@link Process#destroy()} would also close the
     * pipes of its output, and what the command prints while it stops would be lost.
     */
    int terminate() throws InterruptedException {
        process.toHandle().destroy();
        return waitFor(Duration.ofMinutes(1));
    }

    /** Closes the reading end of its standard output, as {@code | head} does once it has what it wants. */
    void closeStdout() throws IOException {
        process.getInputStream().close();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    int status() {
        return process.exitValue();
    }

    byte[] stdout() {
        synchronized (out) {
            return out.toByteArray();
        }
    }

    List<String> stdoutLines() {
        return new String(stdout(), StandardCharsets.UTF_8).lines().toList();
    }

    String stderr() {
        synchronized (err) {
            return err.toString(StandardCharsets.UTF_8);
        }
    }

    private static Thread pump(InputStream from, ByteArrayOutputStream to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = from.read(buf)) >= 0; ) {
                    synchronized (to) {
                        to.write(buf, 0, n);
                    }
                }
            } catch (IOException closed) {
                // closeStdout(): nothing more is read
            }
        }, "cli-output");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Kills it if it still runs (SIGKILL). */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
