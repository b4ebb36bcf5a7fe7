package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.client.CollectionDescription;
import io.tidelog.client.StreamingClient;
import io.tidelog.message.SchemaJson;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.testing.Seeds;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Historical data across {@code kill -9}: continuous inserts and deletes into several collections while the
 * standalone server (a child process) is killed at random points, including in the middle of flushes, and
 * restarted; small segments so that flushes happen all the time. At the end, after a ManualFlush of every
 * collection, DuckDB reads the Parquet files directly (an independent reader): every acknowledged row is there
 * exactly once, a row whose insert had an unknown outcome at most once, nothing else; every acknowledged
 * delete is in a delete log.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class HistoricalDataKillNineTest {
    static final int ITERATIONS = Integer.getInteger("tidelog.crash.iterations", 20);
    static final List<String> COLLECTIONS = List.of("alpha", "beta", "gamma");
    static final CollectionSchema SCHEMA = SchemaJson.parseJson("""
            {"fields": [{"name": "id", "type": "INT64", "primaryKey": true},
                        {"name": "title", "type": "VARCHAR", "maxLength": 64},
                        {"name": "score", "type": "DOUBLE", "nullable": true},
                        {"name": "emb", "type": "FLOAT_VECTOR", "dim": 4}]}""");

    @RegisterExtension
    final Seeds seeds = new Seeds();

    @TempDir
    Path dir;
    StandaloneProcess server;

    /** Per collection: rows acknowledged, rows whose insert outcome is unknown, keys whose delete was acknowledged. */
    final Map<String, Set<Long>> acked = new ConcurrentHashMap<>();
    final Map<String, Set<Long>> unknown = new ConcurrentHashMap<>();
    final Map<String, Set<Long>> deleted = new ConcurrentHashMap<>();

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    static Map<String, Object> row(long id) {
        Map<String, Object> r = new HashMap<>();
        r.put("id", id);
        r.put("title", "row " + id);
        if (id % 3 != 0) {
            r.put("score", id / 7.0);
        }
        r.put("emb", List.of(0.5, 0.25, 0.125, (double) (id % 1000)));
        return r;
    }

    @Test
    void everyAcknowledgedRowIsInTheParquetFilesExactlyOnceAndEveryAcknowledgedDeleteInADeleteLog() throws Exception {
        Random random = seeds.random();
        Path data = dir.resolve("data");
        server = new StandaloneProcess(data, List.of("--pchannels", "2",
                "-c", "wal.local.segment.bytes=1MiB", "-c", "wal.local.spare.segments=1",
                "-c", "message.max.bytes=256KiB", "-c", "wal.local.batch.max.bytes=256KiB",
                "-c", "shard.segment.max.bytes=48KiB",
                "-c", "node.checkpoint.interval=300ms", "-c", "node.checkpoint.dirty.messages=20",
                "-c", "flush.retry.backoff=50ms"));
        COLLECTIONS.forEach(c -> {
            acked.put(c, ConcurrentHashMap.newKeySet());
            unknown.put(c, ConcurrentHashMap.newKeySet());
            deleted.put(c, ConcurrentHashMap.newKeySet());
        });
        AtomicLong nextId = new AtomicLong(1);
        Map<String, Long> collectionIds = new HashMap<>();

        for (int iteration = 0; iteration < ITERATIONS; iteration++) {
            server.start();
            try (StreamingClient client = StreamingClient.builder().target(server.address())
                    .appendTimeout(Duration.ofSeconds(20)).build()) {
                if (iteration == 0) {
                    for (String c : COLLECTIONS) {
                        CollectionDescription d = client.collections().createBlocking(c, SCHEMA, 2);
                        collectionIds.put(c, d.id());
                    }
                }
                AtomicBoolean stop = new AtomicBoolean();
                List<CompletableFuture<Void>> writers = new ArrayList<>();
                for (int w = 0; w < 3; w++) {
                    long writerSeed = random.nextLong();
                    writers.add(CompletableFuture.runAsync(() -> write(client, new Random(writerSeed), nextId, stop)));
                }
                // Kill at a random point: early, during steady inserts, or right after asking for a flush.
                long runMillis = 200 + random.nextInt(1200);
                Thread.sleep(runMillis); // the workload's duration, not synchronisation
                if (random.nextInt(3) == 0) {
                    client.collections().flush(COLLECTIONS.get(random.nextInt(COLLECTIONS.size())));
                    Thread.sleep(random.nextInt(50)); // lands the kill inside the flush
                }
                server.kill9();
                stop.set(true);
                for (CompletableFuture<Void> w : writers) {
                    w.get(60, TimeUnit.SECONDS);
                }
            }
        }

        server.start();
        try (StreamingClient client = StreamingClient.builder().target(server.address()).build()) {
            for (String c : COLLECTIONS) {
                client.collections().withTimeout(Duration.ofMinutes(2)).flushBlocking(c);
            }
        }
        assertThat(server.terminate()).as("a clean exit on SIGTERM").isZero();

        long totalAcked = 0;
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:")) {
            for (String c : COLLECTIONS) {
                Path root = data.resolve("objects").resolve("collections").resolve(Long.toString(collectionIds.get(c)));
                Map<Long, Integer> copies = ParquetRows.countRows(duck, root);
                Set<Long> seen = copies.keySet();
                for (long id : acked.get(c)) {
                    assertThat(copies.get(id)).as("acknowledged row %d of %s", id, c).isEqualTo(1);
                }
                for (Map.Entry<Long, Integer> e : copies.entrySet()) {
                    assertThat(e.getValue()).as("copies of row %d of %s", e.getKey(), c).isEqualTo(1);
                    assertThat(acked.get(c).contains(e.getKey()) || unknown.get(c).contains(e.getKey()))
                            .as("row %d of %s was written by this test", e.getKey(), c).isTrue();
                }
                Set<Long> deleteLogs = ParquetRows.deletedKeys(duck, root);
                assertThat(deleteLogs).as("keys in the delete logs of %s", c).containsAll(deleted.get(c));
                totalAcked += acked.get(c).size();
                System.out.printf("%s: %d rows acknowledged, %d written with unknown outcome, %d in Parquet;"
                        + " %d deletes acknowledged, %d keys in delete logs%n", c, acked.get(c).size(),
                        unknown.get(c).size() - acked.get(c).size(), copies.size(), deleted.get(c).size(), deleteLogs.size());
                assertThat(seen).isNotEmpty();
            }
        }
        assertThat(totalAcked).as("acknowledged rows over %d kills", ITERATIONS).isGreaterThan(1000);
    }

    /** Inserts batches of fresh rows and deletes some acknowledged ones until told to stop (or the server dies). */
    void write(StreamingClient client, Random random, AtomicLong nextId, AtomicBoolean stop) {
        while (!stop.get()) {
            String c = COLLECTIONS.get(random.nextInt(COLLECTIONS.size()));
            if (random.nextInt(8) == 0 && !acked.get(c).isEmpty()) {
                List<Long> keys = new ArrayList<>();
                for (long id : acked.get(c)) {
                    if (keys.size() >= 1 + random.nextInt(5)) {
                        break;
                    }
                    if (random.nextInt(4) == 0) {
                        keys.add(id);
                    }
                }
                if (keys.isEmpty()) {
                    continue;
                }
                try {
                    client.delete(c, keys).get(30, TimeUnit.SECONDS);
                    deleted.get(c).addAll(keys);
                } catch (Exception e) {
                    return; // the server was killed: the outcome is unknown, nothing to assert
                }
                continue;
            }
            int n = 1 + random.nextInt(40);
            List<Map<String, Object>> rows = new ArrayList<>(n);
            List<Long> ids = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                long id = nextId.getAndIncrement();
                ids.add(id);
                rows.add(row(id));
            }
            unknown.get(c).addAll(ids);
            try {
                client.insert(c, rows).get(30, TimeUnit.SECONDS);
                acked.get(c).addAll(ids);
            } catch (Exception e) {
                return;
            }
        }
    }
}
