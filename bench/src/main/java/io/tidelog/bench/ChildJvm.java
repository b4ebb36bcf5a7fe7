package io.tidelog.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A JVM a benchmark starts as a child process from its own class path (a server, a broker), so that the child's
 * CPU and heap are not the bench JVM's; nothing it runs is imported.
 */
final class ChildJvm {
    private ChildJvm() {
    }

    /**
     * The command line {@code java OPTIONS EXTRA -cp <this JVM's class path> ARGS}, where EXTRA are the
     * blank-separated options in the environment variable {@code optionsVariable}, if set.
     */
    static List<String> command(List<String> options, String optionsVariable, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(options);
        String extra = System.getenv(optionsVariable);
        if (extra != null && !extra.isBlank()) {
            cmd.addAll(List.of(extra.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path")));
        cmd.addAll(args);
        return cmd;
    }

    /**
     * Stops {@code child}: SIGTERM for a clean shutdown, SIGKILL if it has not exited after {@code grace} (or when
     * interrupted meanwhile); returns once it exited or 10 s after the SIGKILL.
     */
    static void stop(Process child, Duration grace) {
        try {
            child.destroy();
            if (!child.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                child.destroyForcibly();
                child.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            child.destroyForcibly();
        }
    }
}
