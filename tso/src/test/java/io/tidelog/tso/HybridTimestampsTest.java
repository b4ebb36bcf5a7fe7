package io.tidelog.tso;

import static io.tidelog.tso.HybridTimestamps.compose;
import static io.tidelog.tso.HybridTimestamps.logical;
import static io.tidelog.tso.HybridTimestamps.physicalMillis;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class HybridTimestampsTest {

    @Test
    void aTimestampIsPhysicalMillisShiftedAboveEighteenLogicalBits() {
        long ts = compose(1_000, 5);

        assertThat(ts).isEqualTo((1_000L << 18) | 5);
        assertThat(physicalMillis(ts)).isEqualTo(1_000);
        assertThat(logical(ts)).isEqualTo(5);
        assertThat(HybridTimestamps.LOGICAL_BITS).isEqualTo(18);
    }

    @Test
    void theSuccessorOfTheLastLogicalIsTheNextMillisecond() {
        assertThat(compose(7, HybridTimestamps.MAX_LOGICAL) + 1).isEqualTo(compose(8, 0));
        assertThat(compose(7, HybridTimestamps.MAX_LOGICAL)).isLessThan(compose(8, 0));
    }

    @Test
    void theTextFormIsTheUtcInstantWithMillisThenTheLogicalPart() {
        long millis = Instant.parse("2026-11-24T20:14:17.123Z").toEpochMilli();

        assertThat(HybridTimestamps.toString(compose(millis, 5))).isEqualTo("2026-11-24T20:14:17.123Z+5");
        assertThat(HybridTimestamps.toString(compose(millis - 123, 0))).isEqualTo("2026-11-24T20:14:17.000Z+0");
    }

    @Test
    void partsOutOfRangeAreRejected() {
        for (long[] parts : new long[][] {{-1, 0}, {0, -1}, {0, 1 << 18}, {HybridTimestamps.MAX_PHYSICAL_MILLIS + 1, 0}}) {
            assertThatThrownBy(() -> compose(parts[0], parts[1]))
                    .isInstanceOfSatisfying(StreamingException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
        assertThat(compose(HybridTimestamps.MAX_PHYSICAL_MILLIS, HybridTimestamps.MAX_LOGICAL))
                .isEqualTo(Long.MAX_VALUE);
    }
}
