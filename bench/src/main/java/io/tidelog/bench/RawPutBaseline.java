package io.tidelog.bench;

import io.tidelog.objectstore.ObjectStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The limit an object-store WAL is judged against: PUTs of whole objects straight to the store, with nothing
 * else done. Each PUT is a conditional create of a fresh key ({@code If-None-Match: *} on S3, {@code link(2)} of
 * a synced file on a directory), the call the WAL writes its blocks with, so that the two sides pay for the same
 * store operation; every key lies under one prefix, as one WAL segment's blocks do.
 *
 * <p>Threads: {@code parallel} threads of its own per call, stopped before the call returns.
 */
final class RawPutBaseline {
    private final ObjectStore store;
    private final String prefix;
    private final AtomicLong next = new AtomicLong();

    /** PUTs to {@code store} under {@code prefix + "/"}. */
    RawPutBaseline(ObjectStore store, String prefix) {
        this.store = store;
        this.prefix = prefix;
    }

    /** {@code bytes} random bytes, the object both sides' PUTs are made of. */
    static byte[] randomObject(int bytes) {
        byte[] b = new byte[bytes];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    private void putOnce(byte[] object) {
        String key = prefix + "/" + String.format("%010d", next.getAndIncrement());
        if (!store.createIfAbsent(key, object)) {
            throw new IllegalStateException("the baseline's fresh key " + key + " already existed");
        }
    }

    /**
     * {@code parallel} threads each PUT {@code object} back to back for {@code nanos} (at least once); the bandwidth
     * over the time until the last PUT returned.
     *
     * @return object bytes per second
     */
    double bytesPerSecond(byte[] object, int parallel, long nanos) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(parallel);
        try {
            long start = System.nanoTime();
            long deadline = start + nanos;
            List<Future<Long>> loops = new ArrayList<>(parallel);
            for (int t = 0; t < parallel; t++) {
                loops.add(threads.submit(() -> {
                    long written = 0;
                    do {
                        putOnce(object);
                        written += object.length;
                    } while (System.nanoTime() - deadline < 0);
                    return written;
                }));
            }
            long written = 0;
            for (Future<Long> f : loops) {
                written += f.get();
            }
            return written * 1e9 / (System.nanoTime() - start);
        } finally {
            threads.shutdownNow();
        }
    }

    /**
     * An open loop of single PUTs of {@code object} at {@code rate} per second for {@code seconds}, each run on one
     * of {@code parallel} threads (as the WAL keeps up to {@code flush.parallelism} PUTs in flight); latency from
     * the intended send time to the PUT's return.
     */
    WalLatencyBench.Latency latency(byte[] object, int parallel, long rate, double seconds) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(parallel);
        try {
            return WalLatencyBench.openLoopAppends("the raw PUT baseline", rate, seconds,
                    i -> CompletableFuture.runAsync(() -> putOnce(object), threads));
        } finally {
            threads.shutdownNow();
        }
    }
}
