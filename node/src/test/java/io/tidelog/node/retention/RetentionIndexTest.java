package io.tidelog.node.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.common.MessageId;
import io.tidelog.tso.HybridTimestamps;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetentionIndexTest {
    static long tt(long millis, long logical) {
        return HybridTimestamps.compose(millis, logical);
    }

    static RetentionConfig config(Duration time, long bytes) {
        return new RetentionConfig(time, bytes, Duration.ofDays(7));
    }

    @Test
    void withASamplePerRecordTheTimeFloorIsTheFirstRecordYoungerThanTheRetention() {
        RetentionIndex index = new RetentionIndex(0, 0);
        for (int i = 0; i < 10; i++) {
            index.observe(MessageId.of(0, i), tt(1_000 + i * 100L, 0), 10);
        }
        // now 2_000, retention 650 ms: cutoff 1_350; records at 1_000..1_300 are older, 1_400.. younger
        assertThat(index.floors(2_000, config(Duration.ofMillis(650), RetentionConfig.UNLIMITED)).byTime())
                .isEqualTo(MessageId.of(0, 4));
        // a record exactly at the cutoff is old enough to go
        assertThat(index.floors(2_000, config(Duration.ofMillis(600), RetentionConfig.UNLIMITED)).byTime())
                .isEqualTo(MessageId.of(0, 5));
        assertThat(index.floors(1_000, config(Duration.ofHours(1), RetentionConfig.UNLIMITED)).later()).isNull();
    }

    @Test
    void theBytesFloorKeepsTheFewestNewestRecordsHoldingTheBound() {
        RetentionIndex index = new RetentionIndex(0, 0);
        for (int i = 0; i < 10; i++) {
            index.observe(MessageId.of(0, i), tt(1_000, i), 100);
        }
        assertThat(index.floors(1_000, config(Duration.ofDays(1), 250)).byBytes()).isEqualTo(MessageId.of(0, 7));
        assertThat(index.floors(1_000, config(Duration.ofDays(1), 300)).byBytes()).isEqualTo(MessageId.of(0, 7));
        assertThat(index.floors(1_000, config(Duration.ofDays(1), 301)).byBytes()).isEqualTo(MessageId.of(0, 6));
        assertThat(index.floors(1_000, config(Duration.ofDays(1), 5_000)).byBytes()).isNull();
        // either bound lets a record go: the later floor wins
        assertThat(index.floors(1_000, config(Duration.ofDays(1), 250)).later()).isEqualTo(MessageId.of(0, 7));
    }

    @Test
    void aSparseIndexNeverCutsARecordYoungerThanTheRetention() {
        RetentionIndex index = new RetentionIndex(1_000, Long.MAX_VALUE);
        for (int i = 0; i < 100; i++) {
            index.observe(MessageId.of(0, i), tt(10_000 + i * 100L, 0), 1);
        }
        for (long now = 10_000; now < 30_000; now += 37) {
            MessageId floor = index.floors(now, config(Duration.ofMillis(5_000), RetentionConfig.UNLIMITED)).byTime();
            if (floor != null) {
                long firstKept = 10_000 + floor.minor() * 100;
                long cutoff = now - 5_000;
                // every record before the floor is old enough; the floor is at most one spacing (10 records) late
                assertThat(firstKept - 100).isLessThanOrEqualTo(cutoff);
                assertThat(firstKept).isLessThanOrEqualTo(Math.max(cutoff, 10_000) + 1_100);
            }
        }
    }

    @Test
    void aFullIndexThinsEvenlyAndKeepsItsBounds() {
        RetentionIndex index = new RetentionIndex(0, 0);
        int n = RetentionIndex.MAX_SAMPLES * 5;
        for (int i = 0; i < n; i++) {
            index.observe(MessageId.of(0, i), tt(1_000 + i, 0), 1);
        }
        assertThat(index.samples()).hasSizeLessThanOrEqualTo(RetentionIndex.MAX_SAMPLES);
        assertThat(index.samples().get(0).id()).isEqualTo(MessageId.of(0, 0));
        // the gaps between samples differ by at most a factor of two along the whole log
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 1; i < index.samples().size() - 1; i++) {
            long gap = index.samples().get(i).id().minor() - index.samples().get(i - 1).id().minor();
            min = Math.min(min, gap);
            max = Math.max(max, gap);
        }
        assertThat(max).isLessThanOrEqualTo(2 * min);
    }

    @Test
    void anIndexStartedInTheMiddleOfALogNeverCutsTheUnknownPartBeforeItsFirstRecordAges() {
        RetentionIndex index = new RetentionIndex(0, 0);
        index.observe(MessageId.of(3, 0), tt(5_000, 0), 10);
        index.observe(MessageId.of(3, 1), tt(6_000, 0), 10);
        // the records before 3:0 are at most as old as 3:0: none may go before 3:0 itself is old enough
        assertThat(index.floors(5_999, config(Duration.ofMillis(1_000), RetentionConfig.UNLIMITED)).byTime()).isNull();
        assertThat(index.floors(6_000, config(Duration.ofMillis(1_000), RetentionConfig.UNLIMITED)).byTime())
                .isEqualTo(MessageId.of(3, 1));
    }

    @Test
    void aSavedIndexRestoresTheSameFloorsAndContinues() {
        RetentionIndex index = new RetentionIndex(0, 0);
        for (int i = 0; i < 5; i++) {
            index.observe(MessageId.of(0, i), tt(1_000 + i * 10L, 0), 7);
        }
        RetentionIndex copy = new RetentionIndex(0, 0);
        copy.restore(index.toProto());
        index.observe(MessageId.of(0, 5), tt(1_050, 0), 7);
        copy.observe(MessageId.of(0, 5), tt(1_050, 0), 7);
        assertThat(copy.samples()).isEqualTo(index.samples());
        assertThat(copy.endOffset()).isEqualTo(index.endOffset());
        assertThat(copy.floors(1_100, config(Duration.ofMillis(70), 14)))
                .isEqualTo(index.floors(1_100, config(Duration.ofMillis(70), 14)));
    }

    @Test
    void forgettingTheTruncatedPartKeepsTheRest() {
        RetentionIndex index = new RetentionIndex(0, 0);
        for (int i = 0; i < 5; i++) {
            index.observe(MessageId.of(0, i), tt(1_000 + i, 0), 1);
        }
        index.retainFrom(MessageId.of(0, 3));
        assertThat(index.samples()).extracting(RetentionIndex.Sample::id).containsExactly(MessageId.of(0, 3), MessageId.of(0, 4));
        assertThat(index.bytesFrom(MessageId.of(0, 3))).isEqualTo(2);
    }
}
