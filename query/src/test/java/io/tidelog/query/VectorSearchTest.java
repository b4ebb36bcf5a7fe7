package io.tidelog.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.testing.Seeds;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Exact top-k search against a brute-force oracle. Vectors with small integer components make every L2 and IP
 * score exact in float and in double (so results must be equal, ties included, and ties are many); COSINE, whose
 * square root rounds, is checked for order, scores within 1e-5 and completeness.
 */
class VectorSearchTest {
    @RegisterExtension
    final Seeds seeds = new Seeds();

    static CollectionSchema schema(DataType pk, int dim) {
        return TestTables.schema(TestTables.primaryKey("pk", pk), TestTables.vector("v", dim),
                TestTables.field("tag", DataType.INT32, true));
    }

    /** A row of the test: its key (Long or String), its vector, which segment holds it and at which row. */
    record Row(Object key, float[] vector, int segment, int row) {
        PrimaryKey primaryKey() {
            return key instanceof Long l ? new PrimaryKey.Int64(l) : new PrimaryKey.Varchar((String) key);
        }
    }

    static Object randomKey(Random random, DataType pk, int i) {
        if (pk == DataType.INT64) {
            return (long) (random.nextInt(2000) - 1000) * 1000 + i;
        }
        String[] parts = {"a", "b", "é", "😀", "\uE000", "z"};
        return parts[random.nextInt(parts.length)] + parts[random.nextInt(parts.length)] + i;
    }

    /** Rows spread over {@code segments} segments, appended in random batches. */
    static List<SegmentView> build(Random random, CollectionSchema schema, List<Row> rows, int segments) {
        List<SegmentView> views = new ArrayList<>();
        for (int s = 0; s < segments; s++) {
            ColumnarSegment segment = new ColumnarSegment(schema);
            List<Object[]> batch = new ArrayList<>();
            for (Row r : rows) {
                if (r.segment == s) {
                    batch.add(new Object[] {r.key, r.vector, random.nextBoolean() ? null : 1});
                }
            }
            for (int i = 0; i < batch.size(); ) {
                int n = Math.min(batch.size() - i, 1 + random.nextInt(40));
                segment.append(TestTables.insert(schema, batch.subList(i, i + n), Set.of()), 1);
                i += n;
            }
            views.add(segment.view());
        }
        return views;
    }

    static double oracleScore(Metric metric, float[] v, float[] q) {
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

    @ParameterizedTest(name = "{0}")
    @EnumSource(Metric.class)
    void topKEqualsBruteForceWithFiltersTiesAndSegments(Metric metric) {
        Random random = seeds.random();
        for (int round = 0; round < 60; round++) {
            DataType pk = random.nextBoolean() ? DataType.INT64 : DataType.VARCHAR;
            int dim = new int[] {1, 3, 4, 8, 17, 32}[random.nextInt(6)];
            CollectionSchema schema = schema(pk, dim);
            int segments = 1 + random.nextInt(3);
            int count = random.nextInt(300);
            List<Row> rows = new ArrayList<>();
            int[] rowInSegment = new int[segments];
            for (int i = 0; i < count; i++) {
                float[] v = new float[dim];
                for (int d = 0; d < dim; d++) {
                    v[d] = random.nextInt(7) - 3;
                }
                if (i > 0 && random.nextInt(8) == 0) {
                    v = rows.get(random.nextInt(rows.size())).vector.clone();
                }
                int s = random.nextInt(segments);
                rows.add(new Row(randomKey(random, pk, i), v, s, rowInSegment[s]++));
            }
            List<SegmentView> views = build(random, schema, rows, segments);
            float[] q = new float[dim];
            for (int d = 0; d < dim; d++) {
                q[d] = random.nextInt(5) - 2;
            }
            int k = new int[] {1, 3, 10, 50, count + 5}[random.nextInt(5)];
            k = Math.max(1, Math.min(k, VectorSearch.MAX_TOP_K));
            List<BitSet> masks = new ArrayList<>();
            for (SegmentView view : views) {
                masks.add(random.nextInt(3) == 0 ? null : FilterDuckDbOracleTest.randomMask(random, view.rowCount()));
            }
            List<List<SearchHit>> perSegment = new ArrayList<>();
            for (int s = 0; s < segments; s++) {
                perSegment.add(VectorSearch.search(views.get(s), "v", q, metric, k, masks.get(s), s));
            }
            List<SearchHit> merged = VectorSearch.merge(perSegment, metric, k);
            List<Row> candidates = rows.stream()
                    .filter(r -> masks.get(r.segment) == null || masks.get(r.segment).get(r.row)).toList();
            String context = "round " + round + " metric " + metric + " dim " + dim + " k " + k + " rows " + count;
            check(metric, q, k, candidates, merged, context);
            for (int s = 0; s < segments; s++) {
                int segment = s;
                check(metric, q, k, candidates.stream().filter(r -> r.segment == segment).toList(),
                        perSegment.get(s), context + " segment " + s);
            }
        }
    }

    private static void check(Metric metric, float[] q, int k, List<Row> candidates, List<SearchHit> hits,
                              String context) {
        Comparator<Row> best = Comparator.<Row>comparingDouble(r -> metric.higherIsBetter()
                ? -oracleScore(metric, r.vector, q) : oracleScore(metric, r.vector, q))
                .thenComparing(Row::primaryKey);
        List<Row> expected = candidates.stream().sorted(best).limit(k).toList();
        assertThat(hits).as(context).hasSize(expected.size());
        for (SearchHit h : hits) {
            Row r = candidates.stream().filter(c -> c.primaryKey().equals(h.primaryKey())).findFirst().orElseThrow();
            assertThat(h.segment()).as(context).isEqualTo(r.segment);
            assertThat(h.row()).as(context).isEqualTo(r.row);
        }
        if (metric != Metric.COSINE) {
            assertThat(hits.stream().map(SearchHit::primaryKey).toList()).as(context)
                    .isEqualTo(expected.stream().map(Row::primaryKey).toList());
            for (int i = 0; i < hits.size(); i++) {
                assertThat((double) hits.get(i).score()).as(context)
                        .isEqualTo(oracleScore(metric, expected.get(i).vector, q));
            }
            return;
        }
        assertThat(hits).as(context).isSortedAccordingTo(VectorSearch.order(metric));
        double worstKept = Double.POSITIVE_INFINITY;
        for (SearchHit h : hits) {
            Row r = candidates.stream().filter(c -> c.primaryKey().equals(h.primaryKey())).findFirst().orElseThrow();
            double exact = oracleScore(metric, r.vector, q);
            assertThat((double) h.score()).as(context).isCloseTo(exact, org.assertj.core.data.Offset.offset(1e-5));
            worstKept = Math.min(worstKept, exact);
        }
        Set<PrimaryKey> kept = new java.util.HashSet<>(hits.stream().map(SearchHit::primaryKey).toList());
        for (Row r : candidates) {
            if (!kept.contains(r.primaryKey())) {
                assertThat(oracleScore(metric, r.vector, q)).as(context + " left out " + r.key)
                        .isLessThanOrEqualTo(worstKept + 1e-5);
            }
        }
    }

    @Test
    void equalScoresAreOrderedByPrimaryKeyIncludingForCosine() {
        CollectionSchema schema = schema(DataType.VARCHAR, 3);
        ColumnarSegment segment = new ColumnarSegment(schema);
        List<Object[]> rows = new ArrayList<>();
        String[] keys = {"b", "😀", "\uE000", "a", "ab", "é"};
        for (String key : keys) {
            rows.add(new Object[] {key, new float[] {1, 2, 3}, null});
        }
        segment.append(TestTables.insert(schema, rows, Set.of()), 1);
        for (Metric metric : Metric.values()) {
            List<SearchHit> hits = VectorSearch.search(segment.view(), "v", new float[] {0.5f, 0, 1}, metric, 4, null);
            assertThat(hits.stream().map(h -> h.primaryKey().toString()).toList()).as(metric.name())
                    .containsExactly("a", "ab", "b", "é");
        }
    }

    @Test
    void aZeroVectorHasCosineSimilarityZero() {
        CollectionSchema schema = schema(DataType.INT64, 2);
        ColumnarSegment segment = new ColumnarSegment(schema);
        List<Object[]> rows = new ArrayList<>();
        rows.add(new Object[] {3L, new float[] {0, 0}, null});
        rows.add(new Object[] {2L, new float[] {1, 0}, null});
        rows.add(new Object[] {1L, new float[] {-1, 0}, null});
        segment.append(TestTables.insert(schema, rows, Set.of()), 1);
        List<SearchHit> hits = VectorSearch.search(segment.view(), "v", new float[] {1, 0}, Metric.COSINE, 3, null);
        assertThat(hits).extracting(SearchHit::score).containsExactly(1f, 0f, -1f);
        List<SearchHit> zeroQuery = VectorSearch.search(segment.view(), "v", new float[] {0, 0}, Metric.COSINE, 3, null);
        assertThat(zeroQuery).extracting(SearchHit::score).containsExactly(0f, 0f, 0f);
        assertThat(zeroQuery).extracting(h -> h.primaryKey().toString()).containsExactly("1", "2", "3");
    }

    @Test
    void anEmptySegmentOrAnEmptyMaskFindsNothing() {
        CollectionSchema schema = schema(DataType.INT64, 2);
        ColumnarSegment segment = new ColumnarSegment(schema);
        assertThat(VectorSearch.search(segment.view(), "v", new float[] {1, 0}, Metric.L2, 5, null)).isEmpty();
        segment.append(TestTables.insert(schema, List.<Object[]>of(new Object[] {1L, new float[] {1, 1}, null}),
                Set.of()), 1);
        assertThat(VectorSearch.search(segment.view(), "v", new float[] {1, 0}, Metric.IP, 5, new BitSet())).isEmpty();
    }

    @Test
    void aWrongQueryIsRefusedNamingTheField() {
        CollectionSchema schema = schema(DataType.INT64, 4);
        SegmentView view = new ColumnarSegment(schema).view();
        assertRefused(() -> VectorSearch.search(view, "v", new float[3], Metric.L2, 5, null),
                "field 'v' has dimension 4, the query vector 3");
        assertRefused(() -> VectorSearch.search(view, "tag", new float[4], Metric.L2, 5, null), "field 'tag'");
        assertRefused(() -> VectorSearch.search(view, "nope", new float[4], Metric.L2, 5, null), "field 'nope'");
        assertRefused(() -> VectorSearch.search(view, "v", new float[] {0, Float.NaN, 0, 0}, Metric.L2, 5, null),
                "field 'v'");
        assertRefused(() -> VectorSearch.search(view, "v", new float[4], Metric.L2, 0, null), "topK");
        assertRefused(() -> VectorSearch.search(view, "v", new float[4], Metric.L2, VectorSearch.MAX_TOP_K + 1, null),
                "topK");
    }

    private static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String message) {
        assertThatThrownBy(call).isInstanceOf(StreamingException.class).hasMessageContaining(message)
                .satisfies(e -> assertThat(((StreamingException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }
}
