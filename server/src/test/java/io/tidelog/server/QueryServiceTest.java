package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.client.Consistency;
import io.tidelog.client.Metric;
import io.tidelog.client.QueryOptions;
import io.tidelog.client.Queries;
import io.tidelog.client.SearchHit;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Queries on fresh data over gRPC against a standalone server in this process: the delegators' growing data. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class QueryServiceTest {
    @TempDir
    Path dir;
    StandaloneServer server;
    StreamingClient client;
    Queries queries;

    /** The catalog tests' configuration; a query waits at most 2 s for fresh data. */
    static Map<String, String> config() {
        Map<String, String> c = new HashMap<>(CollectionServiceTest.config());
        c.put("query.max.wait", "2s");
        return c;
    }

    @BeforeEach
    void start() {
        server = TestStandalone.start(dir, config());
        client = StreamingClient.builder().target(server.address()).build();
        queries = client.queries();
        client.collections().createBlocking("books", CollectionServiceTest.BOOKS, 3);
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    static Map<String, Object> book(long id, String title, Double price) {
        Map<String, Object> row = new HashMap<>();
        row.put("id", id);
        row.put("title", title);
        row.put("price", price);
        row.put("emb", List.of((float) id, 1f, (float) (id % 7), 0.5f));
        return row;
    }

    static List<Long> ids(List<Map<String, Object>> rows) {
        return rows.stream().map(r -> (Long) r.get("id")).toList();
    }

    QueryOptions strong() {
        return QueryOptions.defaults().withOutputFields(List.of("*"));
    }

    @Test
    void anAcknowledgedInsertIsAnsweredByFilterGetAndSearchAcrossEveryShardInPrimaryKeyOrder() throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (long id = 0; id < 40; id++) {
            rows.add(book(id, "book " + id, id % 3 == 0 ? null : id * 1.5));
        }
        client.insert("books", rows).get(30, TimeUnit.SECONDS);

        List<Map<String, Object>> cheap = queries.query("books", strong().withFilter("price < 15 and id > 2"))
                .get(30, TimeUnit.SECONDS);
        assertThat(ids(cheap)).containsExactly(4L, 5L, 7L, 8L);
        assertThat(cheap.get(0)).containsEntry("title", "book 4").containsEntry("price", 6.0);

        assertThat(ids(queries.query("books", strong().withFilter("price is null").withLimit(3))
                .get(30, TimeUnit.SECONDS))).containsExactly(0L, 3L, 6L);
        assertThat(ids(queries.get("books", List.of(39L, 7L, 1000L), QueryOptions.defaults())
                .get(30, TimeUnit.SECONDS))).containsExactly(7L, 39L);

        float[] q = {10f, 1f, 3f, 0.5f};
        List<SearchHit> hits = queries.search("books", "emb", q, 5, Metric.L2, QueryOptions.defaults())
                .get(30, TimeUnit.SECONDS);
        List<Long> expected = rows.stream().sorted(Comparator.<Map<String, Object>>comparingDouble(r -> l2(r, q))
                .thenComparingLong(r -> (Long) r.get("id"))).limit(5).map(r -> (Long) r.get("id")).toList();
        assertThat(hits.stream().map(h -> (Long) h.row().get("id")).toList()).isEqualTo(expected);
        assertThat(hits.get(0).score()).isEqualTo((float) l2(rows.get(10), q));
    }

    @Test
    void anAcknowledgedDeleteIsNeverSeenAndAnUpsertShowsExactlyTheNewVersion() throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (long id = 0; id < 10; id++) {
            rows.add(book(id, "first " + id, 1.0));
        }
        client.insert("books", rows).get(30, TimeUnit.SECONDS);
        client.delete("books", List.of(2L, 3L)).get(30, TimeUnit.SECONDS);
        client.upsert("books", List.of(book(4, "second 4", 2.0), book(5, "second 5", 2.0))).get(30, TimeUnit.SECONDS);

        List<Map<String, Object>> all = queries.query("books", strong()).get(30, TimeUnit.SECONDS);
        assertThat(ids(all)).containsExactly(0L, 1L, 4L, 5L, 6L, 7L, 8L, 9L);
        assertThat(all.get(2)).containsEntry("title", "second 4");
        assertThat(all.get(3)).containsEntry("title", "second 5");
        assertThat(ids(queries.query("books", strong().withFilter("title like \"second%\""))
                .get(30, TimeUnit.SECONDS))).containsExactly(4L, 5L);
    }

    /**
     * Read-your-writes under concurrent writers: each writer inserts, queries its key STRONG (and SESSION), deletes,
     * and queries again; every acknowledged insert is seen, every acknowledged delete is never seen.
     */
    @Test
    void readYourWritesHoldForStrongAndSessionQueriesWhileOthersWrite() throws Exception {
        long seed = System.nanoTime();
        int writers = 4;
        int rounds = 25;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        Map<Long, String> failures = new ConcurrentHashMap<>();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                done.add(pool.submit(() -> {
                    Random random = new Random(seed + writer);
                    for (int i = 0; i < rounds; i++) {
                        long id = writer * 1_000_000L + i;
                        Consistency level = random.nextBoolean() ? Consistency.STRONG : Consistency.SESSION;
                        QueryOptions o = QueryOptions.defaults().withConsistency(level);
                        client.insert("books", List.of(book(id, "w" + writer, 1.0))).join();
                        if (!ids(queries.get("books", List.of(id), o).join()).equals(List.of(id))) {
                            failures.put(id, level + " query after the insert's ack did not see it");
                        }
                        client.delete("books", List.of(id)).join();
                        if (!queries.get("books", List.of(id), o).join().isEmpty()) {
                            failures.put(id, level + " query after the delete's ack still saw the row");
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(2, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(failures).as("seed %d", seed).isEmpty();
    }

    /**
     * The same answers from growing segments, from their sealed forms read back from object storage (deletes before
     * and after the flush), and after a restart, which reads sealed segments and delete logs again.
     */
    @Test
    void answersAreTheSameBeforeAndAfterAFlushAndAfterARestart() throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (long id = 0; id < 60; id++) {
            rows.add(book(id, "book " + id, id % 4 == 0 ? null : id * 0.5));
        }
        client.insert("books", rows).get(30, TimeUnit.SECONDS);
        client.delete("books", List.of(1L, 2L, 3L, 50L)).get(30, TimeUnit.SECONDS);
        client.upsert("books", List.of(book(10, "again 10", 99.0), book(11, "again 11", null))).get(30, TimeUnit.SECONDS);
        client.collections().flushBlocking("books");
        client.delete("books", List.of(20L, 21L, 10L)).get(30, TimeUnit.SECONDS);
        List<Map<String, Object>> more = new ArrayList<>();
        for (long id = 100; id < 110; id++) {
            more.add(book(id, "late " + id, 1.0));
        }
        client.insert("books", more).get(30, TimeUnit.SECONDS);

        List<Map<String, Object>> all = answer();
        assertThat(ids(all)).hasSize(60 - 4 - 3 + 10).doesNotContain(1L, 2L, 3L, 50L, 20L, 21L, 10L).contains(11L, 105L);
        List<Long> nearest = nearest();
        // Until every vchannel answers from a sealed segment, and once more after: the same answers throughout.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        boolean allSealed = false;
        for (int i = 0; !allSealed; i++) {
            assertThat(System.nanoTime()).as("every vchannel serves its flushed segment sealed in time").isLessThan(deadline);
            allSealed = sealedSegmentsOfEveryVchannel() > 0;
            assertThat(answer()).as("answer %d, while sealed segments replace growing ones", i).isEqualTo(all);
            assertThat(nearest()).isEqualTo(nearest);
        }

        client.close();
        server.close();
        server = TestStandalone.start(dir, config());
        client = StreamingClient.builder().target(server.address()).build();
        queries = client.queries();
        assertThat(answer()).as("after a restart").isEqualTo(all);
        assertThat(nearest()).isEqualTo(nearest);
        client.delete("books", List.of(11L)).get(30, TimeUnit.SECONDS);
        assertThat(ids(answer())).doesNotContain(11L).hasSize(all.size() - 1);
    }

    int sealedSegmentsOfEveryVchannel() {
        return sealedSegmentsOfEveryVchannel(client, server.address(), "books");
    }

    /** The fewest sealed segments any vchannel of {@code collection} answers from (asked over raw gRPC). */
    static int sealedSegmentsOfEveryVchannel(StreamingClient client, String address, String collection) {
        io.tidelog.client.CollectionDescription c = client.collections().describeBlocking(collection);
        io.grpc.ManagedChannel channel = io.grpc.ManagedChannelBuilder.forTarget(address).usePlaintext().build();
        try {
            int fewest = Integer.MAX_VALUE;
            for (String v : c.vchannels()) {
                io.tidelog.proto.ShardQueryResponse r = io.tidelog.proto.QueryServiceGrpc.newBlockingStub(channel)
                        .query(io.tidelog.proto.ShardQueryRequest.newBuilder().setLimit(1).setRead(io.tidelog.proto.ShardRead
                                .newBuilder().setVchannel(v).setCollectionId(c.id())).build());
                fewest = Math.min(fewest, r.getSealedSegments());
            }
            return fewest;
        } finally {
            channel.shutdownNow();
        }
    }

    List<Map<String, Object>> answer() throws Exception {
        return queries.query("books", strong()).get(30, TimeUnit.SECONDS);
    }

    List<Long> nearest() throws Exception {
        return queries.search("books", "emb", new float[] {30f, 1f, 2f, 0.5f}, 8, Metric.COSINE,
                QueryOptions.defaults().withFilter("id != 31")).get(30, TimeUnit.SECONDS).stream()
                .map(h -> (Long) h.row().get("id")).toList();
    }

    @Test
    void aFieldAddedLaterIsNullInOlderRowsForFiltersAndOutputs() throws Exception {
        client.insert("books", List.of(book(1, "old", 1.0), book(2, "old", 2.0))).get(30, TimeUnit.SECONDS);
        client.collections().addField("books", io.tidelog.proto.FieldSchema.newBuilder().setName("pages")
                .setType(io.tidelog.proto.DataType.INT32).setNullable(true).build()).get(30, TimeUnit.SECONDS);
        Map<String, Object> fresh = book(3, "new", 3.0);
        fresh.put("pages", 120);
        client.insert("books", List.of(fresh)).get(30, TimeUnit.SECONDS);

        assertThat(ids(queries.query("books", strong().withFilter("pages is null")).get(30, TimeUnit.SECONDS)))
                .containsExactly(1L, 2L);
        List<Map<String, Object>> big = queries.query("books", strong().withFilter("pages > 100"))
                .get(30, TimeUnit.SECONDS);
        assertThat(ids(big)).containsExactly(3L);
        assertThat(big.get(0)).containsEntry("pages", 120);
        assertThat(queries.get("books", List.of(1L), strong()).get(30, TimeUnit.SECONDS).get(0))
                .containsEntry("pages", null);
    }

    /** EVENTUALLY never waits; SESSION waits for the guarantee it is given, up to the deadline, then TIMEOUT. */
    @Test
    void consistencyLevelsWaitForTheirGuaranteeAndNoLonger() throws Exception {
        client.insert("books", List.of(book(1, "a", 1.0))).get(30, TimeUnit.SECONDS);
        for (io.tidelog.client.Consistency level : io.tidelog.client.Consistency.values()) {
            assertThat(queries.query("books", QueryOptions.defaults().withConsistency(level)).get(30, TimeUnit.SECONDS))
                    .as("%s after an acknowledged insert", level).hasSizeLessThanOrEqualTo(1);
        }
        io.tidelog.client.CollectionDescription c = client.collections().describeBlocking("books");
        io.grpc.ManagedChannel channel = io.grpc.ManagedChannelBuilder.forTarget(server.address()).usePlaintext().build();
        try {
            long future = io.tidelog.tso.HybridTimestamps.compose(System.currentTimeMillis() + 3_600_000, 0);
            long started = System.nanoTime();
            assertThatThrownBy(() -> io.tidelog.proto.QueryServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(60, TimeUnit.SECONDS)
                    .query(io.tidelog.proto.ShardQueryRequest.newBuilder().setRead(io.tidelog.proto.ShardRead.newBuilder()
                            .setVchannel(c.vchannels().get(0)).setCollectionId(c.id())
                            .setConsistency(io.tidelog.proto.ConsistencyLevel.SESSION).setGuaranteeTimeTick(future))
                            .build()))
                    .satisfies(e -> assertThat(io.tidelog.message.GrpcErrors.fromThrowable(e, "node").code())
                            .isEqualTo(ErrorCode.TIMEOUT))
                    .hasMessageContaining("guarantee");
            assertThat(System.nanoTime() - started).as("bounded by query.max.wait (2 s here)")
                    .isLessThan(TimeUnit.SECONDS.toNanos(30));
        } finally {
            channel.shutdownNow();
        }
    }

    /** The client remembers a collection's description; a name dropped and created again is asked for anew. */
    @Test
    void aCollectionDroppedAndCreatedAgainUnderItsNameIsQueriedAsTheNewOne() throws Exception {
        client.insert("books", List.of(book(1, "old", 1.0))).get(30, TimeUnit.SECONDS);
        assertThat(ids(queries.query("books", strong()).get(30, TimeUnit.SECONDS))).containsExactly(1L);
        client.collections().dropBlocking("books");
        assertThatThrownBy(() -> queries.query("books", strong()).join())
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.NOT_FOUND));
        client.collections().createBlocking("books", CollectionServiceTest.BOOKS, 2);
        client.insert("books", List.of(book(2, "new", 1.0))).get(30, TimeUnit.SECONDS);
        assertThat(ids(queries.query("books", strong()).get(30, TimeUnit.SECONDS))).containsExactly(2L);
        client.collections().dropBlocking("books");
        client.collections().createBlocking("books", CollectionServiceTest.BOOKS, 3);
        client.insert("books", List.of(book(3, "newer", 1.0))).get(30, TimeUnit.SECONDS);
        assertThat(ids(queries.query("books", strong()).get(30, TimeUnit.SECONDS))).as("no query in between")
                .containsExactly(3L);
    }

    /**
     * Upserts under concurrent readers: writers upsert their keys again and again (each upsert a new version), readers
     * query STRONG all the while; no answer ever holds a key twice or misses one, and each reader sees versions only
     * grow.
     */
    @Test
    void anUpsertNeverShowsBothVersionsOrNeitherToConcurrentQueries() throws Exception {
        long seed = System.nanoTime();
        int keys = 12;
        List<Map<String, Object>> first = new ArrayList<>();
        for (long id = 0; id < keys; id++) {
            first.add(book(id, "v0", 0.0));
        }
        client.insert("books", first).get(30, TimeUnit.SECONDS);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        Map<String, String> failures = new ConcurrentHashMap<>();
        java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                int writer = w;
                done.add(pool.submit(() -> {
                    Random random = new Random(seed + writer);
                    for (int version = 1; version <= 30; version++) {
                        List<Map<String, Object>> rows = new ArrayList<>();
                        for (long id = writer; id < keys; id += 2) {
                            if (random.nextBoolean()) {
                                rows.add(book(id, "v" + version, (double) version));
                            }
                        }
                        if (!rows.isEmpty()) {
                            client.upsert("books", rows).join();
                        }
                    }
                    return null;
                }));
            }
            List<Future<?>> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                readers.add(pool.submit(() -> {
                    Map<Long, Double> seen = new HashMap<>();
                    while (writing.get()) {
                        List<Map<String, Object>> rows = queries.query("books", strong().withOutputFields(List.of("price")))
                                .join();
                        List<Long> ids = ids(rows);
                        if (ids.size() != keys || new java.util.HashSet<>(ids).size() != keys) {
                            failures.put("answer " + ids, "a key twice or missing");
                        }
                        for (Map<String, Object> row : rows) {
                            Double before = seen.put((Long) row.get("id"), (Double) row.get("price"));
                            if (before != null && before > (Double) row.get("price")) {
                                failures.put("key " + row.get("id"), "version went back from " + before + " to "
                                        + row.get("price"));
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(2, TimeUnit.MINUTES);
            }
            writing.set(false);
            for (Future<?> f : readers) {
                f.get(1, TimeUnit.MINUTES);
            }
        } finally {
            writing.set(false);
            pool.shutdownNow();
        }
        assertThat(failures).as("seed %d", seed).isEmpty();
        assertThat(ids(queries.query("books", strong()).get(30, TimeUnit.SECONDS))).hasSize(keys);
    }

    /**
     * A vchannel's delegator is made when its first rows are applied, which may come after a STRONG query arrived:
     * the query must look for it once its data is fresh enough, not when it arrives.
     */
    @Test
    void aStrongQueryRightAfterTheFirstInsertOfEveryVchannelSeesEveryRow() throws Exception {
        for (int round = 0; round < 15; round++) {
            String name = "fresh" + round;
            client.collections().createBlocking(name, CollectionServiceTest.BOOKS, 4);
            List<Map<String, Object>> rows = new ArrayList<>();
            for (long id = 0; id < 16; id++) {
                rows.add(book(id, "r" + round, 1.0));
            }
            client.insert(name, rows).get(30, TimeUnit.SECONDS);
            assertThat(ids(queries.query(name, QueryOptions.defaults()).get(30, TimeUnit.SECONDS)))
                    .as("round %d", round).hasSize(16);
        }
    }

    @Test
    void badQueriesFailWithInvalidArgumentNamingTheFieldAndThePosition() {
        assertThatThrownBy(() -> queries.query("books", strong().withFilter("id > 3 and pages < 5")).join())
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("pages").hasMessageContaining("1:");
        assertThatThrownBy(() -> queries.query("books", strong().withFilter("title > 3")).join())
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("title");
        assertThatThrownBy(() -> queries.query("books", strong().withOutputFields(List.of("nope"))).join())
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("nope");
        assertThatThrownBy(() -> queries.search("books", "emb", new float[3], 3, Metric.IP, QueryOptions.defaults())
                .join())
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("emb").hasMessageContaining("dimension");
        assertThatThrownBy(() -> queries.query("nope", strong()).join())
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.NOT_FOUND));
    }

    static ErrorCode code(Throwable t) {
        return StreamingException.from(t).code();
    }

    @SuppressWarnings("unchecked")
    static double l2(Map<String, Object> row, float[] q) {
        List<Float> v = (List<Float>) row.get("emb");
        float sum = 0;
        for (int i = 0; i < q.length; i++) {
            float d = v.get(i) - q[i];
            sum += d * d;
        }
        return sum;
    }
}
