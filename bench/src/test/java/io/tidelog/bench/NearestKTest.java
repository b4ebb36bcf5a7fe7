package io.tidelog.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class NearestKTest {

    @Test
    void keepsTheNearestKNearestFirst() {
        NearestK top = new NearestK(3);
        float[] d = {5f, 1f, 4f, 2f, 3f};
        for (int i = 0; i < d.length; i++) {
            top.offer(d[i], i);
        }
        assertThat(top.keys()).containsExactly(1, 3, 4);
        assertThat(top.distances()).containsExactly(1f, 2f, 3f);
    }

    @Test
    void tiesGoToTheSmallerKeyWhateverTheOrderOfOffers() {
        NearestK forward = new NearestK(2);
        NearestK backward = new NearestK(2);
        for (long k = 0; k < 5; k++) {
            forward.offer(1f, k);
            backward.offer(1f, 4 - k);
        }
        assertThat(forward.keys()).containsExactly(0, 1);
        assertThat(backward.keys()).containsExactly(0, 1);
    }

    @Test
    void aRowAtTheThresholdEntersOnlyWithASmallerKeyThanTheFarthest() {
        NearestK top = new NearestK(2);
        top.offer(1f, 10);
        top.offer(2f, 20);
        assertThat(top.threshold()).isEqualTo(2f);
        assertThat(top.offer(2f, 30)).isFalse();
        assertThat(top.offer(2f, 15)).isTrue();
        assertThat(top.keys()).containsExactly(10, 15);
    }

    @Test
    void theThresholdIsInfiniteUntilKAreKept() {
        NearestK top = new NearestK(2);
        assertThat(top.threshold()).isEqualTo(Float.POSITIVE_INFINITY);
        top.offer(7f, 1);
        assertThat(top.threshold()).isEqualTo(Float.POSITIVE_INFINITY);
        top.offer(3f, 2);
        assertThat(top.threshold()).isEqualTo(7f);
        assertThat(top.size()).isEqualTo(2);
    }

    @Test
    void equalsASortOfEveryRowByDistanceThenKey() {
        long seed = System.nanoTime();
        SplittableRandom random = new SplittableRandom(seed);
        for (int round = 0; round < 200; round++) {
            int k = 1 + random.nextInt(12);
            int n = random.nextInt(60);
            NearestK top = new NearestK(k);
            List<float[]> rows = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                float d = random.nextInt(8); // few values: many ties
                long key = random.nextLong(1000);
                rows.add(new float[] {d, key});
                top.offer(d, key);
            }
            long[] expected = rows.stream()
                    .sorted(Comparator.<float[]>comparingDouble(r -> r[0]).thenComparingDouble(r -> r[1]))
                    .limit(k).mapToLong(r -> (long) r[1]).toArray();
            assertThat(top.keys()).as("seed %d, round %d", seed, round).containsExactly(expected);
        }
    }

    @Test
    void clearEmptiesItAndNaNIsRefused() {
        NearestK top = new NearestK(1);
        top.offer(1f, 1);
        top.clear();
        assertThat(top.size()).isZero();
        assertThat(top.keys()).isEmpty();
        assertThatThrownBy(() -> top.offer(Float.NaN, 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NaN");
        assertThatThrownBy(() -> new NearestK(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
