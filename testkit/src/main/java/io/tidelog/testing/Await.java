package io.tidelog.testing;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Waiting for a condition with a deadline: the only way tests synchronise with background work. */
public final class Await {
    /** The deadline when a test names none. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(20);

    private Await() {
    }

    public static void until(String what, BooleanSupplier condition) {
        until(what, DEFAULT_TIMEOUT, condition);
    }

    public static void until(String what, BooleanSupplier condition, Duration timeout) {
        until(what, timeout, condition);
    }

    /** Polls {@code condition} (backing off from 100 µs to 20 ms) until it holds; fails naming {@code what} at the deadline. */
    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pauseMicros = 100;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout + " waiting until " + what);
            }
            LockSupport.parkNanos(pauseMicros * 1000);
            pauseMicros = Math.min(pauseMicros * 2, 20_000);
        }
    }
}
