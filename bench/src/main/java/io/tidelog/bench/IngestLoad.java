package io.tidelog.bench;

import io.tidelog.client.CollectionDescription;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.StreamingException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The background producer of {@code query}'s reads: inserts of {@code batchRows} rows into a collection of
 * {@link SearchedCollection#schema}, sent asynchronously on a fixed schedule ({@link OpenLoop#intendedTime}, the
 * schedule does not slow down when the server does), keys ascending from {@code firstKey}, random vectors.
 *
 * <p>{@link #acknowledgedKey()} is the largest key whose insert was acknowledged (durable and published) so far: a
 * STRONG read sent after reading it must see that row. Insert latency is recorded from the intended send time to
 * the acknowledgement, as context for the reads.
 *
 * <p>Threads: one sender thread of its own, from {@link #start} to {@link #close}; acknowledgements on the client's
 * threads; the getters from any thread.
 */
final class IngestLoad implements AutoCloseable {
    private static final long CLOSE_TIMEOUT_SECONDS = 30;

    private final StreamingClient client;
    private final CollectionDescription collection;
    private final int dim;
    private final int batchRows;
    private final OpenLoop schedule;
    private final SplittableRandom random;
    private final AtomicLong nextKey;
    private final AtomicLong acknowledged = new AtomicLong(-1);
    private final AtomicLong acknowledgedRows = new AtomicLong();
    private final AtomicLong inFlight = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Recorder latency = new Recorder(3);
    private final Thread sender;
    private volatile boolean stopping;

    /**
     * @param batchesPerSecond inserts sent per second, each of {@code batchRows} rows
     */
    IngestLoad(StreamingClient client, CollectionDescription collection, int dim, long batchesPerSecond, int batchRows,
               SplittableRandom random, long firstKey) {
        this.client = client;
        this.collection = collection;
        this.dim = dim;
        this.batchRows = batchRows;
        this.schedule = new OpenLoop(batchesPerSecond, OpenLoop.Clock.SYSTEM);
        this.random = random;
        this.nextKey = new AtomicLong(firstKey);
        this.sender = new Thread(this::send, "query-bench-ingest");
        this.sender.setDaemon(true);
    }

    void start() {
        sender.start();
    }

    private void send() {
        long start = System.nanoTime();
        for (long i = 0; !stopping && failure.get() == null; i++) {
            long intended = schedule.intendedTime(start, i);
            if (System.nanoTime() - intended < 0) {
                OpenLoop.Clock.SYSTEM.parkUntil(intended);
            }
            long first = nextKey.getAndAdd(batchRows);
            List<Map<String, Object>> rows = new ArrayList<>(batchRows);
            for (int r = 0; r < batchRows; r++) {
                Map<String, Object> row = new HashMap<>(4);
                row.put(SearchedCollection.KEY, first + r);
                row.put(SearchedCollection.VECTOR, SeededVectors.fill(random, dim));
                rows.add(row);
            }
            long last = first + batchRows - 1;
            inFlight.incrementAndGet();
            client.insert(collection, CollectionDescription.DEFAULT_PARTITION, rows, 0).whenComplete((w, e) -> {
                if (e != null) {
                    failure.compareAndSet(null, e);
                } else {
                    latency.recordValue(Math.max(0, System.nanoTime() - intended));
                    acknowledgedRows.addAndGet(batchRows);
                    acknowledged.accumulateAndGet(last, Math::max);
                }
                inFlight.decrementAndGet();
            });
        }
    }

    /** The largest key acknowledged so far; -1 before the first acknowledgement. */
    long acknowledgedKey() {
        return acknowledged.get();
    }

    /** Rows acknowledged since the start. */
    long acknowledgedRows() {
        return acknowledgedRows.get();
    }

    /** Insert latencies (nanoseconds from the intended send time) since the previous call. */
    Histogram latencies() {
        return latency.getIntervalHistogram();
    }

    /** Fails with the first insert's failure, if one failed. */
    void check() {
        Throwable f = failure.get();
        if (f != null) {
            StreamingException e = StreamingException.from(f);
            throw new StreamingException(e.code(), "the ingest into " + collection.name() + " failed: " + e.detail(), f);
        }
    }

    /** Stops sending and waits (up to 30 s; less when interrupted) for the inserts in flight. */
    @Override
    public void close() {
        stopping = true;
        try {
            sender.join(TimeUnit.SECONDS.toMillis(CLOSE_TIMEOUT_SECONDS));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CLOSE_TIMEOUT_SECONDS);
            while (inFlight.get() > 0 && System.nanoTime() - deadline < 0) {
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
