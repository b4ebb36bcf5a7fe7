package io.tidelog.bench;

import io.tidelog.client.CollectionDescription;
import io.tidelog.client.Flushed;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A collection of {@code query}: an INT64 primary key {@value #KEY} and a FLOAT_VECTOR {@value #VECTOR}; row {@code i}
 * of a row-major array has key {@code i}.
 *
 * <p>{@link #load} writes the searched collection so that a search reads both kinds of segment: the first half of
 * the rows is inserted, flushed ({@code flushBlocking}: its segments sealed and in object storage) and waited for
 * until the server answers from their sealed forms, read back from the Parquet files ({@link SegmentProbe}); then the
 * second half is inserted and stays growing (the bench raises {@code shard.segment.max.bytes} so that no size policy
 * seals it). Inserts go in batches with {@value #IN_FLIGHT} in flight: the load is a set-up, not a measurement, though
 * its rate is printed.
 */
final class SearchedCollection {
    static final String KEY = "id";
    static final String VECTOR = "vec";
    /** Insert batches in flight while loading. */
    private static final int IN_FLIGHT = 4;
    private static final Duration READ_BACK_TIMEOUT = Duration.ofMinutes(10);

    private SearchedCollection() {
    }

    /** The schema: {@value #KEY} INT64 primary key, {@value #VECTOR} FLOAT_VECTOR of {@code dim}. */
    static CollectionSchema schema(int dim) {
        return CollectionSchema.newBuilder()
                .addFields(FieldSchema.newBuilder().setName(KEY).setType(DataType.INT64).setPrimaryKey(true))
                .addFields(FieldSchema.newBuilder().setName(VECTOR).setType(DataType.FLOAT_VECTOR).setDim(dim))
                .build();
    }

    /**
     * How the load went.
     *
     * @param flushedRows rows inserted before the flush, answered from sealed segments
     * @param segments    what the collection is answered from once loaded
     */
    record Loaded(CollectionDescription collection, int flushedRows, int rows, double firstHalfSeconds,
                  double flushSeconds, double readBackSeconds, double secondHalfSeconds, SegmentProbe.Segments segments) {
        double insertRowsPerSecond() {
            return rows / (firstHalfSeconds + secondHalfSeconds);
        }
    }

    /** Creates collection {@code name} of {@code shards} shards and loads the rows of {@code vectors} as the class says. */
    static Loaded load(StreamingClient client, SegmentProbe probe, String name, float[] vectors, int dim, int shards,
                       int batch) throws InterruptedException {
        CollectionDescription c = client.collections().createBlocking(name, schema(dim), shards);
        int rows = vectors.length / dim;
        int half = rows / 2;
        long t0 = System.nanoTime();
        insert(client, c, vectors, dim, 0, half, batch);
        long t1 = System.nanoTime();
        Flushed flushed = client.collections().flushBlocking(name);
        long t2 = System.nanoTime();
        probe.awaitSealed(c, KEY, flushed.segmentIds().size(), READ_BACK_TIMEOUT);
        long t3 = System.nanoTime();
        insert(client, c, vectors, dim, half, rows, batch);
        long t4 = System.nanoTime();
        return new Loaded(c, half, rows, (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9, (t4 - t3) / 1e9,
                probe.segments(c, KEY));
    }

    /** Inserts rows {@code [from, to)} in batches of {@code batch} with a few in flight; returns once all are acked. */
    static void insert(StreamingClient client, CollectionDescription c, float[] vectors, int dim, int from, int to,
                       int batch) throws InterruptedException {
        Semaphore window = new Semaphore(IN_FLIGHT);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int start = from; start < to && failure.get() == null; start += batch) {
            int end = Math.min(to, start + batch);
            List<Map<String, Object>> rows = rows(vectors, dim, start, end);
            window.acquire();
            client.insert(c, CollectionDescription.DEFAULT_PARTITION, rows, start).whenComplete((r, e) -> {
                if (e != null) {
                    failure.compareAndSet(null, e);
                }
                window.release();
            });
        }
        window.acquire(IN_FLIGHT);
        window.release(IN_FLIGHT);
        if (failure.get() != null) {
            StreamingException e = StreamingException.from(failure.get());
            throw new StreamingException(e.code(), "inserting rows of " + c.name() + " failed: " + e.detail(),
                    failure.get());
        }
    }

    /** Rows {@code [from, to)} as the client takes them: key {@code i}, the vector of row {@code i}. */
    static List<Map<String, Object>> rows(float[] vectors, int dim, int from, int to) {
        List<Map<String, Object>> rows = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            Map<String, Object> row = new HashMap<>(4);
            row.put(KEY, (long) i);
            row.put(VECTOR, Arrays.copyOfRange(vectors, i * dim, (i + 1) * dim));
            rows.add(row);
        }
        return rows;
    }
}
