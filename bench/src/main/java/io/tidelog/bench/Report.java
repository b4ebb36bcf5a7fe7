package io.tidelog.bench;

import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * The human-readable side of a benchmark's output: header, machine facts, ratio lines and verdicts.
 * Every line is flushed at once so that a long run shows its progress.
 */
final class Report {
    private final PrintWriter out;

    Report(PrintWriter out) {
        this.out = out;
    }

    /** Prints a formatted line ({@link Locale#ROOT}, so decimal points are dots everywhere). */
    void line(String format, Object... args) {
        out.println(String.format(Locale.ROOT, format, args));
        out.flush();
    }

    void header(String title, MachineFacts facts, String... settings) {
        line("== tidelog bench %s ==", title);
        facts.lines().forEach(this::line);
        for (String s : settings) {
            line("%s", s);
        }
    }

    /**
     * One summary line: the ratio statistics of a metric, the target beside them and the verdict.
     *
     * @param target         the value the median must reach, or {@code NaN} for none
     * @param higherIsBetter whether the median must be at least (true) or at most (false) the target
     * @param targetText     how the target reads, e.g. {@code ">= 0.50x (issue), goal >= 0.70x"}
     */
    void summary(String label, PairedRun.Summary s, double target, boolean higherIsBetter, String targetText) {
        line("%s: median %.3f  min %.3f  max %.3f  (%d pairs, baseline spread %.2fx)  target %s  -> %s",
                label, s.median(), s.min(), s.max(), s.pairs(), s.baselineSpread(), targetText,
                verdict(s, target, higherIsBetter));
    }

    /** The outcome of one ratio against its target. */
    enum Verdict {
        PASS, BELOW_TARGET, INCONCLUSIVE, NO_TARGET
    }

    /**
     * {@code INCONCLUSIVE} when the baseline moved more than 2x within the run; otherwise {@code PASS} or
     * {@code BELOW_TARGET} against the target, or {@code NO_TARGET}.
     */
    static Verdict verdictOf(PairedRun.Summary s, double target, boolean higherIsBetter) {
        if (s.inconclusive()) {
            return Verdict.INCONCLUSIVE;
        }
        if (Double.isNaN(target)) {
            return Verdict.NO_TARGET;
        }
        boolean met = higherIsBetter ? s.median() >= target : s.median() <= target;
        return met ? Verdict.PASS : Verdict.BELOW_TARGET;
    }

    static String verdict(PairedRun.Summary s, double target, boolean higherIsBetter) {
        Verdict v = verdictOf(s, target, higherIsBetter);
        if (v == Verdict.INCONCLUSIVE) {
            return String.format(Locale.ROOT, "INCONCLUSIVE (baseline samples differ by %.2fx > %.0fx)",
                    s.baselineSpread(), PairedRun.INCONCLUSIVE_SPREAD);
        }
        return v.name().replace('_', ' ');
    }

    /** Writes the summary's numbers and verdict into an open JSON object. */
    static void writeJson(JsonWriter json, PairedRun.Summary s, double target, boolean higherIsBetter) throws IOException {
        json.name("median").value(s.median())
                .name("min").value(s.min())
                .name("max").value(s.max())
                .name("baseline_spread").value(s.baselineSpread())
                .name("inconclusive").value(s.inconclusive())
                .name("target").value(target)
                .name("verdict").value(verdictOf(s, target, higherIsBetter).name());
    }
}
