package io.tidelog.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.client.SearchHit;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class RawScanTest {

    @Test
    void findsTheNearestRowsOfABruteForceSortTiesByKey() {
        long seed = System.nanoTime();
        int dim = 7; // not a multiple of four: the tail of the sums too
        float[] rows = SeededVectors.rows(seed, 500, dim);
        System.arraycopy(rows, 3 * dim, rows, 17 * dim, dim); // rows 3 and 17 tie at any query
        RawScan scan = new RawScan(rows, dim);
        for (float[] q : SeededVectors.queries(seed, 10, dim)) {
            long[] expected = IntStream.range(0, 500).boxed()
                    .sorted(Comparator.<Integer>comparingDouble(r -> RawScan.squaredL2(rows, r * dim, q, dim))
                            .thenComparingInt(r -> r))
                    .limit(25).mapToLong(r -> r).toArray();
            assertThat(scan.nearest(q, 25).keys()).as("seed %d", seed).containsExactly(expected);
        }
        float[] atRow3 = java.util.Arrays.copyOfRange(rows, 3 * dim, 4 * dim);
        assertThat(scan.nearest(atRow3, 2).keys()).containsExactly(3, 17);
        assertThat(scan.nearest(atRow3, 2).distances()).containsExactly(0f, 0f);
    }

    @Test
    void squaredL2IsTheSumOfSquaredDifferences() {
        float[] v = {0, 0, 1, 2, 3, 4, 5, 6, 7};
        float[] q = {1, 1, 1, 1, 1};
        assertThat(RawScan.squaredL2(v, 2, q, 5)).isEqualTo(0 + 1 + 4 + 9 + 16);
    }

    @Test
    void refusesPartialRowsAndQueriesOfAnotherDimension() {
        assertThatThrownBy(() -> new RawScan(new float[10], 4)).isInstanceOf(IllegalArgumentException.class);
        RawScan scan = new RawScan(new float[8], 4);
        assertThat(scan.rows()).isEqualTo(2);
        assertThatThrownBy(() -> scan.nearest(new float[3], 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theAnswerCheckFailsAWrongServerAnswerNamingBothAndPassesARightOne() {
        AnswerCheck check = new AnswerCheck(new long[][] {{4, 2}}, new float[][] {{0.5f, 0.75f}});
        check.check(0, List.of(hit(4, 0.5f), hit(2, 0.75f)), "pair 1");
        assertThatThrownBy(() -> check.check(0, List.of(hit(2, 0.75f), hit(4, 0.5f)), "pair 2"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("WRONG ANSWER (pair 2)")
                .hasMessageContaining("[2 (0.75), 4 (0.5)]")
                .hasMessageContaining("[4 (0.5), 2 (0.75)]");
        assertThatThrownBy(() -> check.check(0, List.of(hit(4, 0.5f)), "pair 3"))
                .hasMessageContaining("WRONG ANSWER");
    }

    @Test
    void seededVectorsAreAFunctionOfTheSeedOnAGridInZeroOne() {
        assertThat(SeededVectors.rows(42, 3, 4)).containsExactly(SeededVectors.rows(42, 3, 4));
        assertThat(SeededVectors.rows(42, 3, 4)).isNotEqualTo(SeededVectors.rows(43, 3, 4));
        assertThat(SeededVectors.queries(42, 2, 4)[0]).isNotEqualTo(SeededVectors.rows(42, 1, 4));
        for (float x : SeededVectors.rows(7, 100, 8)) {
            assertThat(x).isBetween(0f, 1f).isLessThan(1f);
            assertThat(x * (1 << 24)).isEqualTo((float) Math.rint(x * (1 << 24)));
        }
    }

    private static SearchHit hit(long key, float score) {
        return new SearchHit(Map.of(SearchedCollection.KEY, key), score);
    }
}
