package io.tidelog.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PairedRunTest {

    @Test
    void medianOfAnOddNumberOfRatiosIsTheMiddleOne() {
        PairedRun.Summary s = PairedRun.summarize(new double[] {100, 100, 100}, new double[] {50, 70, 60});
        assertThat(s.median()).isCloseTo(0.6, within(1e-12));
        assertThat(s.pairs()).isEqualTo(3);
    }

    @Test
    void medianOfAnEvenNumberOfRatiosIsTheMeanOfTheMiddleTwo() {
        PairedRun.Summary s = PairedRun.summarize(new double[] {10, 10, 10, 10}, new double[] {1, 9, 3, 5});
        assertThat(s.median()).isCloseTo(0.4, within(1e-12));
    }

    @Test
    void ratiosArePerPairNotOfTheAverages() {
        // Pair-wise: 2/1 = 2 and 2/4 = 0.5; averages would give 4/5 = 0.8.
        PairedRun.Summary s = PairedRun.summarize(new double[] {1, 4}, new double[] {2, 2});
        assertThat(s.min()).isCloseTo(0.5, within(1e-12));
        assertThat(s.max()).isCloseTo(2.0, within(1e-12));
        assertThat(s.median()).isCloseTo(1.25, within(1e-12));
    }

    @Test
    void minAndMaxAreTheExtremeRatios() {
        PairedRun.Summary s = PairedRun.summarize(new double[] {100, 110, 120, 90, 100},
                new double[] {70, 44, 96, 45, 65});
        assertThat(s.min()).isCloseTo(0.4, within(1e-12));
        assertThat(s.max()).isCloseTo(0.8, within(1e-12));
        assertThat(s.median()).isCloseTo(0.65, within(1e-12));
    }

    @Test
    void runIsConclusiveWhileBaselineSamplesStayWithinTwice() {
        PairedRun.Summary s = PairedRun.summarize(new double[] {100, 200, 150}, new double[] {1, 1, 1});
        assertThat(s.baselineSpread()).isCloseTo(2.0, within(1e-12));
        assertThat(s.inconclusive()).isFalse();
    }

    @Test
    void runIsInconclusiveWhenBaselineSamplesDifferByMoreThanTwice() {
        PairedRun.Summary s = PairedRun.summarize(new double[] {100, 201, 150}, new double[] {1, 1, 1});
        assertThat(s.inconclusive()).isTrue();
        assertThat(Report.verdictOf(s, 0.5, true)).isEqualTo(Report.Verdict.INCONCLUSIVE);
    }

    @Test
    void aZeroBaselineSampleMakesTheRunInconclusiveWithoutRatios() {
        PairedRun.Summary s = PairedRun.summarize(new double[] {100, 0}, new double[] {50, 50});
        assertThat(s.inconclusive()).isTrue();
        assertThat(s.median()).isNaN();
    }

    @Test
    void verdictComparesTheMedianWithTheTargetInTheRightDirection() {
        PairedRun.Summary s = PairedRun.summarize(new double[] {100, 100, 100}, new double[] {50, 60, 70});
        assertThat(Report.verdictOf(s, 0.5, true)).isEqualTo(Report.Verdict.PASS);
        assertThat(Report.verdictOf(s, 0.7, true)).isEqualTo(Report.Verdict.BELOW_TARGET);
        assertThat(Report.verdictOf(s, 0.7, false)).isEqualTo(Report.Verdict.PASS);
        assertThat(Report.verdictOf(s, 0.5, false)).isEqualTo(Report.Verdict.BELOW_TARGET);
        assertThat(Report.verdictOf(s, Double.NaN, true)).isEqualTo(Report.Verdict.NO_TARGET);
    }

    @Test
    void summarizeRefusesUnpairedSamples() {
        assertThatThrownBy(() -> PairedRun.summarize(new double[] {1, 2}, new double[] {1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("same");
        assertThatThrownBy(() -> PairedRun.summarize(new double[0], new double[0]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void alternateRunsTheBaselineThenTheSutInEveryPair() throws Exception {
        List<String> calls = new ArrayList<>();
        List<PairedRun.Pair<String>> printed = new ArrayList<>();
        List<PairedRun.Pair<String>> pairs = PairedRun.alternate(3,
                i -> { calls.add("B" + i); return "b" + i; },
                i -> { calls.add("S" + i); return "s" + i; },
                printed::add);
        assertThat(calls).containsExactly("B1", "S1", "B2", "S2", "B3", "S3");
        assertThat(pairs).containsExactly(new PairedRun.Pair<>(1, "b1", "s1"), new PairedRun.Pair<>(2, "b2", "s2"),
                new PairedRun.Pair<>(3, "b3", "s3"));
        assertThat(printed).isEqualTo(pairs);
    }

    @Test
    void orderRunsTheSidesForwardInOddPairsAndBackwardInEvenOnes() {
        assertThat(PairedRun.order(1, 3)).containsExactly(0, 1, 2);
        assertThat(PairedRun.order(2, 3)).containsExactly(2, 1, 0);
        assertThat(PairedRun.order(3, 3)).containsExactly(0, 1, 2);
        assertThat(PairedRun.order(4, 2)).containsExactly(1, 0);
        assertThat(PairedRun.order(2, 1)).containsExactly(0);
        assertThatThrownBy(() -> PairedRun.order(0, 3)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void alternateNeedsAtLeastOnePair() {
        assertThatThrownBy(() -> PairedRun.alternate(0, i -> 1, i -> 1, p -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one pair");
    }
}
