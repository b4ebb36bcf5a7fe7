package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonParser;
import io.tidelog.client.Metric;
import io.tidelog.client.Queries;
import io.tidelog.client.QueryOptions;
import io.tidelog.client.SearchHit;
import io.tidelog.client.StreamingClient;
import io.tidelog.message.Rows;
import io.tidelog.message.SchemaJson;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import io.tidelog.query.DuckDbTables;
import io.tidelog.query.FilterGenerator;
import io.tidelog.query.FilterGenerator.Gen;
import io.tidelog.query.RandomValues;
import io.tidelog.testing.Seeds;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14's oracle, end to end: a generated collection (a scalar field of every type, nulls, nested JSON, a
 * vector; three shards) written through the client in batches, with deletes and upserts, some of it flushed and
 * read back sealed, some of it growing. Every generated filter ({@link FilterGenerator}, the query module's, over
 * this schema) must return exactly the rows DuckDB returns for its SQL over the rows the test knows to be alive,
 * with the values last written; top-k search must equal a brute-force oracle (ties by primary key). The same
 * expressions are asked in every phase, and the answers must not change where the data does not: before and
 * after a flush, after a restart, after a second flush (deletes then come from delete logs) and a second restart.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class QueryOracleTest {
    static final String COLLECTION = "oracle";
    static final int SHARDS = 3;
    static final int EXPRESSIONS = Integer.getInteger("tidelog.test.oracle.expressions", 300);
    static final CollectionSchema SCHEMA = SchemaJson.parseJson("""
            {"fields": [{"name": "pk", "type": "INT64", "primaryKey": true},
                        {"name": "active", "type": "BOOL", "nullable": true},
                        {"name": "qty", "type": "INT32", "nullable": true},
                        {"name": "big", "type": "INT64", "nullable": true},
                        {"name": "ratio", "type": "FLOAT", "nullable": true},
                        {"name": "price", "type": "DOUBLE", "nullable": true},
                        {"name": "title", "type": "VARCHAR", "maxLength": 64, "nullable": true},
                        {"name": "code", "type": "VARCHAR", "maxLength": 64},
                        {"name": "views", "type": "INT64"},
                        {"name": "doc", "type": "JSON", "nullable": true},
                        {"name": "emb", "type": "FLOAT_VECTOR", "dim": 4}]}""");
    static final int DIM = 4;
    static final int EMB = SCHEMA.getFieldsCount() - 1;

    @RegisterExtension
    final Seeds seeds = new Seeds();
    @TempDir
    Path dir;
    StandaloneServer server;
    StreamingClient client;
    Queries queries;
    Random random;
    Connection db;
    /** The rows alive in the collection, by primary key, as last written: the oracle's data. */
    final TreeMap<Long, Object[]> alive = new TreeMap<>();
    /** Every key ever written, so that inserts take fresh keys. */
    final Set<Long> used = new HashSet<>();
    final List<Long> deleted = new ArrayList<>();
    int filtersChecked;
    int searchesChecked;

    @AfterEach
    void stop() throws SQLException {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
        if (db != null) {
            db.close();
        }
    }

    @Test
    void everyFilterAndSearchAnswersAsTheOracleOnGrowingSealedAndRestartedData() throws Exception {
        random = seeds.random();
        db = DriverManager.getConnection("jdbc:duckdb:");
        start();
        client.collections().createBlocking(COLLECTION, SCHEMA, SHARDS);
        List<Gen> expressions = new ArrayList<>();
        FilterGenerator generator = new FilterGenerator(random, SCHEMA);
        for (int i = 0; i < EXPRESSIONS; i++) {
            expressions.add(generator.expr(random.nextInt(4)));
        }
        List<float[]> vectors = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            vectors.add(RandomValues.smallIntegerVector(random, DIM));
        }
        vectors.add(new float[DIM]); // every COSINE score 0: the order is the primary keys'

        writeFirstRows();
        assertAnswersAsTheOracle("growing", expressions, vectors);

        client.collections().flushBlocking(COLLECTION);
        awaitSealedSegments(1);
        assertAnswersAsTheOracle("flushed, sealed", expressions, vectors);

        Set<Long> sealedKeys = new HashSet<>(alive.keySet());
        writeOnSealedAndGrowingRows(sealedKeys);
        assertAnswersAsTheOracle("sealed and growing, deletes on both", expressions, vectors);

        restart();
        assertAnswersAsTheOracle("sealed and growing after a restart", expressions, vectors);

        client.collections().flushBlocking(COLLECTION);
        awaitSealedSegments(2);
        assertAnswersAsTheOracle("flushed again", expressions, vectors);

        restart();
        assertAnswersAsTheOracle("flushed again, after a restart", expressions, vectors);

        System.out.printf("QueryOracleTest: %d filter queries and %d searches checked over %d rows (seed %d)%n",
                filtersChecked, searchesChecked, alive.size(), seeds.seed());
        assertThat(filtersChecked).isGreaterThanOrEqualTo(6 * EXPRESSIONS);
    }

    // ------------------------------------------------------------------------------------------------ writes

    /** Inserts in batches, deletes (one of a key never written) and upserts (of old keys and new ones) between them. */
    void writeFirstRows() throws Exception {
        insert(List.of(Long.MIN_VALUE, Long.MAX_VALUE, 0L, -1L));
        for (int batch = 0; batch < 4; batch++) {
            insert(freshKeys(40 + random.nextInt(80)));
            List<Long> keys = someOf(alive.keySet(), 3 + random.nextInt(10));
            if (batch % 2 == 0) {
                keys.add(freshKey());
                delete(keys);
            } else {
                keys.addAll(freshKeys(2));
                upsert(keys);
            }
        }
    }

    /** Deletes and upserts of rows now sealed and of rows inserted since, and rows again under deleted keys. */
    void writeOnSealedAndGrowingRows(Set<Long> sealedKeys) throws Exception {
        for (int batch = 0; batch < 3; batch++) {
            List<Long> keys = freshKeys(30 + random.nextInt(60));
            keys.addAll(someOf(deleted, 2));
            insert(keys);
            List<Long> sealed = someOf(alive.keySet().stream().filter(sealedKeys::contains).toList(), 4 + random.nextInt(8));
            List<Long> growing = someOf(alive.keySet().stream().filter(k -> !sealedKeys.contains(k)).toList(),
                    2 + random.nextInt(6));
            delete(sealed.subList(0, sealed.size() / 2));
            delete(growing.subList(0, growing.size() / 2));
            List<Long> upserted = new ArrayList<>(sealed.subList(sealed.size() / 2, sealed.size()));
            upserted.addAll(growing.subList(growing.size() / 2, growing.size()));
            upsert(upserted);
        }
    }

    void insert(List<Long> keys) throws Exception {
        List<Object[]> rows = keys.stream().map(this::randomRow).toList();
        client.insert(COLLECTION, rows.stream().map(this::clientRow).toList()).get(30, TimeUnit.SECONDS);
        rows.forEach(r -> alive.put((Long) r[0], r));
        used.addAll(keys);
        deleted.removeAll(keys);
    }

    void upsert(List<Long> keys) throws Exception {
        List<Object[]> rows = keys.stream().map(this::randomRow).toList();
        client.upsert(COLLECTION, rows.stream().map(this::clientRow).toList()).get(30, TimeUnit.SECONDS);
        rows.forEach(r -> alive.put((Long) r[0], r));
        used.addAll(keys);
        deleted.removeAll(keys);
    }

    void delete(List<Long> keys) throws Exception {
        client.delete(COLLECTION, keys).get(30, TimeUnit.SECONDS);
        keys.forEach(alive::remove);
        deleted.addAll(keys);
        used.addAll(keys);
    }

    /** A row as {@link DuckDbTables} takes it: schema order, JSON as text, finite numbers only. */
    Object[] randomRow(long key) {
        Object[] r = new Object[SCHEMA.getFieldsCount()];
        r[0] = key;
        for (int f = 1; f < r.length; f++) {
            r[f] = RandomValues.value(random, SCHEMA.getFields(f), true);
        }
        return r;
    }

    /** The row as the client takes it: JSON as a document (not a string), a null field left out or null. */
    Map<String, Object> clientRow(Object[] r) {
        Map<String, Object> row = new HashMap<>();
        for (int f = 0; f < r.length; f++) {
            FieldSchema field = SCHEMA.getFields(f);
            if (r[f] == null) {
                if (random.nextBoolean()) {
                    row.put(field.getName(), null);
                }
            } else {
                row.put(field.getName(), field.getType() == DataType.JSON ? JsonParser.parseString((String) r[f]) : r[f]);
            }
        }
        return row;
    }

    /** The row as a query answers it ({@link Rows}' values: JSON parsed, vectors as lists of Float). */
    static Map<String, Object> answered(Object[] r) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int f = 0; f < r.length; f++) {
            FieldSchema field = SCHEMA.getFields(f);
            Object v = r[f];
            if (v != null && field.getType() == DataType.JSON) {
                v = Rows.parseJsonValue((String) v);
            } else if (v instanceof float[] vector) {
                List<Float> list = new ArrayList<>();
                for (float x : vector) {
                    list.add(x);
                }
                v = list;
            }
            row.put(field.getName(), v);
        }
        return row;
    }

    List<Long> freshKeys(int n) {
        List<Long> keys = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            keys.add(freshKey());
        }
        return keys;
    }

    long freshKey() {
        while (true) {
            long k = random.nextInt(8) == 0 ? random.nextLong() : random.nextInt(2_000_000) - 1_000_000;
            if (used.add(k)) {
                return k;
            }
        }
    }

    List<Long> someOf(java.util.Collection<Long> keys, int n) {
        List<Long> shuffled = new ArrayList<>(keys);
        java.util.Collections.shuffle(shuffled, random);
        return new ArrayList<>(shuffled.subList(0, Math.min(n, shuffled.size())));
    }

    // ------------------------------------------------------------------------------------------------ the server

    void start() {
        // A cache of sealed rows smaller than a segment: most queries read evicted segments again from their files.
        java.util.Map<String, String> config = new java.util.HashMap<>(CollectionServiceTest.config());
        config.put("query.sealed.cache.bytes", "64KiB");
        server = TestStandalone.start(dir, config);
        client = StreamingClient.builder().target(server.address()).build();
        queries = client.queries();
    }

    void restart() {
        client.close();
        server.close();
        start();
    }

    /**
     * Until every vchannel answers from at least {@code sealed} sealed segments, the unfiltered answer stays the
     * oracle's while sealed segments replace growing ones.
     */
    void awaitSealedSegments(int sealed) throws Exception {
        List<Long> all = new ArrayList<>(alive.keySet());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (int i = 0; QueryServiceTest.sealedSegmentsOfEveryVchannel(client, server.address(), COLLECTION) < sealed;
             i++) {
            assertThat(System.nanoTime()).as("every vchannel serves %d sealed segments in time", sealed)
                    .isLessThan(deadline);
            assertSameIds(ids(queries.query(COLLECTION, QueryOptions.defaults()).get(30, TimeUnit.SECONDS)), all,
                    "answer " + i + " while sealed segments replace growing ones");
        }
    }

    // ------------------------------------------------------------------------------------------------ the oracle

    void assertAnswersAsTheOracle(String phase, List<Gen> expressions, List<float[]> vectors) throws Exception {
        DuckDbTables.create(db, "t", SCHEMA, new ArrayList<>(alive.values()));
        assertFilterAnswers(phase, new Gen("", "TRUE", false));
        for (Gen g : expressions) {
            assertFilterAnswers(phase, g);
        }
        for (Metric metric : Metric.values()) {
            for (float[] q : vectors) {
                assertSearchAnswers(phase, metric, q, null);
                assertSearchAnswers(phase, metric, q, expressions.get(random.nextInt(expressions.size())));
            }
        }
    }

    /** The rows a filter returns are DuckDB's, in key order, with their values; a limit keeps the smallest keys. */
    void assertFilterAnswers(String phase, Gen g) throws Exception {
        List<Long> expected = duck(g.sql());
        QueryOptions options = QueryOptions.defaults().withFilter(g.text()).withOutputFields(List.of("*"));
        List<Map<String, Object>> rows = queries.query(COLLECTION, options).get(30, TimeUnit.SECONDS);
        List<Long> ids = ids(rows);
        if (!ids.equals(expected)) {
            Gen smallest = smallestFailing(g);
            assertSameIds(ids(queries.query(COLLECTION, options.withFilter(smallest.text())).get(30, TimeUnit.SECONDS)),
                    duck(smallest.sql()), String.format("%s: filter %s%nSQL %s%n(in filter %s)", phase, smallest.text(),
                            smallest.sql(), g.text()));
            assertSameIds(ids, expected, String.format("%s: filter %s%nSQL %s", phase, g.text(), g.sql()));
        }
        for (Map<String, Object> row : rows) {
            assertThat(row).as("%s: the values of row %s", phase, row.get("pk"))
                    .isEqualTo(answered(alive.get((Long) row.get("pk"))));
        }
        if (filtersChecked % 5 == 0 && !expected.isEmpty()) {
            int limit = 1 + random.nextInt(Math.min(expected.size(), 20));
            assertThat(ids(queries.query(COLLECTION, options.withLimit(limit)).get(30, TimeUnit.SECONDS)))
                    .as("%s: filter %s, limit %d", phase, g.text(), limit).isEqualTo(expected.subList(0, limit));
        }
        filtersChecked++;
    }

    /** The innermost part of {@code g} whose answer is not DuckDB's (or g). */
    Gen smallestFailing(Gen g) throws Exception {
        for (Gen part : g.parts()) {
            QueryOptions o = QueryOptions.defaults().withFilter(part.text());
            if (!ids(queries.query(COLLECTION, o).get(30, TimeUnit.SECONDS)).equals(duck(part.sql()))) {
                return smallestFailing(part);
            }
        }
        return g;
    }

    List<Long> duck(String where) throws SQLException {
        List<Long> ids = new ArrayList<>();
        try (Statement s = db.createStatement();
             ResultSet rs = s.executeQuery("SELECT pk FROM t WHERE " + where + " ORDER BY pk")) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }

    /**
     * Top-k against a brute force over the alive rows the filter selects. L2 and IP of small-integer vectors are
     * exact in float, so ids and scores must be equal, ties by primary key; COSINE's square root rounds, so its
     * scores may differ by 1e-5 and its order only within that.
     */
    void assertSearchAnswers(String phase, Metric metric, float[] q, Gen filter) throws Exception {
        List<Object[]> candidates = filter == null ? new ArrayList<>(alive.values())
                : duck(filter.sql()).stream().map(alive::get).toList();
        int k = new int[] {1, 5, 20, candidates.size() + 3}[random.nextInt(4)];
        QueryOptions options = QueryOptions.defaults().withOutputFields(List.of("*"))
                .withFilter(filter == null ? "" : filter.text());
        List<SearchHit> hits = queries.search(COLLECTION, "emb", q, k, metric, options).get(30, TimeUnit.SECONDS);
        String context = String.format("%s: %s top-%d of %s, filter %s", phase, metric, k, Arrays.toString(q),
                filter == null ? "none" : filter.text());
        Comparator<Object[]> best = Comparator.<Object[]>comparingDouble(r -> metric.smallerIsBetter()
                ? score(metric, r, q) : -score(metric, r, q)).thenComparingLong(r -> (Long) r[0]);
        List<Object[]> expected = candidates.stream().sorted(best).limit(k).toList();
        assertThat(hits).as(context).hasSize(expected.size());
        for (SearchHit h : hits) {
            assertThat(h.row()).as(context).isEqualTo(answered(alive.get((Long) h.row().get("pk"))));
        }
        List<Long> hitIds = hits.stream().map(h -> (Long) h.row().get("pk")).toList();
        if (metric != Metric.COSINE) {
            assertThat(hitIds).as(context).isEqualTo(expected.stream().map(r -> (Long) r[0]).toList());
            for (int i = 0; i < hits.size(); i++) {
                assertThat((double) hits.get(i).score()).as(context).isEqualTo(score(metric, expected.get(i), q));
            }
        } else {
            assertCosineOrder(context, q, hits, candidates);
        }
        searchesChecked++;
    }

    /**
     * Scores within 1e-5 of the exact ones; best first and nothing better left out, but for rounding (the server ranks
     * by its float scores, each within 1e-5 of exact, so two may swap within 2e-5); equal scores by primary key.
     */
    void assertCosineOrder(String context, float[] q, List<SearchHit> hits, List<Object[]> candidates) {
        Set<Long> kept = new HashSet<>();
        double worstKept = Double.POSITIVE_INFINITY;
        for (int i = 0; i < hits.size(); i++) {
            Object[] r = alive.get((Long) hits.get(i).row().get("pk"));
            double exact = score(Metric.COSINE, r, q);
            assertThat((double) hits.get(i).score()).as(context).isCloseTo(exact, within(1e-5));
            assertThat(exact).as(context + ": hit %d is not better than the one before", i)
                    .isLessThanOrEqualTo(i == 0 ? exact : worstKept + 2e-5);
            if (i > 0 && hits.get(i).score() == hits.get(i - 1).score()) {
                assertThat((Long) r[0]).as(context + ": equal scores by primary key")
                        .isGreaterThan((Long) hits.get(i - 1).row().get("pk"));
            }
            worstKept = Math.min(worstKept, exact);
            kept.add((Long) r[0]);
        }
        for (Object[] r : candidates) {
            if (!kept.contains((Long) r[0])) {
                assertThat(score(Metric.COSINE, r, q)).as(context + ": left out " + r[0])
                        .isLessThanOrEqualTo(worstKept + 2e-5);
            }
        }
    }

    static double score(Metric metric, Object[] row, float[] q) {
        float[] v = (float[]) row[EMB];
        double dot = 0;
        double vv = 0;
        double qq = 0;
        double l2 = 0;
        for (int i = 0; i < v.length; i++) {
            dot += (double) v[i] * q[i];
            vv += (double) v[i] * v[i];
            qq += (double) q[i] * q[i];
            l2 += ((double) v[i] - q[i]) * ((double) v[i] - q[i]);
        }
        return switch (metric) {
            case L2 -> l2;
            case IP -> dot;
            case COSINE -> vv == 0 || qq == 0 ? 0 : dot / Math.sqrt(vv * qq);
        };
    }

    static List<Long> ids(List<Map<String, Object>> rows) {
        return rows.stream().map(r -> (Long) r.get("pk")).toList();
    }

    /** Equal lists of keys; a failure names the keys missing and those extra, not only both lists. */
    static void assertSameIds(List<Long> actual, List<Long> expected, String description) {
        assertThat(actual).as("%s%nmissing %s, extra %s", description, minus(expected, actual), minus(actual, expected))
                .isEqualTo(expected);
    }

    static List<Long> minus(List<Long> a, List<Long> b) {
        Set<Long> drop = new HashSet<>(b);
        return a.stream().filter(x -> !drop.contains(x)).toList();
    }
}
