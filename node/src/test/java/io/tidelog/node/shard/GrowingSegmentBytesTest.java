package io.tidelog.node.shard;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class GrowingSegmentBytesTest {
    final GrowingSegmentBytes bytes = new GrowingSegmentBytes(ShardConfig.from(Map.of(
            "shard.growing.high.bytes", "100", "shard.growing.low.bytes", "50")));

    @Test
    void nothingIsChosenUntilTheTotalPassesTheHighWaterMark() {
        bytes.put(1, 60);
        bytes.put(2, 40);
        assertThat(bytes.total()).isEqualTo(100);
        assertThat(bytes.overHighWater()).isEmpty();
        bytes.put(2, 41);
        assertThat(bytes.overHighWater()).containsExactly(1L);
    }

    @Test
    void theLargestAreChosenUntilTheRestIsAtTheLowWaterMarkTheOlderOfEqualOnesFirst() {
        bytes.put(5, 30);
        bytes.put(3, 30);
        bytes.put(4, 30);
        bytes.put(9, 20);
        assertThat(bytes.overHighWater()).containsExactlyInAnyOrder(3L, 4L);
    }

    @Test
    void onceOverTheHighWaterMarkSegmentsAreChosenUntilTheTotalIsBackAtTheLowWaterMark() {
        bytes.put(1, 60);
        bytes.put(2, 30);
        bytes.put(3, 25);
        assertThat(bytes.overHighWater()).containsExactlyInAnyOrder(1L, 2L);
        bytes.remove(1); // its owner sealed it; the other owner asks next
        assertThat(bytes.overHighWater()).containsExactly(2L);
        bytes.remove(2);
        assertThat(bytes.overHighWater()).isEmpty();
        bytes.put(3, 80);
        assertThat(bytes.overHighWater()).isEmpty();
        bytes.remove(3);
        bytes.remove(3);
        assertThat(bytes.total()).isZero();
    }

    @Test
    void bytesAReaderHoldsCountInTheTotalAndInTheSizeOfTheirSegmentButOnlyGrowingSegmentsAreChosen() {
        bytes.put(1, 30);
        bytes.putHeld(1, 35);
        bytes.put(2, 35);
        assertThat(bytes.total()).isEqualTo(100);
        assertThat(bytes.overHighWater()).isEmpty();
        bytes.putHeld(7, 10); // a segment sealed already: its rows are still held until its sealed form replaces them
        assertThat(bytes.total()).isEqualTo(110);
        assertThat(bytes.overHighWater()).as("segment 1 is 65 with what is held for it, 2 is 35; 7 is not growing")
                .containsExactly(1L);
        bytes.remove(1);
        bytes.removeHeld(1);
        bytes.removeHeld(7);
        bytes.removeHeld(7);
        assertThat(bytes.total()).isEqualTo(35);
    }
}
