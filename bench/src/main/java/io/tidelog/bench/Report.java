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
        summaryLine(label, s, targetText, verdictOf(s, target, higherIsBetter));
    }

    /** One summary line as {@link #summary} prints it, for a target band: the median must lie in {@code [low, high]}. */
    void summaryWithin(String label, PairedRun.Summary s, double low, double high, String targetText) {
        summaryLine(label, s, targetText, verdictWithin(s, low, high));
    }

    private void summaryLine(String label, PairedRun.Summary s, String targetText, Verdict v) {
        line("%s: median %.3f  min %.3f  max %.3f  (%d pairs, baseline spread %.2fx)  target %s  -> %s",
                label, s.median(), s.min(), s.max(), s.pairs(), s.baselineSpread(), targetText, describe(v, s));
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

    /** As {@link #verdictOf}, for a band: {@code PASS} when the median lies in {@code [low, high]}. */
    static Verdict verdictWithin(PairedRun.Summary s, double low, double high) {
        if (s.inconclusive()) {
            return Verdict.INCONCLUSIVE;
        }
        return s.median() >= low && s.median() <= high ? Verdict.PASS : Verdict.BELOW_TARGET;
    }

    private static String describe(Verdict v, PairedRun.Summary s) {
        if (v == Verdict.INCONCLUSIVE) {
            return String.format(Locale.ROOT, "INCONCLUSIVE (baseline samples differ by %.2fx > %.0fx)",
                    s.baselineSpread(), PairedRun.INCONCLUSIVE_SPREAD);
        }
        return v.name().replace('_', ' ');
    }

    /** Writes the summary's numbers and verdict into an open JSON object. */
    static void writeJson(JsonWriter json, PairedRun.Summary s, double target, boolean higherIsBetter) throws IOException {
        writeStatistics(json, s).name("target").value(target)
                .name("verdict").value(verdictOf(s, target, higherIsBetter).name());
    }

    /** As {@link #writeJson}, for a target band {@code [low, high]}. */
    static void writeJsonWithin(JsonWriter json, PairedRun.Summary s, double low, double high) throws IOException {
        writeStatistics(json, s).name("target_low").value(low).name("target_high").value(high)
                .name("verdict").value(verdictWithin(s, low, high).name());
    }

    private static JsonWriter writeStatistics(JsonWriter json, PairedRun.Summary s) throws IOException {
        return json.name("median").value(s.median())
                .name("min").value(s.min())
                .name("max").value(s.max())
                .name("baseline_spread").value(s.baselineSpread())
                .name("inconclusive").value(s.inconclusive());
    }
}
