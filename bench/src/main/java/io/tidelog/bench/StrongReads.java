package io.tidelog.bench;

import io.tidelog.client.Consistency;
import io.tidelog.client.Queries;
import io.tidelog.client.QueryOptions;
import io.tidelog.common.StreamingException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Recorder;

/**
 * The STRONG reads of {@code query}, run while an {@link IngestLoad} writes the same collection: an open loop
 * ({@link OpenLoop}) whose even operations {@code get} the key the ingest acknowledged last and whose odd ones
 * {@code query} with the filter {@code id >= k - 9 and id <= k} for that key {@code k}. Latency runs from the
 * intended send time to the answer, per kind.
 *
 * <p>A <b>miss</b> is an answer without row {@code k}: its insert was acknowledged before the read was sent, so a
 * STRONG read must see it. Misses are counted (the first described), not thrown: the caller reports them and fails.
 * A read that fails (an error, not an answer) fails the sample.
 */
final class StrongReads {
    private static final long COMPLETION_TIMEOUT_SECONDS = 60;
    /** Keys below the acknowledged one that the filter query also selects. */
    static final int QUERY_SPAN = 10;
    private static final QueryOptions STRONG = QueryOptions.defaults().withConsistency(Consistency.STRONG);

    private StrongReads() {
    }

    /**
     * One sample.
     *
     * @param get        latency of the gets, microseconds from the intended send time
     * @param query      latency of the filter queries, likewise
     * @param missed     reads without the row acknowledged before they were sent
     * @param firstMiss  what the first miss was, or null
     * @param ingestRows rows the ingest had acknowledged during the sample, per second
     * @param ingest     the ingest's insert latency in the sample, microseconds from the intended send time
     */
    record Sample(WalLatencyBench.Latency get, WalLatencyBench.Latency query, long missed, String firstMiss,
                  double ingestRows, WalLatencyBench.Latency ingest) {
    }

    /** The filter of the query read for key {@code k}. */
    static String filter(long k) {
        return String.format(Locale.ROOT, "%s >= %d and %s <= %d", SearchedCollection.KEY, k - (QUERY_SPAN - 1),
                SearchedCollection.KEY, k);
    }

    /** The filter as the report header shows it, for a key named {@code k}. */
    static String filterText(String k) {
        return String.format(Locale.ROOT, "%s >= %s-%d and %s <= %s", SearchedCollection.KEY, k, QUERY_SPAN - 1,
                SearchedCollection.KEY, k);
    }

    /** Runs reads at {@code rate} for {@code seconds} against {@code collection} while {@code ingest} writes it. */
    static Sample run(Queries queries, String collection, IngestLoad ingest, long rate, double seconds)
            throws Exception {
        int n = (int) OpenLoop.operationsIn(seconds, rate);
        OpenLoop loop = new OpenLoop(rate, OpenLoop.Clock.SYSTEM);
        Recorder gets = new Recorder(3);
        Recorder filtered = new Recorder(3);
        AtomicLong missed = new AtomicLong();
        AtomicReference<String> firstMiss = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(n);
        ingest.latencies(); // starts the ingest's interval here
        long rowsBefore = ingest.acknowledgedRows();
        long t0 = System.nanoTime();
        loop.run(n, (i, intended) -> {
            long k = ingest.acknowledgedKey();
            boolean get = i % 2 == 0;
            CompletableFuture<List<Map<String, Object>>> answer = get
                    ? queries.get(collection, List.of(k), STRONG)
                    : queries.query(collection, STRONG.withFilter(filter(k)));
            answer.whenComplete((rows, e) -> {
                long now = System.nanoTime();
                if (e != null) {
                    failure.compareAndSet(null, e);
                } else {
                    (get ? gets : filtered).recordValue(Math.max(0, now - intended));
                    if (rows.stream().noneMatch(r -> Long.valueOf(k).equals(r.get(SearchedCollection.KEY)))) {
                        missed.incrementAndGet();
                        firstMiss.compareAndSet(null, String.format(Locale.ROOT, "%s of key %d (acknowledged before"
                                + " the read was sent) answered %d row(s) without it", get ? "get" : "query '"
                                + filter(k) + "'", k, rows.size()));
                    }
                }
                done.countDown();
            });
        });
        if (!done.await(COMPLETION_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            throw new IllegalStateException(done.getCount() + " of " + n + " STRONG reads still unanswered "
                    + COMPLETION_TIMEOUT_SECONDS + " s after the last was sent");
        }
        double elapsed = (System.nanoTime() - t0) / 1e9;
        if (failure.get() != null) {
            StreamingException e = StreamingException.from(failure.get());
            throw new StreamingException(e.code(), "a STRONG read of " + collection + " failed: " + e.detail(),
                    failure.get());
        }
        ingest.check();
        return new Sample(WalLatencyBench.Latency.of(gets.getIntervalHistogram(), 0),
                WalLatencyBench.Latency.of(filtered.getIntervalHistogram(), loop.maxSendLagNanos()), missed.get(),
                firstMiss.get(), (ingest.acknowledgedRows() - rowsBefore) / elapsed,
                WalLatencyBench.Latency.of(ingest.latencies(), 0));
    }
}
