package io.tidelog.bench;

import io.tidelog.common.StreamingException;
import io.tidelog.wal.Wal;
import io.tidelog.wal.kafka.KafkaWalConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code kafka} WAL backend against a plain producer of the Kafka client ({@link RawKafkaLog}: {@code acks=all},
 * idempotence on, no transactions) on the same broker ({@link KafkaBroker}: a child process by default), the same
 * record size and the same topic settings, each sample on a fresh topic (the backend's a fresh pchannel, see
 * {@link BackendUnderTest}) deleted after it.
 *
 * <p>Two metrics in A/B pairs: throughput of {@link WindowedAppenders} (records/s and MB/s; claim SUT >= 0.7 x raw),
 * and latency of an {@link OpenLoop} at a fixed rate (10,000 records/s of 1 KiB), p50 and p99 of both and their
 * ratios, reported without a target. Before the pairs the broker is warmed up with the raw producer's full load for
 * {@code --broker-warmup-seconds} (its JIT, its transaction and log machinery), then each side as every bench does.
 * Both sides run their load for the settle period on each fresh topic before the sample is measured: a new
 * producer's first sends wait for metadata and connections.
 */
@Command(name = "wal-kafka", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The kafka WAL backend vs a plain Kafka producer (acks=all, idempotent, no transactions) on the same"
                + " broker, a child process unless --bootstrap: throughput of windowed appenders, and open-loop latency"
                + " at a fixed rate (A/B pairs; ratios SUT/raw, median with min and max)."})
final class KafkaWalBench implements Callable<Integer> {
    static final double THROUGHPUT_GOAL = 0.7;
    /** Keys the bench sets for every sample. */
    static final Set<String> CHOSEN_BY_BENCH = Set.of(KafkaWalConfig.BOOTSTRAP_SERVERS,
            BackendUnderTest.KAFKA_TOPIC_PREFIX, BackendUnderTest.KAFKA_TRANSACTIONAL_ID_PREFIX);
    private static final String SUT = "kafka";

    @Spec
    CommandSpec spec;

    @Mixin
    RunOptions run;

    @Option(names = "--bootstrap", paramLabel = "HOST:PORT",
            description = "Use this broker instead of starting one; every topic the bench makes is deleted after its"
                    + " sample.")
    String bootstrap;

    @Option(names = {"-P", "--property"}, paramLabel = "KEY=VALUE",
            description = "Backend property, repeatable (e.g. -P wal.kafka.producer.linger.ms=1); the raw producer gets"
                    + " the same wal.kafka.producer.* settings and topic settings.")
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

    @Option(names = "--broker-warmup-seconds", defaultValue = "10", paramLabel = "S",
            description = "Full load of the raw producer on the broker before anything else, discarded"
                    + " (default: ${DEFAULT-VALUE}).")
    double brokerWarmupSeconds;

    private KafkaWalConfig config;
    private BackendUnderTest sut;
    private Admin admin;
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
             KafkaBroker broker = bootstrap != null ? KafkaBroker.external(bootstrap) : KafkaBroker.start(run.dir);
             Admin a = broker.admin()) {
            facts = MachineFacts.probe(work.path());
            admin = a;
            Map<String, String> p = new LinkedHashMap<>(properties);
            p.put(KafkaWalConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers());
            config = KafkaWalConfig.from(p);
            sut = new BackendUnderTest(SUT, p, work, null);
            perAppender = window > 0 ? window
                    : (int) Math.max(1, config.bufferMaxBytes() / 2 / ((long) appenders * size));
            report.header("wal-kafka", facts,
                    "broker:  " + broker.describe(),
                    "backend: " + sut.describe() + ", a fresh pchannel (topic and transactional id) per SUT sample",
                    "raw:     a plain producer (acks=all, idempotence, no transactions; batch.size 1MiB, buffer.memory"
                            + " buffer.max.bytes, the backend's deadlines and wal.kafka.producer.* settings) on a fresh"
                            + " topic of the backend's settings per sample",
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
            report.summary("ratio kafka/raw MB/s", ratio, THROUGHPUT_GOAL, true,
                    String.format(Locale.ROOT, ">= %.2fx (claim; records/s alike)", THROUGHPUT_GOAL));
            latency = latency(report);
            p50 = PairedRun.summarize(latency, WalLatencyBench.Latency::p50);
            p99 = PairedRun.summarize(latency, WalLatencyBench.Latency::p99);
            report.summary("ratio kafka/raw p50", p50, Double.NaN, false, "none (reported)");
            report.summary("ratio kafka/raw p99", p99, Double.NaN, false, "none (reported)");
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
                        + " topic and writer per sample); use --bootstrap for another broker");
            }
        }
        try {
            Map<String, String> p = new LinkedHashMap<>(properties);
            p.put(KafkaWalConfig.BOOTSTRAP_SERVERS, "127.0.0.1:9092");
            if (size > KafkaWalConfig.from(p).maxRecordBytes()) {
                throw new ParameterException(spec.commandLine(), "--size " + ByteSize.format(size) + " exceeds "
                        + KafkaWalConfig.MAX_RECORD_BYTES);
            }
        } catch (StreamingException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
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
            report.line("warm-up (discarded): raw %.1f MB/s, kafka %.1f MB/s", b.megabytesPerSecond(),
                    s.megabytesPerSecond());
        }
        report.line("%4s %12s %12s %12s %12s %8s", "pair", "raw MB/s", "raw rec/s", "kafka MB/s", "kafka rec/s",
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
        try (SutSample s = sutSample("throughput")) {
            return measure(s.opened().wal(), perAppender, seconds);
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
            report.line("warm-up (discarded): raw p99 %.1f us, kafka p99 %.1f us", b.p99(), s.p99());
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
        try (SutSample s = sutSample("latency")) {
            return openLoop(s.opened().wal(), "backend kafka", record, seconds);
        }
    }

    private WalLatencyBench.Latency openLoop(Wal wal, String name, ByteBuffer record, double seconds)
            throws Exception {
        if (run.settleSeconds > 0) {
            WalLatencyBench.openLoopAppends(wal, name, record, rate, run.settleSeconds);
        }
        return WalLatencyBench.openLoopAppends(wal, name, record, rate, seconds);
    }

    // ------------------------------------------------------------------ samples and their topics

    /** A raw sample's log on a fresh topic of this run; closing closes it and deletes the run's topics. */
    private record RawSample(RawKafkaLog log, KafkaWalBench bench) implements AutoCloseable {
        @Override
        public void close() {
            try {
                log.close();
            } finally {
                bench.deleteRunTopics();
            }
        }
    }

    /** A SUT sample (the backend on a fresh pchannel); closing closes it and deletes the run's topics. */
    private record SutSample(BackendUnderTest.Opened opened, KafkaWalBench bench) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            try {
                opened.close();
            } finally {
                bench.deleteRunTopics();
            }
        }
    }

    private RawSample rawSample(String label) throws Exception {
        String topic = sut.runTopicPrefix() + label + "-" + (++rawSamples);
        return new RawSample(RawKafkaLog.create(config, admin, topic), this);
    }

    private SutSample sutSample(String label) throws Exception {
        return new SutSample(sut.open(label), this);
    }

    /** Deletes every topic of this run, so that the broker's disk holds one sample at most. */
    private void deleteRunTopics() {
        long timeout = config.requestTimeout().toMillis() * 2;
        try {
            List<String> ours = admin.listTopics().names().get(timeout, TimeUnit.MILLISECONDS).stream()
                    .filter(t -> t.startsWith(sut.runTopicPrefix())).collect(Collectors.toList());
            if (!ours.isEmpty()) {
                admin.deleteTopics(ours).all().get(timeout, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StreamingException.inner("interrupted while deleting the bench's topics", e);
        } catch (ExecutionException | TimeoutException e) {
            throw StreamingException.inner("could not delete the bench's topics", e);
        }
    }

    // ------------------------------------------------------------------ JSON

    private String json(MachineFacts facts, int perAppender, List<PairedRun.Pair<WindowedAppenders.Throughput>> tp,
                        PairedRun.Summary ratio, List<PairedRun.Pair<WalLatencyBench.Latency>> latency,
                        PairedRun.Summary p50, PairedRun.Summary p99) {
        return BenchJson.write(j -> {
            j.beginObject()
                    .name("bench").value("wal-kafka")
                    .name("broker").value(bootstrap != null ? "external" : "child")
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
