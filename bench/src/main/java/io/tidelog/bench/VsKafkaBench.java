package io.tidelog.bench;

import com.google.gson.stream.JsonWriter;
import io.tidelog.client.StreamingClient;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.ToDoubleFunction;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Tidelog against Kafka as users run both: a warmed, long-lived {@code tidelog standalone} ({@link ServerUnderTest},
 * local WAL, one pchannel, one vchannel, the Java client's asynchronous RAW appends with the client's defaults) and a
 * warmed, long-lived Kafka broker ({@link KafkaBroker}, one KRaft node) with two one-partition topics: {@code fsync}
 * ({@code flush.messages=1}: every append is on the disk before it is acknowledged, as Tidelog's are) and {@code
 * pagecache} (the broker's default: acknowledged from the page cache, flushed by the kernel later). Both are child
 * processes started once per run; each system gets {@code --warmup} seconds of its full load before any measurement.
 *
 * <p>Three metrics, each system driven by the same code with the same payload: saturated throughput ({@link
 * ByteWindowSender}: one sender thread, a window of bytes in flight), CPU per MB in that same window (utime + stime of
 * the server's process and of the bench JVM, from {@code /proc}; {@link ProcessCpu}), and open-loop latency at a fixed
 * rate from the intended send time ({@link OpenLoop}). Kafka's producers are tuned per metric as a user would tune
 * them: a linger and large batches for throughput, {@code linger.ms=0} for latency.
 *
 * <p>A pair measures the three systems back to back (the throughput of each, then the latency of each), in an order
 * that reverses from one pair to the next ({@link PairedRun#order}); the ratios Tidelog / Kafka are taken per pair and
 * summarised by their median, min and max, marked {@code INCONCLUSIVE} when Kafka's own figure moved more than 2x
 * within the run. The last line of the output is one JSON object with the six medians.
 */
@Command(name = "vs-kafka", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Tidelog standalone vs a Kafka broker (topics with flush.messages=1 and with page-cache"
                + " flushing), both long-lived child processes warmed first, driven alike at 1 KiB: saturated"
                + " throughput, CPU seconds per MB (server + client, from /proc) and open-loop p50/p99/p99.9 at a fixed"
                + " rate; per-pair ratios Tidelog/Kafka. The last line is a JSON object of the six medians."})
final class VsKafkaBench implements Callable<Integer> {
    /** The largest payload: well within Kafka's default {@code message.max.bytes} (1 MiB) with its batch overhead. */
    static final long MAX_SIZE = 512L << 10;
    /** The largest window: the Kafka producer's default {@code buffer.memory}, so that the window is what bounds. */
    static final long MAX_WINDOW = 32L << 20;
    /** Kept per Kafka topic, as the server keeps per pchannel ({@link ServerUnderTest#RETENTION_BYTES}). */
    static final long KAFKA_RETENTION_BYTES = 512L << 20;
    static final long KAFKA_SEGMENT_BYTES = 128L << 20;
    /** How often the broker the bench starts applies retention (Kafka's default: 5 minutes). */
    static final Map<String, String> BROKER_SETTINGS = Map.of("log.retention.check.interval.ms", "5000");
    /** The indexes of the three systems in every list of sides and samples. */
    static final int TIDELOG = 0;
    static final int FSYNC = 1;
    static final int PAGECACHE = 2;
    static final List<String> SIDES = List.of("tidelog", "kafka fsync", "kafka pagecache");
    private static final long PAYLOAD_SEED = 0x7469_6465_6c6f_6721L;
    private static final long SYNC_TIMEOUT_SECONDS = 300;

    @Spec
    CommandSpec spec;

    @Option(names = "--dir", paramLabel = "DIR",
            description = "Directory to benchmark in (the server's data and the broker's logs); private"
                    + " sub-directories are created there and removed at the end (default: the system temporary"
                    + " directory).")
    Path dir;

    @Option(names = "--pairs", defaultValue = "5", paramLabel = "N",
            description = "Pairs, each measuring the three systems back to back; at least 5 for a result to quote"
                    + " (default: ${DEFAULT-VALUE}).")
    int pairs;

    @Option(names = {"--warmup", "--warmup-seconds"}, defaultValue = "15", paramLabel = "S",
            description = "Saturated load on each system before the pairs, discarded (default: ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Option(names = "--seconds", defaultValue = "5", paramLabel = "S",
            description = "Measured seconds of each saturated sample (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--latency-seconds", defaultValue = "5", paramLabel = "S",
            description = "Measured seconds of each fixed-rate sample (default: ${DEFAULT-VALUE}).")
    double latencySeconds;

    @Option(names = "--settle-seconds", defaultValue = "1", paramLabel = "S",
            description = "Load run before each sample is measured, discarded: fills the window, or lets an idle"
                    + " producer resume (default: ${DEFAULT-VALUE}).")
    double settleSeconds;

    @Option(names = "--rate", defaultValue = "10000", paramLabel = "MSGS",
            description = "Messages per second of the latency samples, on a fixed schedule (default:"
                    + " ${DEFAULT-VALUE}).")
    long rate;

    @Option(names = "--window", defaultValue = "8MiB", converter = ByteSize.class, paramLabel = "SIZE",
            description = "Payload bytes in flight at most in the saturated samples, for every system (default:"
                    + " ${DEFAULT-VALUE}).")
    long window;

    @Option(names = "--size", defaultValue = "1KiB", converter = ByteSize.class, paramLabel = "SIZE",
            description = "Payload size (default: ${DEFAULT-VALUE}).")
    long size;

    @Option(names = "--kafka-linger-ms", paramLabel = "MS",
            description = "linger.ms of the Kafka producers, both phases (default: the producer's own, 5 ms in Kafka"
                    + " 4): Kafka as users run it, as Tidelog runs with its client's defaults.")
    Integer kafkaLingerMs;

    @Option(names = "--kafka-batch-size", converter = ByteSize.class, paramLabel = "SIZE",
            description = "batch.size of the Kafka producers, both phases (default: the producer's own, 16 KiB).")
    Long kafkaBatchBytes;

    @Option(names = "--bootstrap", paramLabel = "HOST:PORT",
            description = "Use this broker instead of starting one (its CPU is then not measured: no MB per CPU"
                    + " second for Kafka); the bench's two topics are deleted at the end.")
    String bootstrap;

    @Option(names = {"-P", "--property"}, paramLabel = "KEY=VALUE",
            description = "Server property, repeatable: any key of tidelog standalone.")
    Map<String, String> properties = new LinkedHashMap<>();

    @Option(names = "--json", description = "Also print the run's JSON summary line, before the line of the medians.")
    boolean json;

    /** One system's figures in one pair: its saturated sample and its latency sample. */
    record Sample(ByteWindowSender.Saturated throughput, WalLatencyBench.Latency latency) {
    }

    /** One pair: the order its systems ran in and their samples, indexed like {@link #SIDES}. */
    record Pair(int index, List<Integer> order, List<Sample> samples) {
        Sample tidelog() {
            return samples.get(TIDELOG);
        }
    }

    /** One system as the pairs drive it. */
    private record Side(String name, ByteWindowSender.Target load, ByteWindowSender.Target latency,
                        ByteWindowSender.CpuMeter server) {
    }

    @Override
    public Integer call() throws Exception {
        validate();
        Report report = new Report(spec.commandLine().getOut());
        long clockTicks = ProcessCpu.clockTicksPerSecond();
        byte[] payload = payload((int) size);
        MachineFacts facts;
        List<Pair> result;
        String runId = UUID.randomUUID().toString().substring(0, 8);
        try (WorkDir work = WorkDir.create(dir);
             KafkaBroker broker = bootstrap != null ? KafkaBroker.external(bootstrap)
                     : KafkaBroker.start(dir, BROKER_SETTINGS);
             Admin admin = broker.admin();
             Topics topics = Topics.create(admin, "tidelog-bench-vs-kafka-" + runId);
             KafkaTopicProducer fsyncLoad = producer(broker, topics.fsync(), "load", tuning());
             KafkaTopicProducer pagecacheLoad = producer(broker, topics.pagecache(), "load", tuning());
             KafkaTopicProducer fsyncLatency = producer(broker, topics.fsync(), "latency", tuning());
             KafkaTopicProducer pagecacheLatency = producer(broker, topics.pagecache(), "latency",
                     tuning())) {
            facts = MachineFacts.probe(work.path());
            ServerUnderTest sut = new ServerUnderTest(properties, work, 1 << 20);
            try (ServerUnderTest.Started server = sut.start("vs-kafka", 1)) {
                StreamingClient client = server.client();
                String vchannel = ServerUnderTest.vchannel(0, 1);
                ByteWindowSender.CpuMeter brokerCpu = broker.pid().isPresent()
                        ? ProcessCpu.of(broker.pid().getAsLong(), clockTicks)::seconds : null;
                List<Side> sides = List.of(
                        new Side(SIDES.get(TIDELOG), p -> client.appendRaw(vchannel, p),
                                p -> client.appendRaw(vchannel, p), ProcessCpu.of(server.pid(), clockTicks)::seconds),
                        new Side(SIDES.get(FSYNC), fsyncLoad, fsyncLatency, brokerCpu),
                        new Side(SIDES.get(PAGECACHE), pagecacheLoad, pagecacheLatency, brokerCpu));
                header(report, facts, broker, sut, topics, vchannel, clockTicks);
                ByteWindowSender.CpuMeter self = ProcessCpu.self(clockTicks)::seconds;
                warmUp(report, sides, payload, self);
                result = pairs(report, sides, payload, self);
            }
        }
        List<Ratio> ratios = Ratio.all(result);
        summarize(report, ratios);
        if (json) {
            spec.commandLine().getOut().println(json(facts, result, ratios));
        }
        spec.commandLine().getOut().println(mediansJson(ratios));
        spec.commandLine().getOut().flush();
        return 0;
    }

    void validate() {
        List<String> wrong = new ArrayList<>();
        if (pairs < 1) {
            wrong.add("--pairs must be at least 1, got " + pairs);
        }
        if (!(warmupSeconds >= 0) || !(settleSeconds >= 0)) {
            wrong.add("--warmup and --settle-seconds must be >= 0");
        }
        if (!(seconds > 0) || !(latencySeconds > 0)) {
            wrong.add("--seconds and --latency-seconds must be positive");
        }
        if (rate < 1 || OpenLoop.operationsIn(Math.max(latencySeconds, settleSeconds), rate) > Integer.MAX_VALUE / 2) {
            wrong.add("--rate must be at least 1, and --rate x --latency-seconds at most " + Integer.MAX_VALUE / 2);
        }
        if (size < 1 || size > MAX_SIZE) {
            wrong.add("--size must lie in [1, " + ByteSize.format(MAX_SIZE) + "], got " + ByteSize.format(size));
        }
        long clientRoom = (long) StreamingClient.Builder.DEFAULT_MAX_IN_FLIGHT
                + StreamingClient.Builder.DEFAULT_MAX_QUEUED;
        if (window < size || window > MAX_WINDOW || window / Math.max(1, size) > clientRoom) {
            wrong.add("--window must hold one payload, be at most " + ByteSize.format(MAX_WINDOW) + " (the Kafka"
                    + " producer's buffer.memory) and at most " + clientRoom + " payloads (what the Tidelog client"
                    + " holds per pchannel), got " + ByteSize.format(window));
        }
        if ((kafkaLingerMs != null && kafkaLingerMs < 0)
                || (kafkaBatchBytes != null && (kafkaBatchBytes < 1 || kafkaBatchBytes > MAX_WINDOW))) {
            wrong.add("--kafka-linger-ms must be >= 0 and --kafka-batch-size in [1, " + ByteSize.format(MAX_WINDOW)
                    + "]");
        }
        properties.keySet().stream().filter(GrpcOptions.CHOSEN_BY_BENCH::contains).findFirst().ifPresent(k ->
                wrong.add(k + " is chosen by the bench (a fresh data directory, loopback, an ephemeral port, one"
                        + " pchannel); use --dir to say where"));
        if (!wrong.isEmpty()) {
            throw new ParameterException(spec.commandLine(), String.join("; ", wrong));
        }
    }

    /** The same pseudo-random bytes for every system and every run. */
    static byte[] payload(int size) {
        byte[] b = new byte[size];
        new SplittableRandom(PAYLOAD_SEED).nextBytes(b);
        return b;
    }

    /**
     * The Kafka producers' settings beyond acks=all, idempotence and no compression: none unless given, so that the
     * baseline is Kafka as its users run it (the anchors were measured so), the same in both phases.
     */
    private Map<String, Object> tuning() {
        Map<String, Object> t = new java.util.LinkedHashMap<>();
        if (kafkaLingerMs != null) {
            t.put(ProducerConfig.LINGER_MS_CONFIG, kafkaLingerMs);
        }
        if (kafkaBatchBytes != null) {
            t.put(ProducerConfig.BATCH_SIZE_CONFIG, (int) (long) kafkaBatchBytes);
        }
        return t;
    }

    private String describeTuning() {
        return (kafkaLingerMs == null ? "linger.ms default (5)" : "linger.ms=" + kafkaLingerMs) + ", "
                + (kafkaBatchBytes == null ? "batch.size default (16KiB)" : "batch.size=" + ByteSize.format(kafkaBatchBytes));
    }

    private static KafkaTopicProducer producer(KafkaBroker broker, String topic, String phase,
                                               Map<String, Object> tuning) {
        return KafkaTopicProducer.open(broker.bootstrapServers(), topic, "tidelog-bench-" + phase + "-" + topic,
                tuning);
    }

    private void header(Report report, MachineFacts facts, KafkaBroker broker, ServerUnderTest sut, Topics topics,
                        String vchannel, long clockTicks) {
        report.header("vs-kafka", facts,
                "server:  " + sut.describe(1) + "; one server for the run, RAW appends to " + vchannel + " through one"
                        + " StreamingClient (client defaults)",
                "broker:  " + broker.describe() + "; topics " + topics.fsync() + " (flush.messages=1) and "
                        + topics.pagecache() + " (the broker's default flushing), 1 partition, replication 1,"
                        + String.format(Locale.ROOT, " retention.bytes %s in %s segments",
                        ByteSize.format(KAFKA_RETENTION_BYTES), ByteSize.format(KAFKA_SEGMENT_BYTES)),
                "kafka:   producers acks=all, idempotent, compression none, " + describeTuning()
                        + " in both phases; the producer's defaults otherwise",
                String.format(Locale.ROOT, "load:    %s payload, the same bytes for every system; saturated: one sender"
                        + " thread, at most %s in flight, %.1fs measured after %.1fs; latency: open loop %d/s for %.1fs"
                        + " after %.1fs; %d pairs, order reversed every other pair; warm-up %.1fs of saturated load"
                        + " per system", ByteSize.format(size), ByteSize.format(window), seconds, settleSeconds, rate,
                        latencySeconds, settleSeconds, pairs, warmupSeconds),
                "disk:    sync(1) before every sample and warm-up, unmeasured: none pays for the page cache an earlier"
                        + " one left dirty",
                String.format(Locale.ROOT, "cpu:     utime+stime from /proc/<pid>/stat (CLK_TCK %d) at both ends of"
                        + " each saturated window: server = tidelog's or the broker's process%s, client = the bench JVM",
                        clockTicks, broker.pid().isPresent() ? "" : " (an external broker: not measured)"),
                "units:   MB = 10^6 payload bytes, acknowledged only; latency in ms from the intended send time to the"
                        + " acknowledgement; ratios tidelog / kafka");
    }

    private void warmUp(Report report, List<Side> sides, byte[] payload, ByteWindowSender.CpuMeter self)
            throws Exception {
        if (warmupSeconds <= 0) {
            return;
        }
        List<String> figures = new ArrayList<>();
        for (Side s : sides) {
            writeBackDirtyPages();
            ByteWindowSender.Saturated w = new ByteWindowSender(s.name(), s.load(), payload, (int) window)
                    .measure(0, RunOptions.nanos(warmupSeconds), null, self);
            figures.add(String.format(Locale.ROOT, "%s %.0f msg/s", s.name(), w.messagesPerSecond()));
        }
        report.line("warm-up (discarded): %s", String.join(", ", figures));
    }

    private List<Pair> pairs(Report report, List<Side> sides, byte[] payload, ByteWindowSender.CpuMeter self)
            throws Exception {
        List<Pair> out = new ArrayList<>(pairs);
        for (int i = 1; i <= pairs; i++) {
            List<Integer> order = PairedRun.order(i, sides.size());
            ByteWindowSender.Saturated[] load = new ByteWindowSender.Saturated[sides.size()];
            WalLatencyBench.Latency[] latency = new WalLatencyBench.Latency[sides.size()];
            for (int s : order) {
                Side side = sides.get(s);
                PairedRun.progress(i, pairs, side.name() + " (saturated)");
                writeBackDirtyPages();
                load[s] = new ByteWindowSender(side.name(), side.load(), payload, (int) window)
                        .measure(RunOptions.nanos(settleSeconds), RunOptions.nanos(seconds), side.server(), self);
            }
            for (int s : order) {
                PairedRun.progress(i, pairs, sides.get(s).name() + " (latency at a fixed rate)");
                latency[s] = latencySample(sides.get(s), payload);
            }
            PairedRun.progressDone();
            List<Sample> samples = new ArrayList<>();
            for (int s = 0; s < sides.size(); s++) {
                samples.add(new Sample(load[s], latency[s]));
            }
            Pair p = new Pair(i, order, samples);
            printPair(report, p);
            out.add(p);
        }
        return out;
    }

    private WalLatencyBench.Latency latencySample(Side side, byte[] payload) throws Exception {
        writeBackDirtyPages();
        if (settleSeconds > 0) {
            WalLatencyBench.openLoopAppends(side.name(), rate, settleSeconds, i -> side.latency().send(payload));
        }
        return WalLatencyBench.openLoopAppends(side.name(), rate, latencySeconds, i -> side.latency().send(payload));
    }

    /**
     * Runs {@code sync(1)} and waits for it: every dirty page of the machine is written back before a sample starts,
     * so that no sample pays for the page cache an earlier one left dirty. Kafka's page-cache topic leaves up to a few
     * GB behind its saturated samples and its warm-up, which the kernel would otherwise write back (competing with
     * every fsync on the disk) during whichever samples come next.
     */
    static void writeBackDirtyPages() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("sync").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(SYNC_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("sync(1) did not finish within " + SYNC_TIMEOUT_SECONDS + " s");
        }
        if (p.exitValue() != 0) {
            throw new IOException("sync(1) failed with exit status " + p.exitValue());
        }
    }

    private static void printPair(Report report, Pair p) {
        report.line("");
        List<String> order = p.order().stream().map(SIDES::get).toList();
        report.line("-- pair %d (order: %s) --", p.index(), String.join(", ", order));
        report.line("%-16s %9s %8s %8s %8s %9s | %8s %8s %8s %8s", "", "msg/s", "MB/s", "srv CPU", "cli CPU",
                "MB/CPU-s", "p50 ms", "p99 ms", "p99.9 ms", "max ms");
        for (int s = 0; s < SIDES.size(); s++) {
            ByteWindowSender.Saturated t = p.samples().get(s).throughput();
            WalLatencyBench.Latency l = p.samples().get(s).latency();
            report.line("%-16s %9.0f %8.1f %8.2f %8.2f %9.1f | %8.3f %8.3f %8.3f %8.3f", SIDES.get(s),
                    t.messagesPerSecond(), t.megabytesPerSecond(), t.serverCpuSeconds(), t.clientCpuSeconds(),
                    t.megabytesPerCpuSecond(), l.p50() / 1e3, l.p99() / 1e3, l.p999() / 1e3, l.max() / 1e3);
        }
        for (int k : List.of(FSYNC, PAGECACHE)) {
            report.line("ratio tidelog/%-15s throughput %7.3f  p99 %7.3f  MB/CPU-s %7.3f", SIDES.get(k),
                    ratio(p, k, Metric.THROUGHPUT), ratio(p, k, Metric.P99), ratio(p, k, Metric.MB_PER_CPU));
        }
    }

    private static double ratio(Pair p, int kafka, Metric m) {
        return m.of(p.tidelog()) / m.of(p.samples().get(kafka));
    }

    private void summarize(Report report, List<Ratio> ratios) {
        report.line("");
        for (Ratio r : ratios) {
            if (r.metric() == Metric.MB_PER_CPU && bootstrap != null) {
                report.line("%s: not measured (the CPU of an external broker is not read)", r.label());
                continue;
            }
            report.summary(r.label(), r.summary(), r.target(), r.metric().higherIsBetter,
                    String.format(Locale.ROOT, "%s %.2fx (issue)", r.metric().higherIsBetter ? ">=" : "<=",
                            r.target()));
        }
    }

    /** A figure of one sample that the ratios compare, and the targets of its ratios against each Kafka topic. */
    enum Metric {
        THROUGHPUT("throughput", "msg/s", true, 4.0, 2.0, s -> s.throughput().messagesPerSecond()),
        P99("p99", "p99", false, 0.1, 0.2, s -> s.latency().p99()),
        MB_PER_CPU("mb_per_cpu", "MB per CPU-s", true, 3.0, 2.0, s -> s.throughput().megabytesPerCpuSecond());

        final String key;
        final String unit;
        final boolean higherIsBetter;
        private final double targetFsync;
        private final double targetPagecache;
        private final ToDoubleFunction<Sample> figure;

        Metric(String key, String unit, boolean higherIsBetter, double targetFsync, double targetPagecache,
               ToDoubleFunction<Sample> figure) {
            this.key = key;
            this.unit = unit;
            this.higherIsBetter = higherIsBetter;
            this.targetFsync = targetFsync;
            this.targetPagecache = targetPagecache;
            this.figure = figure;
        }

        double of(Sample s) {
            return figure.applyAsDouble(s);
        }

        /** The target for the ratio Tidelog / Kafka on the topic {@code kafka} ({@link #FSYNC} or not). */
        double target(int kafka) {
            return kafka == FSYNC ? targetFsync : targetPagecache;
        }
    }

    /**
     * One of the six results: the per-pair ratios Tidelog / Kafka of one metric against one topic, summarised, with
     * the target; Kafka's figures are the baseline whose spread makes a run {@code INCONCLUSIVE}.
     */
    record Ratio(Metric metric, int kafka, PairedRun.Summary summary) {
        /** The six, throughput, p99 and MB per CPU-second, each against fsync, then page cache. */
        static List<Ratio> all(List<Pair> pairs) {
            List<Ratio> out = new ArrayList<>();
            for (Metric m : Metric.values()) {
                for (int kafka : List.of(FSYNC, PAGECACHE)) {
                    double[] baseline = pairs.stream().mapToDouble(p -> m.of(p.samples().get(kafka))).toArray();
                    double[] sut = pairs.stream().mapToDouble(p -> m.of(p.tidelog())).toArray();
                    out.add(new Ratio(m, kafka, PairedRun.summarize(baseline, sut)));
                }
            }
            return out;
        }

        /** The name in the last line, e.g. {@code throughput_vs_kafka_fsync}. */
        String name() {
            return metric.key + "_vs_" + SIDES.get(kafka).replace(' ', '_');
        }

        /** The label of the summary line, e.g. {@code ratio tidelog/kafka-fsync msg/s}. */
        String label() {
            return "ratio tidelog/" + SIDES.get(kafka).replace(' ', '-') + " " + metric.unit;
        }

        double target() {
            return metric.target(kafka);
        }
    }

    /** The last line of a run: one JSON object of the six medians by name ({@code null} where not measured). */
    static String mediansJson(List<Ratio> ratios) {
        return BenchJson.write(j -> {
            j.beginObject();
            for (Ratio r : ratios) {
                j.name(r.name()).value(r.summary().median());
            }
            j.endObject();
        });
    }

    // ------------------------------------------------------------------ Kafka topics

    /** The run's two topics; closing deletes them. */
    record Topics(Admin admin, String fsync, String pagecache) implements AutoCloseable {
        private static final long TIMEOUT_SECONDS = 60;

        static Topics create(Admin admin, String prefix) throws Exception {
            Topics t = new Topics(admin, prefix + "-fsync", prefix + "-pagecache");
            admin.createTopics(List.of(newTopic(t.fsync(), true), newTopic(t.pagecache(), false))).all()
                    .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return t;
        }

        /** One partition, one replica, retention by bytes; {@code flush.messages=1} for the fsync topic. */
        static NewTopic newTopic(String name, boolean fsync) {
            Map<String, String> c = new LinkedHashMap<>();
            c.put(TopicConfig.RETENTION_BYTES_CONFIG, Long.toString(KAFKA_RETENTION_BYTES));
            c.put(TopicConfig.SEGMENT_BYTES_CONFIG, Long.toString(KAFKA_SEGMENT_BYTES));
            c.put(TopicConfig.FILE_DELETE_DELAY_MS_CONFIG, "1000");
            if (fsync) {
                c.put(TopicConfig.FLUSH_MESSAGES_INTERVAL_CONFIG, "1");
            }
            return new NewTopic(name, Optional.of(1), Optional.of((short) 1)).configs(c);
        }

        @Override
        public void close() throws IOException {
            try {
                admin.deleteTopics(List.of(fsync, pagecache)).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while deleting the topics " + fsync + " and " + pagecache, e);
            } catch (ExecutionException | TimeoutException e) {
                throw new IOException("could not delete the topics " + fsync + " and " + pagecache, e);
            }
        }
    }

    // ------------------------------------------------------------------ JSON

    private String json(MachineFacts facts, List<Pair> result, List<Ratio> ratios) {
        return BenchJson.write(j -> {
            j.beginObject()
                    .name("bench").value("vs-kafka")
                    .name("broker").value(bootstrap != null ? "external" : "child")
                    .name("payload_bytes").value(size)
                    .name("window_bytes").value(window)
                    .name("rate").value(rate)
                    .name("seconds").value(seconds)
                    .name("latency_seconds").value(latencySeconds)
                    .name("warmup_seconds").value(warmupSeconds)
                    .name("kafka_linger_ms").value(kafkaLingerMs)
                    .name("kafka_batch_bytes").value(kafkaBatchBytes)
                    .name("machine");
            facts.writeJson(j);
            j.name("results").beginArray();
            for (Ratio r : ratios) {
                j.beginObject().name("metric").value(r.name());
                Report.writeJson(j, r.summary(), r.target(), r.metric().higherIsBetter);
                j.endObject();
            }
            j.endArray().name("pairs").beginArray();
            for (Pair p : result) {
                writePair(j, p);
            }
            j.endArray().endObject();
        });
    }

    private static void writePair(JsonWriter j, Pair p) throws IOException {
        j.beginObject().name("pair").value(p.index()).name("order").beginArray();
        for (int s : p.order()) {
            j.value(SIDES.get(s));
        }
        j.endArray();
        for (int s = 0; s < SIDES.size(); s++) {
            ByteWindowSender.Saturated t = p.samples().get(s).throughput();
            WalLatencyBench.Latency l = p.samples().get(s).latency();
            j.name(SIDES.get(s).replace(' ', '_')).beginObject()
                    .name("msgs_s").value(t.messagesPerSecond())
                    .name("mb_s").value(t.megabytesPerSecond())
                    .name("server_cpu_s").value(t.serverCpuSeconds())
                    .name("client_cpu_s").value(t.clientCpuSeconds())
                    .name("mb_per_cpu_s").value(t.megabytesPerCpuSecond())
                    .name("latency_count").value(l.count())
                    .name("p50_ms").value(l.p50() / 1e3)
                    .name("p99_ms").value(l.p99() / 1e3)
                    .name("p999_ms").value(l.p999() / 1e3)
                    .name("max_ms").value(l.max() / 1e3)
                    .endObject();
        }
        j.endObject();
    }
}
