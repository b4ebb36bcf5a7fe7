package io.tidelog.server;

import java.time.Duration;

/**
 * Which of many like events get a log line: the first, then at most one per interval; each line says how many
 * were left out since the line before. Thread-safe.
 */
final class LogRateLimit {
    private final long intervalNanos;
    private boolean logged;
    private long lastNanos;
    private long leftOut;

    LogRateLimit(Duration interval) {
        this.intervalNanos = interval.toNanos();
    }

    /**
     * An event at {@code nowNanos} ({@link System#nanoTime()}): {@code -1} if it gets no line, else how many events
     * got none since the last line.
     */
    synchronized long admit(long nowNanos) {
        if (logged && nowNanos - lastNanos < intervalNanos) {
            leftOut++;
            return -1;
        }
        long n = leftOut;
        logged = true;
        lastNanos = nowNanos;
        leftOut = 0;
        return n;
    }
}
