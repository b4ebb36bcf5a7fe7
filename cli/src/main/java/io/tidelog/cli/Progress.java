package io.tidelog.cli;

import java.io.PrintWriter;

/**
 * A progress line on standard error, rewritten in place at most five times a second, shown only when the
 * process runs at a terminal (Java 17 can only tell whether the console is interactive, so output piped to a
 * file also hides it). Not thread-safe.
 */
final class Progress {
    private static final long INTERVAL_NANOS = 200_000_000L;

    private final PrintWriter err;
    private final boolean enabled;
    private final String unit;
    private final long start = System.nanoTime();
    private long lastShown = start;
    private boolean shown;

    Progress(PrintWriter err, boolean enabled) {
        this(err, enabled, "messages");
    }

    /** @param unit what is counted, plural ("messages", "rows") */
    Progress(PrintWriter err, boolean enabled, String unit) {
        this.err = err;
        this.enabled = enabled;
        this.unit = unit;
    }

    static Progress forTerminal(PrintWriter err) {
        return new Progress(err, System.console() != null);
    }

    static Progress forTerminal(PrintWriter err, String unit) {
        return new Progress(err, System.console() != null, unit);
    }

    /** Shows {@code done} messages so far, if it is time to. */
    void update(long done) {
        long now = System.nanoTime();
        if (!enabled || now - lastShown < INTERVAL_NANOS) {
            return;
        }
        lastShown = now;
        shown = true;
        err.print("\r" + line(done, now));
        err.flush();
    }

    /** Ends the progress line with a summary, if one was shown. */
    void finish(long done) {
        if (enabled && shown) {
            err.println("\r" + line(done, System.nanoTime()));
            err.flush();
        }
    }

    private String line(long done, long now) {
        double seconds = Math.max(1e-9, (now - start) / 1e9);
        return String.format("%d %s, %.1f s, %.0f %s/s   ", done, unit, seconds, done / seconds,
                "messages".equals(unit) ? "msg" : unit);
    }
}
