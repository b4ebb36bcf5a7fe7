package io.tidelog.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The CPU time a process has used, user plus system, over all its threads, read from {@code /proc/<pid>/stat}
 * (fields 14 {@code utime} and 15 {@code stime}, in clock ticks; {@code proc(5)}). Linux only: elsewhere
 * {@link #seconds} fails.
 *
 * <p>The second field, the command name in parentheses, may itself hold blanks and parentheses (a thread can
 * name itself {@code "a) b ("}), so the fields are counted from the <em>last</em> {@code ')'} of the line, as
 * {@code procps} does.
 */
final class ProcessCpu {
    /** Clock ticks per second when {@code getconf CLK_TCK} cannot say: the value of every common Linux build. */
    static final long DEFAULT_CLOCK_TICKS = 100;
    /** {@code utime}'s place among the fields after the command name (field 14 of the line, the state is field 3). */
    private static final int UTIME_AFTER_COMM = 14 - 3;

    private final Path stat;
    private final long ticksPerSecond;

    private ProcessCpu(Path stat, long ticksPerSecond) {
        this.stat = stat;
        this.ticksPerSecond = ticksPerSecond;
    }

    /** The CPU time of process {@code pid}, at {@code ticksPerSecond} clock ticks per second. */
    static ProcessCpu of(long pid, long ticksPerSecond) {
        return new ProcessCpu(Path.of("/proc", Long.toString(pid), "stat"), ticksPerSecond);
    }

    /** The CPU time of this JVM. */
    static ProcessCpu self(long ticksPerSecond) {
        return of(ProcessHandle.current().pid(), ticksPerSecond);
    }

    /** User plus system CPU seconds the process has used so far. */
    double seconds() throws IOException {
        String line;
        try {
            line = Files.readString(stat, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new IOException("cannot read the CPU time in " + stat + ": the process exited, or this is not Linux",
                    e);
        }
        return ticks(line) / (double) ticksPerSecond;
    }

    /** {@code utime + stime} of one line of {@code /proc/<pid>/stat}, in clock ticks. */
    static long ticks(String statLine) {
        int close = statLine.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("not a /proc/<pid>/stat line (no command name): " + statLine);
        }
        String[] f = statLine.substring(close + 1).trim().split("\\s+");
        if (f.length <= UTIME_AFTER_COMM + 1) {
            throw new IllegalArgumentException("not a /proc/<pid>/stat line (" + (f.length + 2) + " fields): "
                    + statLine);
        }
        try {
            return Long.parseLong(f[UTIME_AFTER_COMM]) + Long.parseLong(f[UTIME_AFTER_COMM + 1]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a /proc/<pid>/stat line (utime, stime not numbers): "
                    + statLine, e);
        }
    }

    /** Clock ticks per second as {@code getconf CLK_TCK} prints it, or {@link #DEFAULT_CLOCK_TICKS}. */
    static long clockTicksPerSecond() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            }
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return DEFAULT_CLOCK_TICKS;
            }
            return p.exitValue() == 0 ? parseClockTicks(out) : DEFAULT_CLOCK_TICKS;
        } catch (IOException e) {
            return DEFAULT_CLOCK_TICKS;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return DEFAULT_CLOCK_TICKS;
        }
    }

    /** The positive number {@code getconf} printed, or {@link #DEFAULT_CLOCK_TICKS}. */
    static long parseClockTicks(String getconfOutput) {
        try {
            long t = Long.parseLong(getconfOutput.trim());
            return t > 0 ? t : DEFAULT_CLOCK_TICKS;
        } catch (NumberFormatException e) {
            return DEFAULT_CLOCK_TICKS;
        }
    }
}
