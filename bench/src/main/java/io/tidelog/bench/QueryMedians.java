package io.tidelog.bench;

import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The figures {@code query} ends with, medians over the pairs or samples of a run, in milliseconds, and the last
 * line that gives them (one JSON object, {@code null} for what was not measured).
 *
 * @param ratio      median of the per-pair ratios search / raw scan
 * @param searchMs   median over the pairs of each pair's median search time
 * @param rawScanMs  the same for the raw scan
 * @param floorMs    the same for a search of an empty collection (the round trips)
 * @param missed     reads that missed an acknowledged key
 */
record QueryMedians(double ratio, double searchMs, double rawScanMs, double floorMs, double getP50Ms,
                    double getP99Ms, double getP999Ms, double queryP50Ms, double queryP99Ms, double queryP999Ms,
                    long missed) {

    static QueryMedians of(List<PairedRun.Pair<QueryBench.Timing>> pairs, PairedRun.Summary ratio,
                           QueryBench.Reads reads) {
        List<StrongReads.Sample> r = reads.samples();
        return new QueryMedians(ratio.median(), median(pairs, p -> p.sut().p50Ms()),
                median(pairs, p -> p.baseline().p50Ms()), median(pairs, p -> p.sut().floorMs()),
                median(r, s -> s.get().p50() / 1e3), median(r, s -> s.get().p99() / 1e3),
                median(r, s -> s.get().p999() / 1e3), median(r, s -> s.query().p50() / 1e3),
                median(r, s -> s.query().p99() / 1e3), median(r, s -> s.query().p999() / 1e3), reads.missed());
    }

    /** The median of {@code metric} over {@code items}; NaN when there are none. */
    static <T> double median(List<T> items, ToDoubleFunction<T> metric) {
        if (items.isEmpty()) {
            return Double.NaN;
        }
        double[] v = items.stream().mapToDouble(metric).toArray();
        Arrays.sort(v);
        return QueryBench.median(v);
    }

    /** The last line of a run. */
    String toJson() {
        return BenchJson.write(j -> j.beginObject()
                .name("search_vs_raw_scan").value(ratio)
                .name("search_ms_p50").value(searchMs)
                .name("raw_scan_ms_p50").value(rawScanMs)
                .name("strong_get_p50_ms").value(getP50Ms)
                .name("strong_get_p99_ms").value(getP99Ms)
                .name("strong_query_p50_ms").value(queryP50Ms)
                .name("strong_query_p99_ms").value(queryP99Ms)
                .name("missed_reads").value(missed)
                .endObject());
    }
}
