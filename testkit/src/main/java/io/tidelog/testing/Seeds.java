package io.tidelog.testing;

import java.util.Random;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Seeded randomness for tests: register with {@code @RegisterExtension}, draw a {@link Random} with
 * {@link #random()}; on failure the seed is printed so the run can be repeated with
 * {@code -Dtidelog.test.seed=N}.
 */
public final class Seeds implements TestWatcher {
    private final long seed;

    public Seeds() {
        String fixed = System.getProperty("tidelog.test.seed");
        this.seed = fixed != null ? Long.parseLong(fixed) : System.nanoTime();
    }

    public long seed() {
        return seed;
    }

    public Random random() {
        return new Random(seed);
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        System.err.println("[seed] " + context.getDisplayName() + " failed with seed " + seed
                + " (repeat with -Dtidelog.test.seed=" + seed + ")");
    }
}
