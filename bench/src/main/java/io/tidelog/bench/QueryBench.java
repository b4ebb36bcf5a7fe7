package io.tidelog.bench;

import io.tidelog.client.CollectionDescription;
import io.tidelog.client.Consistency;
import io.tidelog.client.Metric;
import io.tidelog.client.QueryOptions;
import io.tidelog.client.SearchHit;
import io.tidelog.client.StreamingClient;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Queries on fresh data (issue 14's bench), on one warmed, long-lived {@code tidelog standalone}
 * ({@link ServerUnderTest}) driven by the Java client, in two parts side by side in one run.
 *
 * <p><b>Exact search vs a raw scan.</b> A collection of {@code --rows} rows (INT64 key, {@code --dim}-d FLOAT_VECTOR,
 * seeded random vectors; {@link SearchedCollection}) half sealed (flushed and read back from Parquet) and half
 * growing. Pairs alternate the baseline, {@link RawScan} over a plain {@code float[]} of the same rows in the bench JVM,
 * and the system under test, {@code queries().search(..., topK, L2, EVENTUALLY)}; each side's sample is the median
 * time of the same {@code --queries} query vectors, and the ratio search / raw scan per pair is judged by its median
 * against the target (at most 1.5), {@code INCONCLUSIVE} when the raw scan moved more than 2x. Every answer of
 * the server is checked against the raw scan's, id for id (ties by key ascending): a wrong answer fails the run.
 *
 * <p><b>STRONG reads while ingesting.</b> An {@link IngestLoad} inserts into a fresh collection at {@code
 * --ingest-rate} while {@link StrongReads} gets the key acknowledged last and queries a filter around it, at {@code
 * --read-rate}, for {@code --pairs} samples of {@code --read-seconds}: p50/p99/p99.9 per kind, and reads that missed
 * an acknowledged key, which fail the run.
 *
 * <p>The last output line is one JSON object of the medians; the exit status is 1 after a run with misses.
 */
@Command(name = "query", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Queries on fresh data against a warmed tidelog standalone: exact top-k L2 search over a"
                + " collection half sealed (read back from Parquet) and half growing vs a raw single-pass scan of the"
                + " same rows in a plain float[] (A/B pairs; ratio of the medians, target <= 1.5x; answers checked id"
                + " for id), and STRONG get and filter-query latency while a producer inserts at a fixed rate (misses"
                + " of acknowledged keys fail the run). The last line is a JSON object of the medians."})
final class QueryBench implements Callable<Integer> {
    /** The target: search time at most this multiple of the raw scan's. */
    static final double TARGET = 1.5;
    static final String SEARCHED = "bench_searched";
    static final String EMPTY = "bench_empty";
    static final String INGESTED = "bench_ingest";
    /** Set for the server unless {@code -P} says otherwise: the growing half must not be sealed by size. */
    static final Map<String, String> SERVER_DEFAULTS = Map.of("shard.segment.max.bytes", "1GiB");
    private static final Pattern HEAP = Pattern.compile("\\d+[kKmMgG]?");
    private static final long SEARCH_TIMEOUT_SECONDS = 120;
    private static final long FIRST_ACK_TIMEOUT_SECONDS = 60;

    @Spec
    CommandSpec spec;

    @Option(names = "--dir", paramLabel = "DIR",
            description = "Directory to benchmark in (the server's data); a private sub-directory is created there and"
                    + " removed at the end (default: the system temporary directory).")
    java.nio.file.Path dir;

    @Option(names = "--pairs", defaultValue = "5", paramLabel = "N",
            description = "Raw scan/search pairs, and samples of STRONG reads; at least 5 for a result to quote"
                    + " (default: ${DEFAULT-VALUE}).")
    int pairs;

    @Option(names = "--rows", defaultValue = "1000000", paramLabel = "N",
            description = "Rows of the searched collection, half sealed and half growing (default: ${DEFAULT-VALUE}).")
    int rows;

    @Option(names = "--dim", defaultValue = "128", paramLabel = "D",
            description = "Dimension of the vectors (default: ${DEFAULT-VALUE}).")
    int dim;

    @Option(names = "--shards", defaultValue = "1", paramLabel = "S",
            description = "Shards (vchannels) of the searched collection; one is searched by one query thread, as the"
                    + " raw scan runs on one (default: ${DEFAULT-VALUE}).")
    int shards;

    @Option(names = "--batch", defaultValue = "5000", paramLabel = "ROWS",
            description = "Rows per insert while loading the searched collection (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--queries", defaultValue = "20", paramLabel = "N",
            description = "Query vectors; each sample of either side times all of them and keeps the median (default:"
                    + " ${DEFAULT-VALUE}).")
    int queries;

    @Option(names = "--top-k", defaultValue = "10", paramLabel = "K",
            description = "Top-k of every search (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--seed", paramLabel = "SEED",
            description = "Seed of every vector (default: a new one, printed).")
    Long seed;

    @Option(names = "--warmup-seconds", defaultValue = "10", paramLabel = "S",
            description = "Searches and raw scans of the query vectors before the pairs, discarded; at least one round"
                    + " (default: ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Option(names = "--ingest-rate", defaultValue = "2000", paramLabel = "ROWS",
            description = "Rows per second the producer inserts while STRONG reads run (default: ${DEFAULT-VALUE}).")
    long ingestRate;

    @Option(names = "--ingest-batch", defaultValue = "20", paramLabel = "ROWS",
            description = "Rows per insert of the producer; divides --ingest-rate (default: ${DEFAULT-VALUE}).")
    int ingestBatch;

    @Option(names = "--read-rate", defaultValue = "200", paramLabel = "OPS",
            description = "STRONG reads per second, gets and filter queries alternately (default: ${DEFAULT-VALUE}).")
    long readRate;

    @Option(names = "--read-seconds", defaultValue = "4", paramLabel = "S",
            description = "Measured seconds of each sample of STRONG reads (default: ${DEFAULT-VALUE}).")
    double readSeconds;

    @Option(names = "--settle-seconds", defaultValue = "3", paramLabel = "S",
            description = "Reads and ingest run before the first sample of STRONG reads, discarded (default:"
                    + " ${DEFAULT-VALUE}).")
    double settleSeconds;

    @Option(names = "--server-heap", defaultValue = "3g", paramLabel = "SIZE",
            description = "-Xmx of the server, before BENCH_SERVER_JAVA_OPTS (default: ${DEFAULT-VALUE}: 1 M rows of"
                    + " 128-d are 512 MB in one copy, and the server holds growing rows twice).")
    String serverHeap;

    @Option(names = {"-P", "--property"}, paramLabel = "KEY=VALUE",
            description = "Server property, repeatable: any key of tidelog standalone (the bench sets"
                    + " shard.segment.max.bytes=1GiB unless given).")
    Map<String, String> properties = new LinkedHashMap<>();

    @Option(names = "--json", description = "Also print the run's JSON summary line, before the line of the medians.")
    boolean json;

    /**
     * One side's sample: the times of the query vectors, in milliseconds.
     *
     * @param floorMs SUT only: median time of the same searches on an empty collection (the round trips), else NaN
     */
    record Timing(double p50Ms, double minMs, double maxMs, double floorMs) {
        static Timing of(double[] millis, double floorMs) {
            double[] s = millis.clone();
            Arrays.sort(s);
            return new Timing(median(s), s[0], s[s.length - 1], floorMs);
        }
    }

    @Override
    public Integer call() throws Exception {
        validate();
        long runSeed = seed != null ? seed : new SplittableRandom().nextLong();
        Report report = new Report(spec.commandLine().getOut());
        float[] vectors = SeededVectors.rows(runSeed, rows, dim);
        float[][] queryVectors = SeededVectors.queries(runSeed, queries, dim);
        RawScan raw = new RawScan(vectors, dim);
        MachineFacts facts;
        SearchedCollection.Loaded loaded;
        List<PairedRun.Pair<Timing>> searchPairs;
        Reads reads;
        try (WorkDir work = WorkDir.create(dir)) {
            facts = MachineFacts.probe(work.path());
            Map<String, String> p = new LinkedHashMap<>(SERVER_DEFAULTS);
            p.putAll(properties);
            ServerUnderTest sut = new ServerUnderTest(p, work, 1 << 20, List.of("-Xmx" + serverHeap));
            header(report, facts, sut, runSeed);
            try (ServerUnderTest.Started server = sut.start("query", 1);
                 SegmentProbe probe = new SegmentProbe(server.address())) {
                StreamingClient client = server.client();
                loaded = SearchedCollection.load(client, probe, SEARCHED, vectors, dim, shards, batch);
                printLoad(report, loaded);
                client.collections().createBlocking(EMPTY, SearchedCollection.schema(dim), shards);
                searchPairs = searchPairs(report, client, raw, queryVectors);
                reads = strongReads(report, client, runSeed);
            }
        }
        PairedRun.Summary ratio = PairedRun.summarize(searchPairs, Timing::p50Ms);
        QueryMedians medians = QueryMedians.of(searchPairs, ratio, reads);
        summarize(report, medians, ratio, reads);
        if (json) {
            spec.commandLine().getOut().println(json(runSeed, facts, loaded, searchPairs, ratio, reads));
        }
        spec.commandLine().getOut().println(medians.toJson());
        spec.commandLine().getOut().flush();
        if (reads.missed() > 0) {
            spec.commandLine().getErr().println("error: " + reads.missed() + " STRONG read(s) missed a key"
                    + " acknowledged before they were sent; the first: " + reads.firstMiss());
            spec.commandLine().getErr().flush();
            return 1;
        }
        return 0;
    }

    void validate() {
        List<String> wrong = new ArrayList<>();
        if (pairs < 1 || queries < 1) {
            wrong.add("--pairs and --queries must be at least 1");
        }
        if (dim < 1 || dim > 32768) {
            wrong.add("--dim must lie in [1, 32768], got " + dim);
        } else if (rows < 2 || rows > (Integer.MAX_VALUE - 16) / dim) {
            wrong.add("--rows must lie in [2, " + (Integer.MAX_VALUE - 16) / dim + "] (one float[] in the bench JVM),"
                    + " got " + rows);
        }
        if (topK < 1 || topK > Math.min(rows, 16384)) {
            wrong.add("--top-k must lie in [1, min(--rows, 16384)], got " + topK);
        }
        if (shards < 1 || batch < 1 || (long) batch * (4L * dim + 16) > 6L << 20) {
            wrong.add("--shards must be at least 1, and --batch rows in [1, 6 MiB of rows] (an insert is one message"
                    + " of at most message.max.bytes, 8 MiB)");
        }
        if (!(warmupSeconds >= 0) || !(settleSeconds >= 0) || !(readSeconds > 0)) {
            wrong.add("--warmup-seconds and --settle-seconds must be >= 0, --read-seconds positive");
        }
        if (ingestBatch < 1 || ingestRate < ingestBatch || ingestRate % ingestBatch != 0) {
            wrong.add("--ingest-batch must divide --ingest-rate, got " + ingestBatch + " and " + ingestRate);
        }
        if (readRate < 2 || OpenLoop.operationsIn(Math.max(readSeconds, settleSeconds), readRate) > 10_000_000) {
            wrong.add("--read-rate must be at least 2, and --read-rate x --read-seconds at most 10,000,000");
        }
        if (!HEAP.matcher(serverHeap).matches()) {
            wrong.add("--server-heap is a size as -Xmx takes it (e.g. 3g, 1536m), got " + serverHeap);
        }
        properties.keySet().stream().filter(GrpcOptions.CHOSEN_BY_BENCH::contains).findFirst().ifPresent(k ->
                wrong.add(k + " is chosen by the bench (a fresh data directory, loopback, an ephemeral port, one"
                        + " pchannel); use --dir to say where"));
        if (!wrong.isEmpty()) {
            throw new ParameterException(spec.commandLine(), String.join("; ", wrong));
        }
    }

    private void header(Report report, MachineFacts facts, ServerUnderTest sut, long runSeed) {
        report.header("query", facts,
                "server:  " + sut.describe(1) + ", -Xmx" + serverHeap + " (then BENCH_SERVER_JAVA_OPTS); one server"
                        + " and one StreamingClient for the run",
                String.format(Locale.ROOT, "search:  %d rows (INT64 key, %d-d FLOAT_VECTOR, uniform [0,1) components,"
                        + " seed %d) in %d shard(s), inserted %d per insert; the first half flushed and read back"
                        + " (sealed), the second half growing; top-%d L2, EVENTUALLY, %d query vectors per sample,"
                        + " median; %d pairs after %.1fs of warm-up", rows, dim, runSeed, shards, batch, topK, queries,
                        pairs, warmupSeconds),
                String.format(Locale.ROOT, "raw:     one pass over a plain float[] of the same rows in the bench JVM"
                        + " (one thread, four partial sums, bounded top-%d, ties by key)", topK),
                String.format(Locale.ROOT, "strong:  %d rows/s in inserts of %d into a fresh collection; STRONG gets of"
                        + " the key acknowledged last and filter queries (%s) alternately, open loop %d/s, %d samples"
                        + " of %.1fs after %.1fs; latency from the intended send time", ingestRate, ingestBatch,
                        StrongReads.filterText("k"), readRate, pairs,
                        readSeconds, settleSeconds),
                "units:   milliseconds; ratio = search time / raw scan time, per pair");
    }

    private static void printLoad(Report report, SearchedCollection.Loaded l) {
        report.line("loaded:  %d rows in %.1fs (%.0f rows/s): first half %.1fs, flush %.1fs, read back %.1fs, second"
                        + " half %.1fs; answered from %d sealed and %d growing segment(s)", l.rows(),
                l.firstHalfSeconds() + l.secondHalfSeconds(), l.insertRowsPerSecond(), l.firstHalfSeconds(),
                l.flushSeconds(), l.readBackSeconds(), l.secondHalfSeconds(), l.segments().sealed(),
                l.segments().growing());
        if (l.segments().growing() == 0) {
            report.line("warning: no growing segment is left (a seal policy sealed the second half); raise"
                    + " -P shard.segment.max.bytes");
        }
    }

    // ------------------------------------------------------------------ search vs raw scan

    private List<PairedRun.Pair<Timing>> searchPairs(Report report, StreamingClient client, RawScan raw,
                                                     float[][] queryVectors) throws Exception {
        long[][] expected = new long[queryVectors.length][];
        float[][] expectedDistances = new float[queryVectors.length][];
        for (int i = 0; i < queryVectors.length; i++) {
            NearestK n = raw.nearest(queryVectors[i], topK);
            expected[i] = n.keys();
            expectedDistances[i] = n.distances();
        }
        AnswerCheck check = new AnswerCheck(expected, expectedDistances);
        for (int i = 0; i < queryVectors.length; i++) { // STRONG once: every row loaded is applied before the pairs
            check.check(i, search(client, SEARCHED, queryVectors[i], Consistency.STRONG), "warm-up");
        }
        long warmEnd = System.nanoTime() + RunOptions.nanos(warmupSeconds);
        int rounds = 0;
        do {
            rawSample(raw, queryVectors, check);
            searchSample(client, queryVectors, check, "warm-up");
            rounds++;
        } while (System.nanoTime() - warmEnd < 0);
        report.line("warm-up (discarded): %d round(s) of %d raw scans and %d searches", rounds, queries, queries);
        report.line("");
        report.line("%4s | %9s %9s %9s | %9s %9s %9s %9s | %7s", "pair", "raw p50", "min", "max", "search p50",
                "min", "max", "floor", "ratio");
        return PairedRun.alternate(pairs, i -> rawSample(raw, queryVectors, check),
                i -> searchSample(client, queryVectors, check, "pair " + i),
                p -> report.line("%4d | %9.2f %9.2f %9.2f | %9.2f %9.2f %9.2f %9.2f | %7.3f", p.index(),
                        p.baseline().p50Ms(), p.baseline().minMs(), p.baseline().maxMs(), p.sut().p50Ms(),
                        p.sut().minMs(), p.sut().maxMs(), p.sut().floorMs(), p.sut().p50Ms() / p.baseline().p50Ms()));
    }

    private Timing rawSample(RawScan raw, float[][] queryVectors, AnswerCheck check) {
        double[] ms = new double[queryVectors.length];
        for (int i = 0; i < queryVectors.length; i++) {
            long t0 = System.nanoTime();
            NearestK n = raw.nearest(queryVectors[i], topK);
            ms[i] = (System.nanoTime() - t0) / 1e6;
            check.checkRaw(i, n);
        }
        return Timing.of(ms, Double.NaN);
    }

    private Timing searchSample(StreamingClient client, float[][] queryVectors, AnswerCheck check, String when)
            throws Exception {
        double[] ms = new double[queryVectors.length];
        double[] floor = new double[queryVectors.length];
        for (int i = 0; i < queryVectors.length; i++) {
            long t0 = System.nanoTime();
            List<SearchHit> hits = search(client, SEARCHED, queryVectors[i], Consistency.EVENTUALLY);
            ms[i] = (System.nanoTime() - t0) / 1e6;
            check.check(i, hits, when);
        }
        for (int i = 0; i < queryVectors.length; i++) {
            long t0 = System.nanoTime();
            search(client, EMPTY, queryVectors[i], Consistency.EVENTUALLY);
            floor[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(floor);
        return Timing.of(ms, median(floor));
    }

    private List<SearchHit> search(StreamingClient client, String collection, float[] vector, Consistency level)
            throws Exception {
        return client.queries().search(collection, SearchedCollection.VECTOR, vector, topK, Metric.L2,
                QueryOptions.defaults().withConsistency(level)).get(SEARCH_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    // ------------------------------------------------------------------ STRONG reads while ingesting

    /**
     * The STRONG reads of a run.
     *
     * @param samples   the measured samples
     * @param missed    misses of every sample, the discarded settle included
     * @param firstMiss the first miss described, or null
     */
    record Reads(List<StrongReads.Sample> samples, long missed, String firstMiss) {
    }

    private Reads strongReads(Report report, StreamingClient client, long runSeed) throws Exception {
        CollectionDescription c = client.collections().createBlocking(INGESTED, SearchedCollection.schema(dim), 1);
        List<StrongReads.Sample> all = new ArrayList<>();
        List<StrongReads.Sample> measured = new ArrayList<>();
        report.line("");
        report.line("%6s | %7s %8s %8s | %8s %8s %8s %8s | %8s %8s %8s %8s | %6s", "sample", "rows/s", "ins p50",
                "p99", "get p50", "p99", "p99.9", "max", "qry p50", "p99", "p99.9", "max", "missed");
        try (IngestLoad ingest = new IngestLoad(client, c, dim, ingestRate / ingestBatch, ingestBatch,
                SeededVectors.ingest(runSeed), 0)) {
            ingest.start();
            awaitFirstAck(ingest);
            if (settleSeconds > 0) {
                StrongReads.Sample s = StrongReads.run(client.queries(), INGESTED, ingest, readRate, settleSeconds);
                printReads(report, "settle", s);
                all.add(s);
            }
            for (int i = 1; i <= pairs; i++) {
                StrongReads.Sample s = StrongReads.run(client.queries(), INGESTED, ingest, readRate, readSeconds);
                printReads(report, Integer.toString(i), s);
                all.add(s);
                measured.add(s);
            }
        }
        return new Reads(measured, all.stream().mapToLong(StrongReads.Sample::missed).sum(),
                all.stream().map(StrongReads.Sample::firstMiss).filter(m -> m != null).findFirst().orElse(null));
    }

    private static void awaitFirstAck(IngestLoad ingest) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(FIRST_ACK_TIMEOUT_SECONDS);
        while (ingest.acknowledgedKey() < 0) {
            ingest.check();
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("the ingest's first insert was not acknowledged within "
                        + FIRST_ACK_TIMEOUT_SECONDS + " s");
            }
            Thread.sleep(5);
        }
    }

    private static void printReads(Report report, String label, StrongReads.Sample s) {
        report.line("%6s | %7.0f %8.2f %8.2f | %8.2f %8.2f %8.2f %8.2f | %8.2f %8.2f %8.2f %8.2f | %6d", label,
                s.ingestRows(), ms(s.ingest().p50()), ms(s.ingest().p99()), ms(s.get().p50()), ms(s.get().p99()),
                ms(s.get().p999()), ms(s.get().max()), ms(s.query().p50()), ms(s.query().p99()), ms(s.query().p999()),
                ms(s.query().max()), s.missed());
        if (s.firstMiss() != null) {
            report.line("       MISSED: %s", s.firstMiss());
        }
    }

    // ------------------------------------------------------------------ summary

    private static void summarize(Report report, QueryMedians m, PairedRun.Summary ratio, Reads reads) {
        report.line("");
        report.line("search p50 %.2f ms, raw scan p50 %.2f ms (medians over the pairs); round trips (a search of an"
                + " empty collection) %.2f ms", m.searchMs(), m.rawScanMs(), m.floorMs());
        report.summary("ratio search/raw-scan time", ratio, TARGET, false,
                String.format(Locale.ROOT, "<= %.2fx (issue)", TARGET));
        report.line("STRONG get   (median of %d samples): p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms",
                reads.samples().size(), m.getP50Ms(), m.getP99Ms(), m.getP999Ms());
        report.line("STRONG query (median of %d samples): p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms",
                reads.samples().size(), m.queryP50Ms(), m.queryP99Ms(), m.queryP999Ms());
        report.line("missed reads (a key acknowledged before a STRONG read was sent, not in its answer; settle"
                + " included): %d  -> %s", reads.missed(), reads.missed() == 0 ? "PASS" : "FAIL");
    }

    /** Microseconds as milliseconds. */
    static double ms(double micros) {
        return micros / 1e3;
    }

    // ------------------------------------------------------------------ JSON

    private String json(long runSeed, MachineFacts facts, SearchedCollection.Loaded loaded,
                        List<PairedRun.Pair<Timing>> searchPairs, PairedRun.Summary ratio, Reads reads) {
        return BenchJson.write(j -> {
            j.beginObject()
                    .name("bench").value("query")
                    .name("rows").value(rows)
                    .name("dim").value(dim)
                    .name("shards").value(shards)
                    .name("top_k").value(topK)
                    .name("queries").value(queries)
                    .name("seed").value(runSeed)
                    .name("ingest_rate").value(ingestRate)
                    .name("read_rate").value(readRate)
                    .name("machine");
            facts.writeJson(j);
            j.name("load").beginObject()
                    .name("insert_rows_s").value(loaded.insertRowsPerSecond())
                    .name("flush_s").value(loaded.flushSeconds())
                    .name("read_back_s").value(loaded.readBackSeconds())
                    .name("sealed_segments").value(loaded.segments().sealed())
                    .name("growing_segments").value(loaded.segments().growing())
                    .endObject();
            j.name("results").beginArray().beginObject().name("metric").value("search_vs_raw_scan");
            Report.writeJson(j, ratio, TARGET, false);
            j.endObject().endArray();
            j.name("pairs").beginArray();
            for (PairedRun.Pair<Timing> p : searchPairs) {
                j.beginObject().name("pair").value(p.index())
                        .name("raw_scan_ms_p50").value(p.baseline().p50Ms())
                        .name("search_ms_p50").value(p.sut().p50Ms())
                        .name("search_ms_min").value(p.sut().minMs())
                        .name("search_ms_max").value(p.sut().maxMs())
                        .name("empty_search_ms_p50").value(p.sut().floorMs())
                        .endObject();
            }
            j.endArray().name("strong").beginArray();
            for (StrongReads.Sample s : reads.samples()) {
                j.beginObject()
                        .name("ingest_rows_s").value(s.ingestRows())
                        .name("get_count").value(s.get().count())
                        .name("get_p50_ms").value(ms(s.get().p50()))
                        .name("get_p99_ms").value(ms(s.get().p99()))
                        .name("get_p999_ms").value(ms(s.get().p999()))
                        .name("query_count").value(s.query().count())
                        .name("query_p50_ms").value(ms(s.query().p50()))
                        .name("query_p99_ms").value(ms(s.query().p99()))
                        .name("query_p999_ms").value(ms(s.query().p999()))
                        .name("missed").value(s.missed())
                        .endObject();
            }
            j.endArray().name("missed_reads").value(reads.missed()).endObject();
        });
    }

    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
