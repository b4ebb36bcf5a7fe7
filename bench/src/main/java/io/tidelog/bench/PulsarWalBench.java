package io.tidelog.bench;

import io.tidelog.common.StreamingException;
import io.tidelog.wal.Wal;
import io.tidelog.wal.pulsar.PulsarWalConfig;
import io.tidelog.wal.pulsar.StandaloneBrokerProcess;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code pulsar} WAL backend against a plain producer of the Pulsar client ({@link RawPulsarLog}: shared access,
 * the same batching and deadlines) on the same broker (a Pulsar 4.0.7 standalone the bench starts as a child process,
 * {@link StandaloneBrokerProcess}, unless {@code --service-url}/{@code --admin-url} name one), the same record size,
 * each sample on a fresh topic.
 *
 * <p>Two metrics in A/B pairs: throughput of {@link WindowedAppenders} (records/s and MB/s; claim SUT >= 0.7 x raw),
 * and latency of an {@link OpenLoop} at a fixed rate (10,000 records/s of 1 KiB), p50 and p99 of both and their
 * ratios, reported without a target. Before the pairs the broker is warmed up with the raw producer's full load for
 * {@code --broker-warmup-seconds}, then each side as every bench does. Both sides run their load for the settle
 * period on each fresh topic before the sample is measured.
 */
@Command(name = "wal-pulsar", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The pulsar WAL backend vs a plain Pulsar producer (shared access, the same batching) on the same"
                + " broker, a child process unless --service-url: throughput of windowed appenders, and open-loop"
                + " latency at a fixed rate (A/B pairs; ratios SUT/raw, median with min and max)."})
final class PulsarWalBench implements Callable<Integer> {
    static final double THROUGHPUT_GOAL = 0.7;
    /** Keys the bench sets for every sample. */
    static final Set<String> CHOSEN_BY_BENCH = Set.of(PulsarWalConfig.SERVICE_URL, PulsarWalConfig.ADMIN_URL,
            BackendUnderTest.PULSAR_TOPIC_PREFIX);
    /** Where {@code ./scripts/bench} finds the broker's class path when the build resolved it. */
    static final String BROKER_CLASSPATH_FILE = "pulsar-test-broker/target/broker.classpath";
    private static final String SUT = "pulsar";

    @Spec
    CommandSpec spec;

    @Mixin
    RunOptions run;

    @Option(names = "--service-url", paramLabel = "URL",
            description = "Use this broker (pulsar://HOST:PORT, with --admin-url) instead of starting one; its topics"
                    + " stay (the backend's keep their records until truncated).")
    String serviceUrl;

    @Option(names = "--admin-url", paramLabel = "URL", description = "The admin REST URL of --service-url's broker.")
    String adminUrl;

    @Option(names = "--broker-heap", defaultValue = "1g", paramLabel = "SIZE",
            description = "-Xmx of the broker the bench starts (default: ${DEFAULT-VALUE}).")
    String brokerHeap;

    @Option(names = {"-P", "--property"}, paramLabel = "KEY=VALUE",
            description = "Backend property, repeatable (e.g. -P wal.pulsar.batch.delay=5ms); the raw producer gets"
                    + " the same batching and wal.pulsar.producer.* settings.")
    Map<String, String> properties = new LinkedHashMap<>();

    @Option(names = "--size", defaultValue = "1KiB", converter = ByteSize.class, paramLabel = "SIZE",
            description = "Record size (default: ${DEFAULT-VALUE}).")
    long size;

    @Option(names = "--appenders", defaultValue = "32", paramLabel = "N",
            description = "Concurrent appender threads of the throughput samples (default: ${DEFAULT-VALUE}).")
    int appenders;

    @Option(names = "--window", defaultValue = "0", paramLabel = "N",
            description = "Outstanding appends per appender; 0 = half of buffer.max.bytes in flight in total (default).")
    int window;

    @Option(names = "--rate", defaultValue = "10000", paramLabel = "OPS",
            description = "Appends per second of the latency samples, on a fixed schedule (default: ${DEFAULT-VALUE}).")
    long rate;

    @Option(names = "--pair-seconds", defaultValue = "5", paramLabel = "S",
            description = "Duration of each side of each pair, for each metric (default: ${DEFAULT-VALUE}).")
    double pairSeconds;

    // A fresh standalone broker here doubles its throughput after about a minute of full load (measured: raw 170 then
    // 350 MB/s from the fourth pair on, with a 10 s warm-up): warm it past that before the first pair.
    @Option(names = "--broker-warmup-seconds", defaultValue = "60", paramLabel = "S",
            description = "Full load of the raw producer on the broker before anything else, discarded"
                    + " (default: ${DEFAULT-VALUE}).")
    double brokerWarmupSeconds;

    private PulsarWalConfig config;
    private BackendUnderTest sut;
    private int rawSamples;

    @Override
    public Integer call() throws Exception {
        validate();
        Report report = new Report(spec.commandLine().getOut());
        MachineFacts facts;
        List<PairedRun.Pair<WindowedAppenders.Throughput>> throughput;
        List<PairedRun.Pair<WalLatencyBench.Latency>> latency;
        PairedRun.Summary ratio;
        PairedRun.Summary p50;
        PairedRun.Summary p99;
        int perAppender;
        try (WorkDir work = WorkDir.create(run.dir);
             StandaloneBrokerProcess broker = serviceUrl != null ? null : startBroker()) {
            facts = MachineFacts.probe(work.path());
            Map<String, String> p = new LinkedHashMap<>(properties);
            p.put(PulsarWalConfig.SERVICE_URL, broker != null ? broker.serviceUrl() : serviceUrl);
            p.put(PulsarWalConfig.ADMIN_URL, broker != null ? broker.adminUrl() : adminUrl);
            config = PulsarWalConfig.from(p);
            sut = new BackendUnderTest(SUT, p, work, null);
            perAppender = window > 0 ? window
                    : (int) Math.max(1, config.bufferMaxBytes() / 2 / ((long) appenders * size));
            report.header("wal-pulsar", facts,
                    "broker:  " + (broker != null ? "Pulsar 4.0.7 standalone, a child process (-Xmx" + brokerHeap
                            + "), " + config.serviceUrl() : "external " + config.serviceUrl()),
                    "backend: " + sut.describe() + ", a fresh pchannel (topic) per SUT sample",
                    "raw:     a plain producer (shared access; the backend's batching, send deadline and"
                            + " wal.pulsar.producer.* settings) on a fresh topic per sample",
                    String.format(Locale.ROOT, "setup:   %s records; throughput: %d appenders x window %d (%s in"
                            + " flight at most); latency: open loop %d/s; %d pairs x %.1fs each side of each metric,"
                            + " broker warm-up %.1fs, warm-up %.1fs, both sides settle %.1fs per sample",
                            ByteSize.format(size), appenders, perAppender,
                            ByteSize.format((long) appenders * perAppender * size), rate, run.pairs, pairSeconds,
                            brokerWarmupSeconds, run.warmupSeconds, run.settleSeconds),
                    "units:   MB/s = 10^6 payload bytes per second; latency in microseconds from the intended send time"
                            + " to the acknowledgement");
            if (brokerWarmupSeconds > 0) {
                WindowedAppenders.Throughput w = rawThroughput(perAppender, brokerWarmupSeconds);
                report.line("broker warm-up (discarded): raw %.1f MB/s", w.megabytesPerSecond());
            }
            throughput = throughput(report, perAppender);
            ratio = PairedRun.summarize(throughput, WindowedAppenders.Throughput::bytesPerSecond);
            report.summary("ratio pulsar/raw MB/s", ratio, THROUGHPUT_GOAL, true,
                    String.format(Locale.ROOT, ">= %.2fx (claim; records/s alike)", THROUGHPUT_GOAL));
            latency = latency(report);
            p50 = PairedRun.summarize(latency, WalLatencyBench.Latency::p50);
            p99 = PairedRun.summarize(latency, WalLatencyBench.Latency::p99);
            report.summary("ratio pulsar/raw p50", p50, Double.NaN, false, "none (reported)");
            report.summary("ratio pulsar/raw p99", p99, Double.NaN, false, "none (reported)");
        }
        if (run.json) {
            spec.commandLine().getOut().println(json(facts, perAppender, throughput, ratio, latency, p50, p99));
            spec.commandLine().getOut().flush();
        }
        return 0;
    }

    private void validate() {
        run.validate(spec, pairSeconds);
        for (String k : properties.keySet()) {
            if (CHOSEN_BY_BENCH.contains(k)) {
                throw new ParameterException(spec.commandLine(), k + " is chosen by the bench (the broker, a fresh"
                        + " topic per sample); use --service-url and --admin-url for another broker");
            }
        }
        try {
            Map<String, String> p = new LinkedHashMap<>(properties);
            p.put(PulsarWalConfig.SERVICE_URL, "pulsar://127.0.0.1:6650");
            p.put(PulsarWalConfig.ADMIN_URL, "http://127.0.0.1:8080");
            if (size > PulsarWalConfig.from(p).maxRecordBytes()) {
                throw new ParameterException(spec.commandLine(), "--size " + ByteSize.format(size) + " exceeds "
                        + PulsarWalConfig.MAX_RECORD_BYTES);
            }
        } catch (StreamingException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if ((serviceUrl == null) != (adminUrl == null)) {
            throw new ParameterException(spec.commandLine(), "--service-url and --admin-url go together");
        }
        if (appenders < 1 || window < 0 || rate < 1) {
            throw new ParameterException(spec.commandLine(), "--appenders and --rate must be at least 1, --window at"
                    + " least 0");
        }
        if (!(brokerWarmupSeconds >= 0)) {
            throw new ParameterException(spec.commandLine(), "--broker-warmup-seconds must be >= 0, got "
                    + brokerWarmupSeconds);
        }
    }

    // ------------------------------------------------------------------ throughput

    private List<PairedRun.Pair<WindowedAppenders.Throughput>> throughput(Report report, int perAppender)
            throws Exception {
        report.line("");
        report.line("-- throughput: %d appenders x window %d of %s records --", appenders, perAppender,
                ByteSize.format(size));
        if (run.warmupSeconds > 0) {
            WindowedAppenders.Throughput b = rawThroughput(perAppender, run.warmupSeconds);
            WindowedAppenders.Throughput s = sutThroughput(perAppender, run.warmupSeconds);
            report.line("warm-up (discarded): raw %.1f MB/s, pulsar %.1f MB/s", b.megabytesPerSecond(),
                    s.megabytesPerSecond());
        }
        report.line("%4s %12s %12s %12s %12s %8s", "pair", "raw MB/s", "raw rec/s", "pulsar MB/s", "pulsar rec/s",
                "ratio");
        return PairedRun.alternate(run.pairs,
                i -> rawThroughput(perAppender, pairSeconds),
                i -> sutThroughput(perAppender, pairSeconds),
                p -> report.line("%4d %12.1f %12.0f %12.1f %12.0f %8.3f", p.index(),
                        p.baseline().megabytesPerSecond(), p.baseline().recordsPerSecond(),
                        p.sut().megabytesPerSecond(), p.sut().recordsPerSecond(),
                        p.sut().bytesPerSecond() / p.baseline().bytesPerSecond()));
    }

    private WindowedAppenders.Throughput rawThroughput(int perAppender, double seconds) throws Exception {
        try (RawSample raw = rawSample("raw-throughput")) {
            return measure(raw.log(), perAppender, seconds);
        }
    }

    private WindowedAppenders.Throughput sutThroughput(int perAppender, double seconds) throws Exception {
        try (BackendUnderTest.Opened s = sutSample("throughput")) {
            return measure(s.wal(), perAppender, seconds);
        }
    }

    private WindowedAppenders.Throughput measure(Wal wal, int perAppender, double seconds) throws InterruptedException {
        return new WindowedAppenders(wal, appenders, perAppender, (int) size)
                .measure(RunOptions.nanos(run.settleSeconds), RunOptions.nanos(seconds));
    }

    // ------------------------------------------------------------------ latency

    private List<PairedRun.Pair<WalLatencyBench.Latency>> latency(Report report) throws Exception {
        ByteBuffer record = RawSyncBaseline.randomDirect((int) size);
        report.line("");
        report.line("-- latency: open loop %d/s of %s records --", rate, ByteSize.format(size));
        if (run.warmupSeconds > 0) {
            WalLatencyBench.Latency b = rawLatency(record, run.warmupSeconds);
            WalLatencyBench.Latency s = sutLatency(record, run.warmupSeconds);
            report.line("warm-up (discarded): raw p99 %.1f us, pulsar p99 %.1f us", b.p99(), s.p99());
        }
        WalLatencyBench.printHeader(report, SUT);
        return PairedRun.alternate(run.pairs,
                i -> rawLatency(record, pairSeconds),
                i -> sutLatency(record, pairSeconds),
                p -> WalLatencyBench.printPair(report, p));
    }

    private WalLatencyBench.Latency rawLatency(ByteBuffer record, double seconds) throws Exception {
        try (RawSample raw = rawSample("raw-latency")) {
            return openLoop(raw.log(), "the raw producer", record, seconds);
        }
    }

    private WalLatencyBench.Latency sutLatency(ByteBuffer record, double seconds) throws Exception {
        try (BackendUnderTest.Opened s = sutSample("latency")) {
            return openLoop(s.wal(), "backend pulsar", record, seconds);
        }
    }

    private WalLatencyBench.Latency openLoop(Wal wal, String name, ByteBuffer record, double seconds)
            throws Exception {
        if (run.settleSeconds > 0) {
            WalLatencyBench.openLoopAppends(wal, name, record, rate, run.settleSeconds);
        }
        return WalLatencyBench.openLoopAppends(wal, name, record, rate, seconds);
    }

    // ------------------------------------------------------------------ samples and the broker

    private record RawSample(RawPulsarLog log) implements AutoCloseable {
        @Override
        public void close() {
            log.close();
        }
    }

    private RawSample rawSample(String label) throws Exception {
        return new RawSample(RawPulsarLog.create(config, sut.runTopicPrefix() + label + "-" + (++rawSamples)));
    }

    private BackendUnderTest.Opened sutSample(String label) throws Exception {
        return sut.open(label);
    }

    /** The broker as a child process, on the class path the build resolved (pulsar-test-broker). */
    private StandaloneBrokerProcess startBroker() {
        if (System.getProperty(StandaloneBrokerProcess.CLASSPATH_PROPERTY) == null) {
            System.setProperty(StandaloneBrokerProcess.CLASSPATH_PROPERTY, BROKER_CLASSPATH_FILE);
        }
        return StandaloneBrokerProcess.start(brokerHeap);
    }

    // ------------------------------------------------------------------ JSON

    private String json(MachineFacts facts, int perAppender, List<PairedRun.Pair<WindowedAppenders.Throughput>> tp,
                        PairedRun.Summary ratio, List<PairedRun.Pair<WalLatencyBench.Latency>> latency,
                        PairedRun.Summary p50, PairedRun.Summary p99) {
        return BenchJson.write(j -> {
            j.beginObject()
                    .name("bench").value("wal-pulsar")
                    .name("broker").value(serviceUrl != null ? "external" : "child")
                    .name("record_bytes").value(size)
                    .name("appenders").value(appenders)
                    .name("window").value(perAppender)
                    .name("rate").value(rate)
                    .name("pair_seconds").value(pairSeconds)
                    .name("machine");
            facts.writeJson(j);
            j.name("results").beginArray();
            j.beginObject().name("metric").value("bandwidth_ratio");
            Report.writeJson(j, ratio, THROUGHPUT_GOAL, true);
            j.name("pairs").beginArray();
            for (PairedRun.Pair<WindowedAppenders.Throughput> p : tp) {
                j.beginObject()
                        .name("baseline_mb_s").value(p.baseline().megabytesPerSecond())
                        .name("baseline_records_s").value(p.baseline().recordsPerSecond())
                        .name("sut_mb_s").value(p.sut().megabytesPerSecond())
                        .name("sut_records_s").value(p.sut().recordsPerSecond())
                        .name("ratio").value(p.sut().bytesPerSecond() / p.baseline().bytesPerSecond())
                        .endObject();
            }
            j.endArray().endObject();
            j.beginObject().name("metric").value("p50_ratio");
            Report.writeJson(j, p50, Double.NaN, false);
            j.endObject();
            j.beginObject().name("metric").value("p99_ratio");
            Report.writeJson(j, p99, Double.NaN, false);
            j.name("pairs");
            WalLatencyBench.writePairs(j, latency);
            j.endObject();
            j.endArray().endObject();
        });
    }
}
