package io.tidelog.server;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The server's executors: daemon threads named by their work, stopped at once with a bounded wait. */
final class ServerExecutors {
    private ServerExecutors() {
    }

    /** Daemon threads named {@code name-1}, {@code name-2}, ... */
    static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Interrupts the executor's work and waits up to 10 s for its threads to end. */
    static void shutdown(ExecutorService e) throws InterruptedException {
        e.shutdownNow();
        e.awaitTermination(10, TimeUnit.SECONDS);
    }
}
