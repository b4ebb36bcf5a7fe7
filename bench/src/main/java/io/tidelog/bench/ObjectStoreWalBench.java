package io.tidelog.bench;

import com.google.gson.stream.JsonWriter;
import io.tidelog.common.StreamingException;
import io.tidelog.node.AppendResult;
import io.tidelog.node.NodeConfig;
import io.tidelog.node.StreamingWal;
import io.tidelog.node.WalManager;
import io.tidelog.node.shard.ShardConfig;
import io.tidelog.tso.TimestampAllocator;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.Wal;
import io.tidelog.wal.objectstore.ObjectStoreWalBackend;
import io.tidelog.wal.objectstore.ObjectStoreWalConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code objectstore} WAL backend against raw PUTs of the same objects to the same store, on a directory and
 * on S3 (s3proxy in this JVM; see {@link StoreUnderTest}), every sample on a fresh store. Three metrics per store,
 * each in its own A/B pairs:
 * <ol>
 *   <li><b>Throughput.</b> {@link WindowedAppenders} on one pchannel against {@code flush.parallelism} threads
 *       PUTting objects of {@code block.max.bytes} back to back ({@link RawPutBaseline}): the store's bandwidth
 *       at the WAL's own PUT size and concurrency. Ratio = SUT payload MB/s / raw MB/s; claim >= 0.7. The SUT's
 *       PUTs are counted, so the report shows whether its blocks filled.</li>
 *   <li><b>Latency.</b> An {@link OpenLoop} of appends at a moderate fixed rate against an open loop of single
 *       PUTs at the rate and of the mean size of the PUTs the SUT made at that rate in its warm-up (what it
 *       actually writes, not a full block). Claim: SUT p99 <= flush.interval + 2 x raw PUT p99, judged as the
 *       ratio of the two (<= 1), with INCONCLUSIVE from the spread of the raw p99s.</li>
 *   <li><b>PUTs vs vchannels.</b> A node's WAL ({@link WalManager}: {@link StreamingWal} with the node's
 *       extensions and its time ticks) over the backend, with a {@link CountingObjectStore} injected, taking the
 *       same rate of Inserts spread over 1 vchannel (baseline) or over {@code --vchannels} (SUT). Ratio = SUT
 *       PUTs/s / baseline PUTs/s; claim within 10 %.</li>
 * </ol>
 */
@Command(name = "wal-objectstore", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The objectstore WAL backend vs raw PUTs on the same store, a directory and S3 (s3proxy in this"
                + " JVM): throughput vs parallel PUTs of block.max.bytes, open-loop latency vs single PUTs of the size"
                + " it writes, and its PUTs/s under a node's WAL with 1 vs --vchannels vchannels (A/B pairs; median"
                + " ratio with min and max)."})
final class ObjectStoreWalBench implements Callable<Integer> {
    static final double THROUGHPUT_GOAL = 0.7;
    static final double LATENCY_BOUND = 1.0;
    static final double PUTS_TOLERANCE = 0.10;
    static final String PCHANNEL = "bench";
    /** The shortest warm-up of the latency SUT, whose PUTs set the raw side's rate and object size. */
    static final double CALIBRATION_SECONDS = 0.5;
    private static final String BOTH = "both";

    @Spec
    CommandSpec spec;

    @Mixin
    RunOptions run;

    @Option(names = "--store", defaultValue = BOTH, paramLabel = "KIND",
            description = "directory, s3 or both (default: ${DEFAULT-VALUE}).")
    String store;

    @Option(names = {"-P", "--property"}, paramLabel = "KEY=VALUE",
            description = "Backend property, repeatable (e.g. -P wal.objectstore.flush.interval=10ms);"
                    + " wal.objectstore.uri and the store's settings are the bench's.")
    Map<String, String> properties = new LinkedHashMap<>();

    @Option(names = "--size", defaultValue = "1KiB", converter = ByteSize.class, paramLabel = "SIZE",
            description = "Record size of the throughput and latency samples (default: ${DEFAULT-VALUE}).")
    long size;

    @Option(names = "--appenders", defaultValue = "32", paramLabel = "N",
            description = "Concurrent appender threads of the throughput samples (default: ${DEFAULT-VALUE}).")
    int appenders;

    @Option(names = "--window", defaultValue = "0", paramLabel = "N",
            description = "Outstanding appends per appender; 0 = 2 x flush.parallelism x block.max.bytes in flight in"
                    + " total, so that full blocks always wait for a PUT slot (default).")
    int window;

    @Option(names = "--rate", defaultValue = "1000", paramLabel = "OPS",
            description = "Appends per second of the latency samples, on a fixed schedule (default: ${DEFAULT-VALUE}).")
    long rate;

    @Option(names = "--vchannels", defaultValue = "1000", paramLabel = "N",
            description = "Vchannels the node's Inserts are spread over, against 1 (default: ${DEFAULT-VALUE}).")
    int vchannels;

    @Option(names = "--node-rate", defaultValue = "2000", paramLabel = "OPS",
            description = "Inserts per second into the node's WAL, on a fixed schedule (default: ${DEFAULT-VALUE}).")
    long nodeRate;

    @Option(names = "--node-rows", defaultValue = "2", paramLabel = "N",
            description = "Rows per Insert, about 530 bytes each (default: ${DEFAULT-VALUE}).")
    int nodeRows;

    @Option(names = "--pair-seconds", defaultValue = "3", paramLabel = "S",
            description = "Duration of each side of each pair, for each metric (default: ${DEFAULT-VALUE}).")
    double pairSeconds;

    private TimestampAllocator tso;
    private int nodes;

    /**
     * One throughput sample: payload bandwidth and records over the measured window; PUTs per second and their mean
     * size over the whole sample, settling included. For the raw side, records are its bandwidth in records of the
     * size.
     */
    record Throughput(double bytesPerSecond, double recordsPerSecond, double putsPerSecond, double meanPutBytes) {
        double megabytesPerSecond() {
            return bytesPerSecond / 1e6;
        }
    }

    /** One latency sample, with the PUTs made meanwhile. */
    record Latency(WalLatencyBench.Latency latency, double putsPerSecond, double meanPutBytes) {
        double p50() {
            return latency.p50();
        }

        double p99() {
            return latency.p99();
        }
    }

    /** One sample of the node's WAL: the store's PUTs and bytes per second, and the Inserts' latency. */
    record NodeSample(double putsPerSecond, double bytesPerSecond, WalLatencyBench.Latency latency) {
    }

    private record StoreResult(String store, ObjectStoreWalConfig config, int window,
                               List<PairedRun.Pair<Throughput>> throughput, PairedRun.Summary throughputRatio,
                               int rawObjectBytes, long rawPutRate, List<PairedRun.Pair<Latency>> latency,
                               PairedRun.Summary bound, PairedRun.Summary p50, PairedRun.Summary p99,
                               List<PairedRun.Pair<NodeSample>> node, PairedRun.Summary puts) {
    }

    @Override
    public Integer call() throws Exception {
        validate();
        Report report = new Report(spec.commandLine().getOut());
        List<StoreResult> results = new ArrayList<>();
        MachineFacts facts;
        try (WorkDir work = WorkDir.create(run.dir)) {
            facts = MachineFacts.probe(work.path());
            report.header("wal-objectstore", facts,
                    "backend: objectstore " + properties + " (defaults otherwise), one fresh store and pchannel per"
                            + " sample; the store seen through a counter of its PUTs",
                    String.format(Locale.ROOT, "setup:   stores %s; %d pairs x %.1fs each side of each metric, warm-up"
                            + " %.1fs, SUT settles %.1fs per sample", String.join(", ", stores()), run.pairs,
                            pairSeconds, run.warmupSeconds, run.settleSeconds),
                    "units:   MB/s = 10^6 payload bytes per second (raw: object bytes); latency in microseconds from the"
                            + " intended send time; PUT = put or conditional create, as S3 bills it");
            tso = NodeExtensions.tso(work.path().resolve("tso"));
            for (String kind : stores()) {
                try (StoreUnderTest s = kind.equals(StoreUnderTest.S3) ? StoreUnderTest.s3(work)
                        : StoreUnderTest.directory(work)) {
                    results.add(runStore(report, work, s));
                }
            }
        }
        if (run.json) {
            spec.commandLine().getOut().println(json(facts, results));
            spec.commandLine().getOut().flush();
        }
        return 0;
    }

    private List<String> stores() {
        return store.equals(BOTH) ? List.of(StoreUnderTest.DIRECTORY, StoreUnderTest.S3) : List.of(store);
    }

    private void validate() {
        run.validate(spec, pairSeconds);
        if (!List.of(StoreUnderTest.DIRECTORY, StoreUnderTest.S3, BOTH).contains(store)) {
            throw new ParameterException(spec.commandLine(), "--store must be directory, s3 or both, got '" + store + "'");
        }
        for (String k : properties.keySet()) {
            if (!k.startsWith(ObjectStoreWalConfig.PREFIX)) {
                throw new ParameterException(spec.commandLine(), k + " is not a key of the objectstore backend ("
                        + ObjectStoreWalConfig.PREFIX + "*)");
            }
            if (k.equals(ObjectStoreWalConfig.URI) || k.startsWith(ObjectStoreWalConfig.STORE_PREFIX)) {
                throw new ParameterException(spec.commandLine(), k + " is chosen by the bench (a fresh store per"
                        + " sample, on --store); use --dir to say where");
            }
        }
        for (String kind : List.of(StoreUnderTest.DIRECTORY, StoreUnderTest.S3)) {
            try {
                configOn(kind);
            } catch (StreamingException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
        }
        if (appenders < 1 || window < 0 || rate < 1 || nodeRate < 1 || nodeRows < 1 || vchannels < 1) {
            throw new ParameterException(spec.commandLine(), "--appenders, --rate, --node-rate, --node-rows and"
                    + " --vchannels must be at least 1, --window at least 0");
        }
        if (size > configOn(StoreUnderTest.DIRECTORY).maxRecordBytes()) {
            throw new ParameterException(spec.commandLine(), "--size " + ByteSize.format(size) + " exceeds "
                    + ObjectStoreWalConfig.MAX_RECORD_BYTES);
        }
    }

    /** The backend's configuration on a store of {@code kind} (the flush interval's default depends on it). */
    private ObjectStoreWalConfig configOn(String kind) {
        return configFor(kind.equals(StoreUnderTest.S3) ? "s3://bench" : "file:bench");
    }

    /** The backend's configuration on the store {@code uri} names. */
    private ObjectStoreWalConfig configFor(String uri) {
        Map<String, String> p = new LinkedHashMap<>(properties);
        p.put(ObjectStoreWalConfig.URI, uri);
        return ObjectStoreWalConfig.from(p);
    }

    private StoreResult runStore(Report report, WorkDir work, StoreUnderTest s) throws Exception {
        ObjectStoreWalConfig c = configOn(s.name());
        report.line("");
        report.line("== store %s: %s ==", s.name(), s.describe());
        report.line("wal:     block.max.bytes %s, flush.interval %d ms, flush.parallelism %d, buffer.max.bytes %s",
                ByteSize.format(c.blockMaxBytes()), c.flushInterval().toMillis(), c.flushParallelism(),
                ByteSize.format(c.bufferMaxBytes()));
        int perAppender = window > 0 ? window
                : (int) Math.max(1, Math.min(2L * c.flushParallelism() * c.blockMaxBytes(), c.bufferMaxBytes())
                        / ((long) appenders * size));
        List<PairedRun.Pair<Throughput>> tp = throughput(report, s, c, perAppender);
        PairedRun.Summary tpRatio = PairedRun.summarize(tp, Throughput::bytesPerSecond);
        report.summary("ratio objectstore/raw MB/s (" + s.name() + ")", tpRatio, THROUGHPUT_GOAL, true,
                String.format(Locale.ROOT, ">= %.2fx (claim)", THROUGHPUT_GOAL));

        ByteBuffer record = RawSyncBaseline.randomDirect((int) size);
        Latency calibration = sutLatency(s, record, Math.max(run.warmupSeconds, CALIBRATION_SECONDS));
        int objectBytes = (int) Math.max(1, Math.round(calibration.meanPutBytes()));
        long putRate = Math.max(1, Math.round(calibration.putsPerSecond()));
        List<PairedRun.Pair<Latency>> lat = latency(report, s, c, record, calibration, objectBytes, putRate);
        double intervalMicros = c.flushInterval().toNanos() / 1e3;
        PairedRun.Summary bound = boundSummary(lat, intervalMicros);
        PairedRun.Summary p50 = PairedRun.summarize(lat, Latency::p50);
        PairedRun.Summary p99 = PairedRun.summarize(lat, Latency::p99);
        report.summary("ratio objectstore/raw p50 (" + s.name() + ")", p50, Double.NaN, false, "none (context)");
        report.summary("ratio objectstore/raw p99 (" + s.name() + ")", p99, Double.NaN, false, "none (context)");
        report.summary("bound objectstore p99/(flush.interval + 2 x raw p99) (" + s.name() + ")", bound,
                LATENCY_BOUND, false, String.format(Locale.ROOT, "<= %.2f (claim: p99 <= %d ms + 2 x raw PUT p99)",
                        LATENCY_BOUND, c.flushInterval().toMillis()));

        List<PairedRun.Pair<NodeSample>> node = putsByVchannels(report, work, s);
        PairedRun.Summary puts = PairedRun.summarize(node, NodeSample::putsPerSecond);
        report.summaryWithin(String.format(Locale.ROOT, "ratio PUT/s %d/1 vchannels (%s)", vchannels, s.name()), puts,
                1 - PUTS_TOLERANCE, 1 + PUTS_TOLERANCE, String.format(Locale.ROOT, "%.2f..%.2f (claim: within %.0f %%)",
                        1 - PUTS_TOLERANCE, 1 + PUTS_TOLERANCE, PUTS_TOLERANCE * 100));
        return new StoreResult(s.name(), c, perAppender, tp, tpRatio, objectBytes, putRate, lat, bound, p50, p99,
                node, puts);
    }

    // ------------------------------------------------------------------ throughput

    private List<PairedRun.Pair<Throughput>> throughput(Report report, StoreUnderTest s, ObjectStoreWalConfig c,
                                                        int perAppender) throws Exception {
        byte[] block = RawPutBaseline.randomObject(c.blockMaxBytes());
        report.line("");
        report.line("-- throughput: %d appenders x window %d of %s records (%s in flight at most) vs %d threads"
                        + " PUTting %s objects back to back --", appenders, perAppender, ByteSize.format(size),
                ByteSize.format((long) appenders * perAppender * size), c.flushParallelism(),
                ByteSize.format(block.length));
        if (run.warmupSeconds > 0) {
            Throughput b = rawThroughput(s, block, c.flushParallelism(), run.warmupSeconds);
            Throughput w = sutThroughput(s, perAppender, run.warmupSeconds);
            report.line("warm-up (discarded): raw %.1f MB/s, objectstore %.1f MB/s", b.megabytesPerSecond(),
                    w.megabytesPerSecond());
        }
        report.line("%4s %10s %8s | %10s %10s %8s %10s | %8s", "pair", "raw MB/s", "PUT/s", "wal MB/s", "rec/s",
                "PUT/s", "mean PUT", "ratio");
        return PairedRun.alternate(run.pairs,
                i -> rawThroughput(s, block, c.flushParallelism(), pairSeconds),
                i -> sutThroughput(s, perAppender, pairSeconds),
                p -> report.line("%4d %10.1f %8.1f | %10.1f %10.0f %8.1f %10s | %8.3f", p.index(),
                        p.baseline().megabytesPerSecond(), p.baseline().putsPerSecond(), p.sut().megabytesPerSecond(),
                        p.sut().recordsPerSecond(), p.sut().putsPerSecond(), kib(p.sut().meanPutBytes()),
                        p.sut().bytesPerSecond() / p.baseline().bytesPerSecond()));
    }

    private Throughput rawThroughput(StoreUnderTest s, byte[] block, int parallel, double seconds) throws Exception {
        try (StoreUnderTest.Sample sample = s.open("raw-throughput")) {
            double bps = new RawPutBaseline(sample.store(), "raw").bytesPerSecond(block, parallel,
                    RunOptions.nanos(seconds));
            return new Throughput(bps, bps / size, bps / block.length, block.length);
        }
    }

    private Throughput sutThroughput(StoreUnderTest s, int perAppender, double seconds) throws Exception {
        try (StoreUnderTest.Sample sample = s.open("throughput");
             ObjectStoreWalBackend backend = new ObjectStoreWalBackend(configFor(sample.uri()), sample.store());
             Wal wal = backend.open(OpenOptions.readWrite(PCHANNEL, 1))) {
            CountingObjectStore.Count before = sample.store().count();
            long start = System.nanoTime();
            WindowedAppenders.Throughput t = new WindowedAppenders(wal, appenders, perAppender, (int) size)
                    .measure(RunOptions.nanos(run.settleSeconds), RunOptions.nanos(seconds));
            CountingObjectStore.Count puts = sample.store().count().since(before);
            double elapsed = (System.nanoTime() - start) / 1e9;
            return new Throughput(t.bytesPerSecond(), t.recordsPerSecond(), puts.puts() / elapsed, puts.meanBytes());
        }
    }

    // ------------------------------------------------------------------ latency

    private List<PairedRun.Pair<Latency>> latency(Report report, StoreUnderTest s, ObjectStoreWalConfig c,
                                                  ByteBuffer record, Latency calibration, int objectBytes,
                                                  long putRate) throws Exception {
        byte[] object = RawPutBaseline.randomObject(objectBytes);
        int parallel = c.flushParallelism();
        report.line("");
        report.line("-- latency: open loop %d/s of %s appends vs open loop %d/s of single PUTs of %s on up to %d"
                        + " threads: the rate and mean size of the SUT's PUTs in its warm-up (%.1fs: p99 %.1f us) --",
                rate, ByteSize.format(size), putRate, kib(objectBytes), parallel,
                Math.max(run.warmupSeconds, CALIBRATION_SECONDS), calibration.p99());
        if (run.warmupSeconds > 0) {
            Latency b = rawLatency(s, object, parallel, putRate, run.warmupSeconds);
            report.line("warm-up (discarded): raw PUT p99 %.1f us", b.p99());
        }
        report.line("%4s %7s | %9s %9s %9s | %9s %9s %9s %8s %9s | %9s %7s", "pair", "n", "raw p50", "p99", "max",
                "wal p50", "p99", "max", "PUT/s", "mean PUT", "bound", "p99/bd");
        double intervalMicros = c.flushInterval().toNanos() / 1e3;
        return PairedRun.alternate(run.pairs,
                i -> rawLatency(s, object, parallel, putRate, pairSeconds),
                i -> sutLatency(s, record, pairSeconds),
                p -> {
                    double bound = intervalMicros + 2 * p.baseline().p99();
                    report.line("%4d %7d | %9.1f %9.1f %9.1f | %9.1f %9.1f %9.1f %8.1f %9s | %9.1f %7.3f", p.index(),
                            p.sut().latency().count(), p.baseline().p50(), p.baseline().p99(),
                            p.baseline().latency().max(), p.sut().p50(), p.sut().p99(), p.sut().latency().max(),
                            p.sut().putsPerSecond(), kib(p.sut().meanPutBytes()), bound, p.sut().p99() / bound);
                });
    }

    /**
     * Per pair, SUT p99 / (flush interval + 2 x raw p99): at most 1 when the claim holds. Inconclusive by the
     * spread of the raw p99s themselves (not of the bound, which the constant interval would damp).
     */
    static PairedRun.Summary boundSummary(List<PairedRun.Pair<Latency>> pairs, double intervalMicros) {
        double[] bound = pairs.stream().mapToDouble(p -> intervalMicros + 2 * p.baseline().p99()).toArray();
        double[] sut = pairs.stream().mapToDouble(p -> p.sut().p99()).toArray();
        PairedRun.Summary s = PairedRun.summarize(bound, sut);
        PairedRun.Summary raw = PairedRun.summarize(pairs, Latency::p99);
        return new PairedRun.Summary(s.median(), s.min(), s.max(), raw.baselineSpread(), s.pairs());
    }

    private Latency rawLatency(StoreUnderTest s, byte[] object, int parallel, long putRate, double seconds)
            throws Exception {
        try (StoreUnderTest.Sample sample = s.open("raw-latency")) {
            WalLatencyBench.Latency l = new RawPutBaseline(sample.store(), "raw").latency(object, parallel, putRate,
                    seconds);
            return new Latency(l, putRate, object.length);
        }
    }

    private Latency sutLatency(StoreUnderTest s, ByteBuffer record, double seconds) throws Exception {
        try (StoreUnderTest.Sample sample = s.open("latency");
             ObjectStoreWalBackend backend = new ObjectStoreWalBackend(configFor(sample.uri()), sample.store());
             Wal wal = backend.open(OpenOptions.readWrite(PCHANNEL, 1))) {
            String name = "the objectstore backend";
            if (run.settleSeconds > 0) {
                WalLatencyBench.openLoopAppends(wal, name, record, rate, run.settleSeconds);
            }
            CountingObjectStore.Count before = sample.store().count();
            long start = System.nanoTime();
            WalLatencyBench.Latency l = WalLatencyBench.openLoopAppends(wal, name, record, rate, seconds);
            CountingObjectStore.Count puts = sample.store().count().since(before);
            return new Latency(l, puts.puts() / ((System.nanoTime() - start) / 1e9), puts.meanBytes());
        }
    }

    // ------------------------------------------------------------------ PUTs vs vchannels

    private List<PairedRun.Pair<NodeSample>> putsByVchannels(Report report, WorkDir work, StoreUnderTest s)
            throws Exception {
        report.line("");
        report.line("-- PUTs vs vchannels: a node's WAL (WalManager, StreamingWal with dedup, flusher, vchannel locks,"
                        + " txn and shards; TimeTicks every %d ms) taking %d Inserts/s of %d rows (%s), round robin"
                        + " over V collections of one vchannel each: V = 1 (baseline) vs V = %d --",
                NodeConfig.defaults().timeTickInterval().toMillis(), nodeRate, nodeRows,
                kib(BenchMessages.insertBody(0, nodeRows).getSerializedSize()), vchannels);
        if (run.warmupSeconds > 0) {
            NodeSample b = nodeSample(work, s, 1, run.warmupSeconds);
            NodeSample w = nodeSample(work, s, vchannels, run.warmupSeconds);
            report.line("warm-up (discarded): V=1 %.1f PUT/s, V=%d %.1f PUT/s", b.putsPerSecond(), vchannels,
                    w.putsPerSecond());
        }
        report.line("%4s %7s | %9s %9s %9s | %9s %9s %9s | %8s", "pair", "n", "V=1 PUT/s", "MB/s", "p99",
                "V=" + vchannels + " PUT/s", "MB/s", "p99", "ratio");
        return PairedRun.alternate(run.pairs,
                i -> nodeSample(work, s, 1, pairSeconds),
                i -> nodeSample(work, s, vchannels, pairSeconds),
                p -> report.line("%4d %7d | %9.1f %9.2f %9.1f | %9.1f %9.2f %9.1f | %8.3f", p.index(),
                        p.sut().latency().count(), p.baseline().putsPerSecond(), p.baseline().bytesPerSecond() / 1e6,
                        p.baseline().latency().p99(), p.sut().putsPerSecond(), p.sut().bytesPerSecond() / 1e6,
                        p.sut().latency().p99(), p.sut().putsPerSecond() / p.baseline().putsPerSecond()));
    }

    /**
     * A fresh node WAL on a fresh store: {@code v} collections created, Inserts spread over them for the settle
     * period (discarded, their segments opened), then for {@code seconds}, counting the store's PUTs meanwhile.
     */
    private NodeSample nodeSample(WorkDir work, StoreUnderTest s, int v, double seconds) throws Exception {
        Path dir = work.newDirectory("node-" + (++nodes));
        try (StoreUnderTest.Sample sample = s.open("node");
             ObjectStoreWalBackend backend = new ObjectStoreWalBackend(configFor(sample.uri()), sample.store());
             NodeExtensions extensions = new NodeExtensions(dir, tso, ShardConfig.defaults());
             WalManager wals = new WalManager(backend, tso, NodeConfig.defaults(), extensions::forPchannel)) {
            StreamingWal wal = wals.open(PCHANNEL, 1);
            String[] vchannelOf = createCollections(wal, v);
            AtomicLong nextRow = new AtomicLong();
            String name = "the node's WAL";
            LongFunction<CompletableFuture<?>> insert = i -> {
                int c = (int) (i % v);
                return wal.append(BenchMessages.insert(c + 1, vchannelOf[c],
                        BenchMessages.insertBody(nextRow.getAndAdd(nodeRows), nodeRows)));
            };
            if (run.settleSeconds > 0) {
                WalLatencyBench.openLoopAppends(name, nodeRate, run.settleSeconds, insert);
            }
            CountingObjectStore.Count before = sample.store().count();
            long start = System.nanoTime();
            WalLatencyBench.Latency l = WalLatencyBench.openLoopAppends(name, nodeRate, seconds, insert);
            CountingObjectStore.Count puts = sample.store().count().since(before);
            double elapsed = (System.nanoTime() - start) / 1e9;
            return new NodeSample(puts.puts() / elapsed, puts.bytes() / elapsed, l);
        } finally {
            WorkDir.delete(dir);
        }
    }

    /** Creates collections 1..v, one vchannel each; returns their vchannels. */
    private static String[] createCollections(StreamingWal wal, int v) throws Exception {
        String[] vchannelOf = new String[v];
        List<CompletableFuture<AppendResult>> created = new ArrayList<>(v);
        for (int c = 0; c < v; c++) {
            vchannelOf[c] = BenchMessages.vchannel(PCHANNEL, c + 1);
            created.add(wal.append(BenchMessages.createCollection(c + 1, vchannelOf[c])));
        }
        CompletableFuture.allOf(created.toArray(new CompletableFuture<?>[0])).get(2, TimeUnit.MINUTES);
        return vchannelOf;
    }

    private static String kib(double bytes) {
        return String.format(Locale.ROOT, "%.1fKiB", bytes / 1024);
    }

    // ------------------------------------------------------------------ JSON

    private String json(MachineFacts facts, List<StoreResult> results) {
        return BenchJson.write(j -> {
            j.beginObject()
                    .name("bench").value("wal-objectstore")
                    .name("record_bytes").value(size)
                    .name("appenders").value(appenders)
                    .name("rate").value(rate)
                    .name("vchannels").value(vchannels)
                    .name("node_rate").value(nodeRate)
                    .name("node_rows").value(nodeRows)
                    .name("pair_seconds").value(pairSeconds)
                    .name("machine");
            facts.writeJson(j);
            j.name("results").beginArray();
            for (StoreResult r : results) {
                writeThroughput(j, r);
                writeLatency(j, r);
                writePuts(j, r);
            }
            j.endArray().endObject();
        });
    }

    private static void beginResult(JsonWriter j, StoreResult r, String metric) throws IOException {
        j.beginObject().name("store").value(r.store())
                .name("block_max_bytes").value(r.config().blockMaxBytes())
                .name("flush_interval_ms").value(r.config().flushInterval().toMillis())
                .name("flush_parallelism").value(r.config().flushParallelism())
                .name("metric").value(metric);
    }

    private static void writeThroughput(JsonWriter j, StoreResult r) throws IOException {
        beginResult(j, r, "bandwidth_ratio");
        j.name("window").value(r.window());
        Report.writeJson(j, r.throughputRatio(), THROUGHPUT_GOAL, true);
        j.name("pairs").beginArray();
        for (PairedRun.Pair<Throughput> p : r.throughput()) {
            j.beginObject()
                    .name("baseline_mb_s").value(p.baseline().megabytesPerSecond())
                    .name("baseline_puts_s").value(p.baseline().putsPerSecond())
                    .name("sut_mb_s").value(p.sut().megabytesPerSecond())
                    .name("sut_records_s").value(p.sut().recordsPerSecond())
                    .name("sut_puts_s").value(p.sut().putsPerSecond())
                    .name("sut_mean_put_bytes").value(p.sut().meanPutBytes())
                    .name("ratio").value(p.sut().bytesPerSecond() / p.baseline().bytesPerSecond())
                    .endObject();
        }
        j.endArray().endObject();
    }

    private static void writeLatency(JsonWriter j, StoreResult r) throws IOException {
        beginResult(j, r, "p99_bound_ratio");
        j.name("raw_object_bytes").value(r.rawObjectBytes()).name("raw_put_rate").value(r.rawPutRate());
        Report.writeJson(j, r.bound(), LATENCY_BOUND, false);
        j.name("p50_ratio").beginObject();
        Report.writeJson(j, r.p50(), Double.NaN, false);
        j.endObject().name("p99_ratio").beginObject();
        Report.writeJson(j, r.p99(), Double.NaN, false);
        j.endObject().name("pairs").beginArray();
        for (PairedRun.Pair<Latency> p : r.latency()) {
            j.beginObject()
                    .name("baseline_p50_us").value(p.baseline().p50())
                    .name("baseline_p99_us").value(p.baseline().p99())
                    .name("sut_count").value(p.sut().latency().count())
                    .name("sut_p50_us").value(p.sut().p50())
                    .name("sut_p99_us").value(p.sut().p99())
                    .name("sut_puts_s").value(p.sut().putsPerSecond())
                    .name("sut_mean_put_bytes").value(p.sut().meanPutBytes())
                    .endObject();
        }
        j.endArray().endObject();
    }

    private void writePuts(JsonWriter j, StoreResult r) throws IOException {
        beginResult(j, r, "puts_per_second_ratio");
        j.name("vchannels").value(vchannels);
        Report.writeJsonWithin(j, r.puts(), 1 - PUTS_TOLERANCE, 1 + PUTS_TOLERANCE);
        j.name("pairs").beginArray();
        for (PairedRun.Pair<NodeSample> p : r.node()) {
            j.beginObject()
                    .name("baseline_puts_s").value(p.baseline().putsPerSecond())
                    .name("baseline_store_mb_s").value(p.baseline().bytesPerSecond() / 1e6)
                    .name("sut_puts_s").value(p.sut().putsPerSecond())
                    .name("sut_store_mb_s").value(p.sut().bytesPerSecond() / 1e6)
                    .name("sut_p99_us").value(p.sut().latency().p99())
                    .name("ratio").value(p.sut().putsPerSecond() / p.baseline().putsPerSecond())
                    .endObject();
        }
        j.endArray().endObject();
    }
}
