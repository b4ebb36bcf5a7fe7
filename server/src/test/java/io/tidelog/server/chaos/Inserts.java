package io.tidelog.server.chaos;

import io.tidelog.client.StreamingClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Inserts batches of fresh rows into one collection at a steady pace until stopped, recording the primary keys
 * sent and those acknowledged; a failed insert is in doubt (its rows may or may not be written) and the writer goes
 * on with new rows.
 */
final class Inserts {
    static final String SCHEMA_JSON = """
            {"fields": [{"name": "id", "type": "INT64", "primaryKey": true},
                        {"name": "title", "type": "VARCHAR", "maxLength": 64},
                        {"name": "emb", "type": "FLOAT_VECTOR", "dim": 4}]}""";

    final Set<Long> sent = ConcurrentHashMap.newKeySet();
    final Set<Long> acked = ConcurrentHashMap.newKeySet();
    final AtomicLong failed = new AtomicLong();
    private final StreamingClient client;
    private final String collection;
    private final AtomicLong nextId = new AtomicLong(1);
    private final Thread thread;
    private volatile boolean running = true;

    Inserts(StreamingClient client, String collection) {
        this.client = client;
        this.collection = collection;
        this.thread = new Thread(this::run, "chaos-inserts");
        this.thread.setDaemon(true);
    }

    static Map<String, Object> row(long id) {
        Map<String, Object> r = new HashMap<>();
        r.put("id", id);
        r.put("title", "row " + id);
        r.put("emb", List.of(0.5, 0.25, 0.125, (double) (id % 1000)));
        return r;
    }

    void start() {
        thread.start();
    }

    private void run() {
        long next = System.nanoTime();
        while (running) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait); // pacing, not synchronisation
            }
            next += TimeUnit.MILLISECONDS.toNanos(50);
            List<Map<String, Object>> rows = new ArrayList<>();
            List<Long> ids = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                long id = nextId.getAndIncrement();
                ids.add(id);
                rows.add(row(id));
            }
            sent.addAll(ids);
            try {
                client.insert(collection, rows).get(60, TimeUnit.SECONDS);
                acked.addAll(ids);
            } catch (Exception e) {
                failed.incrementAndGet();
            }
        }
    }

    void stop() throws InterruptedException {
        running = false;
        thread.join(TimeUnit.MINUTES.toMillis(2));
    }
}
