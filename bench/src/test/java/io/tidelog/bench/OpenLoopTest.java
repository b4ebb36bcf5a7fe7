package io.tidelog.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class OpenLoopTest {
    private static final long MS = 1_000_000L;

    /** A clock that moves only when told to, or when the sender parks. */
    static final class FakeClock implements OpenLoop.Clock {
        long now;
        final List<Long> parkedUntil = new ArrayList<>();

        FakeClock(long start) {
            now = start;
        }

        @Override
        public long nanoTime() {
            return now;
        }

        @Override
        public void parkUntil(long deadline) {
            parkedUntil.add(deadline);
            now = Math.max(now, deadline);
        }

        void advance(long nanos) {
            now += nanos;
        }
    }

    @Test
    void intendedTimesLieOnAFixedGridWithoutDrift() {
        OpenLoop loop = new OpenLoop(3, new FakeClock(0));
        assertThat(loop.intendedTime(500, 0)).isEqualTo(500);
        assertThat(loop.intendedTime(500, 1)).isEqualTo(500 + 333_333_333L);
        assertThat(loop.intendedTime(500, 2)).isEqualTo(500 + 666_666_666L);
        assertThat(loop.intendedTime(500, 3)).isEqualTo(500 + 1_000_000_000L);
        assertThat(loop.intendedTime(0, 3_000_000_000L)).isEqualTo(1_000_000_000L * 1_000_000_000L);
    }

    @Test
    void operationCountIsRateTimesDurationAndAtLeastOne() {
        assertThat(OpenLoop.operationsIn(3, 1000)).isEqualTo(3000);
        assertThat(OpenLoop.operationsIn(0.2, 1000)).isEqualTo(200);
        assertThat(OpenLoop.operationsIn(0.0001, 10)).isEqualTo(1);
    }

    @Test
    void senderIssuesEachOperationAtItsIntendedTime() throws Exception {
        FakeClock clock = new FakeClock(1_000 * MS);
        OpenLoop loop = new OpenLoop(1000, clock);
        List<long[]> issued = new ArrayList<>();
        loop.run(5, (i, intended) -> {
            issued.add(new long[] {i, intended, clock.nanoTime()});
            loop.recordCompletion(intended);
        });
        for (int i = 0; i < 5; i++) {
            assertThat(issued.get(i)).containsExactly(i, 1_000 * MS + i * MS, 1_000 * MS + i * MS);
        }
        assertThat(clock.parkedUntil).containsExactly(1_001 * MS, 1_002 * MS, 1_003 * MS, 1_004 * MS);
        Histogram h = loop.latencies();
        assertThat(h.getTotalCount()).isEqualTo(5);
        assertThat(h.getMaxValue()).isZero();
        assertThat(loop.maxSendLagNanos()).isZero();
    }

    @Test
    void latencyIncludesTheTimeOperationsWaitedBehindASlowOne() throws Exception {
        FakeClock clock = new FakeClock(0);
        OpenLoop loop = new OpenLoop(1000, clock);
        List<Long> latencies = new ArrayList<>();
        loop.run(6, (i, intended) -> {
            if (i == 0) {
                clock.advance(3_500_000); // a synchronous operation that stalls for 3.5 ms
            }
            latencies.add(clock.nanoTime() - intended);
            loop.recordCompletion(intended);
        });
        // Operations 1..3 were due during the stall: issued at once, each charged its full wait.
        assertThat(latencies).containsExactly(3_500_000L, 2_500_000L, 1_500_000L, 500_000L, 0L, 0L);
        assertThat(clock.parkedUntil).containsExactly(4 * MS, 5 * MS);
        Histogram h = loop.latencies();
        assertThat(h.getTotalCount()).isEqualTo(6);
        assertThat(h.getMaxValue()).isBetween(3_499_000L, 3_501_000L);
        assertThat(loop.maxSendLagNanos()).isEqualTo(2_500_000L);
    }

    @Test
    void completionsRecordedAfterTheSenderFinishedAreCounted() throws Exception {
        FakeClock clock = new FakeClock(0);
        OpenLoop loop = new OpenLoop(100, clock);
        List<Long> intendedTimes = new ArrayList<>();
        loop.run(3, (i, intended) -> intendedTimes.add(intended));
        clock.advance(7 * MS);
        intendedTimes.forEach(loop::recordCompletion);
        Histogram h = loop.latencies();
        assertThat(h.getTotalCount()).isEqualTo(3);
        assertThat(h.getMinValue()).isBetween(6_990_000L, 7_010_000L);
        assertThat(h.getMaxValue()).isBetween(26_950_000L, 27_050_000L);
    }

    @Test
    void aRateBelowOneIsRefused() {
        assertThatThrownBy(() -> new OpenLoop(0, new FakeClock(0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rate");
    }
}
