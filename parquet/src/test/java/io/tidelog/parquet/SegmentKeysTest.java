package io.tidelog.parquet;

import io.tidelog.testing.Seeds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.StreamingException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SegmentKeysTest {
    @RegisterExtension
    final Seeds seeds = new Seeds();

    @Test
    void segmentKeysNameTheCollectionAndTheSegment() {
        assertThat(SegmentKeys.segmentData(1001, 7)).isEqualTo("collections/1001/segments/7/data.parquet");
        assertThat(SegmentKeys.segmentManifest(1001, 7)).isEqualTo("collections/1001/segments/7/manifest.json");
        assertThat(SegmentKeys.segmentPrefix(1001, 7)).isEqualTo("collections/1001/segments/7/");
        assertThat(SegmentKeys.collectionPrefix(1001)).isEqualTo("collections/1001/");
    }

    @Test
    void deleteLogKeysNameTheVchannelAndTheTimeTickRangeZeroPadded() {
        assertThat(SegmentKeys.deleteLog(1001, "p0_1001v0", 5, 450_000_000_000L))
                .isEqualTo("collections/1001/deletes/p0_1001v0/00000000000000000005-00000000450000000000.parquet");
        assertThat(SegmentKeys.deleteManifest(1001, "p0_1001v0", 5, 450_000_000_000L))
                .isEqualTo("collections/1001/deletes/p0_1001v0/00000000000000000005-00000000450000000000.json");
        assertThat(SegmentKeys.deleteLog(1, "p_s", Long.MAX_VALUE, Long.MAX_VALUE))
                .endsWith("/09223372036854775807-09223372036854775807.parquet");
    }

    @Test
    void manifestsAreTellApartFromTheDataFilesTheyName() {
        assertThat(SegmentKeys.isManifest(SegmentKeys.segmentManifest(1001, 7))).isTrue();
        assertThat(SegmentKeys.isManifest(SegmentKeys.deleteManifest(1001, "p0_1001v0", 5, 9))).isTrue();
        assertThat(SegmentKeys.isManifest(SegmentKeys.segmentData(1001, 7))).isFalse();
        assertThat(SegmentKeys.isManifest(SegmentKeys.deleteLog(1001, "p0_1001v0", 5, 9))).isFalse();
    }

    @Test
    void theSameInputsAlwaysGiveTheSameKeys() {
        assertThat(SegmentKeys.deleteLog(3, "p_s", 10, 20)).isEqualTo(SegmentKeys.deleteLog(3, "p_s", 10, 20));
        assertThat(SegmentKeys.segmentData(3, 4)).isEqualTo(SegmentKeys.segmentData(3, 4));
    }

    @Test
    void deleteLogsListInTimeOrderWhenKeysSortAsText() {
        Random random = seeds.random();
        List<long[]> ranges = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            long first = random.nextLong() >>> (1 + random.nextInt(62));
            ranges.add(new long[] {first, first + random.nextInt(1000)});
        }
        List<String> byTime = ranges.stream().sorted(Comparator.<long[]>comparingLong(r -> r[0]).thenComparingLong(r -> r[1]))
                .map(r -> SegmentKeys.deleteLog(9, "p_s", r[0], r[1])).toList();
        List<String> byText = byTime.stream().sorted().toList();
        assertThat(byText).isEqualTo(byTime);
    }

    @Test
    void badIdsRangesAndVchannelsAreRejected() {
        assertThatThrownBy(() -> SegmentKeys.segmentData(0, 1)).isInstanceOf(StreamingException.class)
                .hasMessageContaining("collection id");
        assertThatThrownBy(() -> SegmentKeys.segmentData(1, -1)).isInstanceOf(StreamingException.class)
                .hasMessageContaining("segment id");
        assertThatThrownBy(() -> SegmentKeys.deleteLog(1, "p_s", 9, 8)).isInstanceOf(StreamingException.class)
                .hasMessageContaining("first <= last");
        assertThatThrownBy(() -> SegmentKeys.deleteLog(1, "a/b_c", 1, 2)).isInstanceOf(StreamingException.class);
    }
}
