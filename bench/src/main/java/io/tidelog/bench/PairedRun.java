package io.tidelog.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * The A/B method of every Tidelog benchmark: samples of a baseline and of the system under test (SUT)
 * taken in alternation (baseline, SUT, baseline, SUT, ...) in one run, on the same machine state, and
 * judged by the median of the per-pair ratios with its minimum and maximum.
 *
 * <p>Why pairs: this machine is shared and noisy (fdatasync p99 moves by 20x when a neighbour starts).
 * Absolute numbers drift between runs, but a baseline and a SUT sample taken seconds apart see the same
 * neighbour, so their ratio is stable. When the baseline itself moves by more than
 * {@value #INCONCLUSIVE_SPREAD}x within one run, the noise is larger than any effect we could claim
 * and the run is marked inconclusive: neither pass nor fail.
 */
final class PairedRun {
    /** Largest tolerated max/min ratio of the baseline samples of one run. */
    static final double INCONCLUSIVE_SPREAD = 2.0;
    /** Whether standard input and output are a terminal: only then is a progress line drawn (never into a file). */
    private static final boolean TERMINAL = System.console() != null;

    private PairedRun() {
    }

    /** Takes one sample of one side; {@code pair} counts from 1. */
    @FunctionalInterface
    interface Sample<M> {
        M measure(int pair) throws Exception;
    }

    /** One baseline sample and the SUT sample taken right after it. */
    record Pair<M>(int index, M baseline, M sut) {
    }

    /**
     * Runs {@code pairs} pairs, each the baseline first and then the SUT, handing every finished pair to
     * {@code onPair} (to print it while the run goes on).
     */
    static <M> List<Pair<M>> alternate(int pairs, Sample<M> baseline, Sample<M> sut, Consumer<Pair<M>> onPair)
            throws Exception {
        if (pairs < 1) {
            throw new IllegalArgumentException("at least one pair is needed, got " + pairs);
        }
        List<Pair<M>> out = new ArrayList<>(pairs);
        for (int i = 1; i <= pairs; i++) {
            progress(i, pairs, "baseline");
            M b = baseline.measure(i);
            progress(i, pairs, "system under test");
            M s = sut.measure(i);
            progressDone();
            Pair<M> p = new Pair<>(i, b, s);
            out.add(p);
            onPair.accept(p);
        }
        return out;
    }

    /**
     * At a terminal, rewrites the progress line on standard error: which pair of how many, and which side measures
     * now. Erased by {@link #progressDone()} before a result line is printed.
     */
    static void progress(int pair, int pairs, String side) {
        if (TERMINAL) {
            System.err.print("\r\033[K  [pair " + pair + "/" + pairs + "] measuring " + side + " ...");
            System.err.flush();
        }
    }

    /** Erases the progress line, if one was drawn. */
    static void progressDone() {
        if (TERMINAL) {
            System.err.print("\r\033[K");
            System.err.flush();
        }
    }

    /**
     * The order in which pair {@code pair} (counting from 1) measures {@code sides} sides back to back, as indexes:
     * {@code 0, 1, ..., sides - 1} in odd pairs and the reverse in even ones, so that no side always goes first (and
     * none always runs right after a disk-heavy other).
     */
    static List<Integer> order(int pair, int sides) {
        if (pair < 1 || sides < 1) {
            throw new IllegalArgumentException("pairs count from 1 and need a side, got pair " + pair + " of "
                    + sides + " sides");
        }
        List<Integer> out = new ArrayList<>(sides);
        for (int i = 0; i < sides; i++) {
            out.add(pair % 2 == 1 ? i : sides - 1 - i);
        }
        return out;
    }

    /**
     * The ratio statistics of one metric. {@code ratio = sut / baseline} per pair.
     *
     * @param median         median of the per-pair ratios (mean of the middle two for an even count)
     * @param min            smallest per-pair ratio
     * @param max            largest per-pair ratio
     * @param baselineSpread largest baseline sample divided by the smallest; infinite when one is zero
     * @param pairs          number of pairs
     */
    record Summary(double median, double min, double max, double baselineSpread, int pairs) {

        /** The baseline moved more than {@link #INCONCLUSIVE_SPREAD}x within the run (or was unusable). */
        boolean inconclusive() {
            return !(baselineSpread <= INCONCLUSIVE_SPREAD);
        }
    }

    /** Ratio statistics of paired values: {@code baseline[i]} and {@code sut[i]} come from pair i. */
    static Summary summarize(double[] baseline, double[] sut) {
        if (baseline.length != sut.length || baseline.length == 0) {
            throw new IllegalArgumentException("need the same, non-zero number of baseline and SUT samples, got "
                    + baseline.length + " and " + sut.length);
        }
        int n = baseline.length;
        double[] ratios = new double[n];
        double bMin = Double.POSITIVE_INFINITY;
        double bMax = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            ratios[i] = baseline[i] > 0 ? sut[i] / baseline[i] : Double.NaN;
            bMin = Math.min(bMin, baseline[i]);
            bMax = Math.max(bMax, baseline[i]);
        }
        double spread = bMin > 0 ? bMax / bMin : Double.POSITIVE_INFINITY;
        if (Arrays.stream(ratios).anyMatch(Double::isNaN)) {
            return new Summary(Double.NaN, Double.NaN, Double.NaN, spread, n);
        }
        Arrays.sort(ratios);
        double median = n % 2 == 1 ? ratios[n / 2] : (ratios[n / 2 - 1] + ratios[n / 2]) / 2;
        return new Summary(median, ratios[0], ratios[n - 1], spread, n);
    }

    /** Shorthand: the values {@code metric} picks from each pair's baseline and SUT. */
    static <M> Summary summarize(List<Pair<M>> pairs, java.util.function.ToDoubleFunction<M> metric) {
        double[] b = pairs.stream().mapToDouble(p -> metric.applyAsDouble(p.baseline())).toArray();
        double[] s = pairs.stream().mapToDouble(p -> metric.applyAsDouble(p.sut())).toArray();
        return summarize(b, s);
    }
}
