package io.tidelog.cli;

import java.util.concurrent.CountDownLatch;

/**
 * A request that the running command stop cleanly, made at most once: by SIGTERM or Ctrl-C through
 * {@link Launcher#run}, or by a test. Long-running commands look at it between steps ({@code consume} between
 * polls, {@code produce} and {@code insert} between inputs, {@code standalone} waits for it) and then end as
 * they would at the end of their input: what they printed is flushed and they exit 0. Thread-safe.
 */
public final class StopRequest {
    private final CountDownLatch requested = new CountDownLatch(1);

    /** Asks the command to stop. Idempotent. */
    public void request() {
        requested.countDown();
    }

    public boolean isRequested() {
        return requested.getCount() == 0;
    }

    /** Waits until a stop is requested. */
    public void await() throws InterruptedException {
        requested.await();
    }
}
