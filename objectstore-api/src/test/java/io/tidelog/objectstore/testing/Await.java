package io.tidelog.objectstore.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waiting for a condition with a deadline: the only way tests synchronise with background work. */
public final class Await {
    private Await() {
    }

    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pauseMicros = 100;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout + " waiting until " + what);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(pauseMicros * 1000);
            pauseMicros = Math.min(pauseMicros * 2, 20_000);
        }
    }
}
