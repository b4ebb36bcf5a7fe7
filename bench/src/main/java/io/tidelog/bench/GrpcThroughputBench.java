package io.tidelog.bench;

import io.tidelog.client.StreamingClient;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * End-to-end durable produce throughput over gRPC (goal G2's setting, against B_sync as G1 is): a
 * standalone server in a child process ({@link ServerUnderTest}), {@link GrpcProducers} sending through
 * the Java client over loopback TCP, V vchannels spread over P pchannels; against the raw
 * {@code write(B) + fdatasync} loop of {@code wal-throughput} with the WAL's batch size B (1 MiB).
 *
 * <p>Producers share one client by default: the client is a process-wide object (one Produce stream
 * per pchannel, shared by every thread and vchannel on it, batching what they queue), so one client per
 * application is how it is meant to be used. {@code --clients N} gives each producer one of N clients
 * (N connections, N streams per pchannel) to compare.
 *
 * <p>One server per topology serves all its sizes and pairs, a long-lived service as users run it: after its
 * start it takes the full load for {@code --server-warmup-seconds}, discarded (a server measured a second after its
 * start measured its JIT compiler, not its steady state); then each sample runs the load for the settle period and
 * measures. Its WAL keeps {@link ServerUnderTest#RETENTION_BYTES} per pchannel, so minutes of full load do not fill
 * the disk.
 */
@Command(name = "grpc-throughput", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Durable produce throughput over gRPC to a standalone server (a child process) vs a raw"
                + " write+fdatasync loop of the WAL's batch size (A/B pairs; ratio = gRPC MB/s / raw MB/s)."})
final class GrpcThroughputBench implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    GrpcOptions common;

    @Option(names = "--sizes", split = ",", defaultValue = "1KiB,16KiB", converter = ByteSize.class,
            paramLabel = "SIZE", description = "Payload sizes, comma-separated (default: ${DEFAULT-VALUE}).")
    List<Long> sizes;

    @Option(names = "--channels", split = ",", defaultValue = "16:4,1:1", converter = Topology.Converter.class,
            paramLabel = "V:P", description = "V vchannels spread over P pchannels (the server gets P pchannels),"
                    + " comma-separated (default: ${DEFAULT-VALUE}).")
    List<Topology> topologies;

    @Option(names = "--producers", defaultValue = "8", paramLabel = "N",
            description = "Producer threads, each sending to every vchannel in turn (default: ${DEFAULT-VALUE}).")
    int producers;

    @Option(names = "--clients", defaultValue = "1", paramLabel = "N",
            description = "Clients the producers share (producer i uses client i mod N); 1 = one client for the"
                    + " whole process, as an application would (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--window", defaultValue = "0", paramLabel = "N",
            description = "Outstanding appends per producer; 0 = about 4 batches in flight per pchannel in total,"
                    + " but no more than the client holds for one pchannel (default).")
    int window;

    @Option(names = "--batch-bytes", defaultValue = "1MiB", converter = ByteSize.class, paramLabel = "SIZE",
            description = "Baseline write size B, also the server's wal.local.batch.max.bytes (default: ${DEFAULT-VALUE}).")
    long batchBytes;

    @Option(names = "--pair-seconds", defaultValue = "2", paramLabel = "S",
            description = "Duration of each side of each pair (default: ${DEFAULT-VALUE}).")
    double pairSeconds;

    @Option(names = "--wal-context", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Also measure, once per size and unpaired, the in-process wal-throughput figure (32"
                    + " appenders on the local backend) for context (default: on; --no-wal-context to skip).")
    boolean walContext;

    /** V vchannels over P pchannels. */
    record Topology(int vchannels, int pchannels) {
        @Override
        public String toString() {
            return vchannels + ":" + pchannels;
        }

        List<String> names() {
            List<String> out = new ArrayList<>(vchannels);
            for (int i = 0; i < vchannels; i++) {
                out.add(ServerUnderTest.vchannel(i, pchannels));
            }
            return out;
        }

        static final class Converter implements ITypeConverter<Topology> {
            @Override
            public Topology convert(String value) {
                String[] f = value.trim().split(":");
                try {
                    if (f.length == 2) {
                        int v = Integer.parseInt(f[0].trim());
                        int p = Integer.parseInt(f[1].trim());
                        if (v >= 1 && p >= 1 && p <= v && p <= 1024) {
                            return new Topology(v, p);
                        }
                    }
                } catch (NumberFormatException ignored) {
                    // the message below says what is expected
                }
                throw new TypeConversionException("'" + value + "' is not V:P with 1 <= P <= V (P <= 1024),"
                        + " e.g. 16:4");
            }
        }
    }

    /** One sample: throughput, and for the SUT the send-to-ack latency of its appends (NaN for the baseline). */
    record Sample(double bytesPerSecond, double recordsPerSecond, double ackP50Micros, double ackP99Micros) {
        double megabytesPerSecond() {
            return bytesPerSecond / 1e6;
        }
    }

    private record Result(Topology topology, int size, int window, List<PairedRun.Pair<Sample>> pairs,
                          PairedRun.Summary summary) {
    }

    @Override
    public Integer call() throws Exception {
        validate();
        Report report = new Report(spec.commandLine().getOut());
        List<Result> results = new ArrayList<>();
        List<String> context = new ArrayList<>();
        MachineFacts facts;
        try (WorkDir work = WorkDir.create(common.dir)) {
            facts = MachineFacts.probe(work.path());
            ServerUnderTest sut = new ServerUnderTest(common.properties, work, batchBytes);
            report.header("grpc-throughput", facts,
                    String.format(Locale.ROOT, "server:  %s; one server per V:P for all its sizes and pairs, taking"
                            + " %.1fs of full load (split over the sizes) before its first sample", sut.describe(1),
                            common.serverWarmupSeconds),
                    String.format(Locale.ROOT, "setup:   %d producer threads on %s, pipelined (window per producer"
                            + " below); baseline write+fdatasync of %s on a preallocated %s file; %d pairs x %.1fs each"
                            + " side, warm-up %.1fs, SUT settles %.1fs per sample", producers,
                            clients == 1 ? "one shared client" : clients + " clients", ByteSize.format(batchBytes),
                            ByteSize.format(common.baselineFileBytes), common.pairs, pairSeconds, common.warmupSeconds,
                            common.settleSeconds),
                    "units:   MB/s = 10^6 payload bytes per second, acknowledged (durable) appends only");
            try (RawSyncBaseline raw = RawSyncBaseline.preallocate(work.path().resolve("baseline.dat"),
                    common.baselineFileBytes)) {
                ByteBuffer block = RawSyncBaseline.randomDirect((int) batchBytes);
                boolean warm = common.warmupSeconds <= 0;
                for (Topology t : topologies) {
                    try (ServerUnderTest.Started server = sut.start("grpc-throughput", t.pchannels())) {
                        List<StreamingClient> cs = clients(server);
                        report.line("");
                        warmServer(report, cs, t);
                        for (long size : sizes) {
                            int w = windowFor(t, size);
                            report.line("");
                            report.line("-- %d vchannels on %d pchannels, payload %s: %d producers x window %d = %s in"
                                    + " flight at most --", t.vchannels(), t.pchannels(), ByteSize.format(size),
                                    producers, w, ByteSize.format((long) producers * w * size));
                            if (!warm) {
                                Sample b = baseline(raw, block, (int) size, common.warmupSeconds);
                                Sample s = sutSample(cs, t, (int) size, w, common.warmupSeconds);
                                report.line("warm-up (discarded): raw %.1f MB/s, grpc %.1f MB/s",
                                        b.megabytesPerSecond(), s.megabytesPerSecond());
                                warm = true;
                            }
                            results.add(runPairs(report, cs, raw, block, t, (int) size, w));
                        }
                    }
                }
            }
            if (walContext) {
                report.line("");
                BackendUnderTest wal = new BackendUnderTest("local", walProperties(), work, batchBytes);
                for (long size : sizes) {
                    int appenders = 32;
                    int w = WindowedAppenders.defaultWindow(batchBytes, appenders, (int) size);
                    WindowedAppenders.Throughput s;
                    try (BackendUnderTest.Opened o = wal.open("wal-context")) {
                        s = new WindowedAppenders(o.wal(), appenders, w, (int) size)
                                .measure(RunOptions.nanos(common.settleSeconds), RunOptions.nanos(pairSeconds));
                    }
                    String line = String.format(Locale.ROOT, "context (unpaired, not a result): in-process"
                            + " wal-throughput, local backend, 1 pchannel, %d appenders @%s: %.1f MB/s, %.0f rec/s",
                            appenders, ByteSize.format(size), s.megabytesPerSecond(), s.recordsPerSecond());
                    context.add(line);
                    report.line("%s", line);
                }
            }
        }
        if (common.json) {
            spec.commandLine().getOut().println(json(facts, results));
            spec.commandLine().getOut().flush();
        }
        return 0;
    }

    /** The server's WAL keys (those the in-process context run understands). */
    private java.util.Map<String, String> walProperties() {
        java.util.Map<String, String> p = new java.util.LinkedHashMap<>();
        common.properties.forEach((k, v) -> {
            if (k.startsWith("wal.local.")) {
                p.put(k, v);
            }
        });
        return p;
    }

    private void validate() {
        common.validate(spec, pairSeconds);
        if (producers < 1) {
            throw new ParameterException(spec.commandLine(), "--producers must be at least 1, got " + producers);
        }
        if (clients < 1 || clients > producers) {
            throw new ParameterException(spec.commandLine(), "--clients must lie in [1, --producers], got " + clients);
        }
        if (window < 0) {
            throw new ParameterException(spec.commandLine(), "--window must be >= 0, got " + window);
        }
        if (batchBytes > (1 << 30) || batchBytes > common.baselineFileBytes) {
            throw new ParameterException(spec.commandLine(), "--batch-bytes must be at most 1GiB and fit"
                    + " --baseline-file-bytes, got " + batchBytes);
        }
        for (long size : sizes) {
            if (size > batchBytes) {
                throw new ParameterException(spec.commandLine(), "payload size " + ByteSize.format(size)
                        + " exceeds --batch-bytes " + ByteSize.format(batchBytes));
            }
        }
    }

    private Result runPairs(Report report, List<StreamingClient> cs, RawSyncBaseline raw, ByteBuffer block,
                            Topology t, int size, int w) throws Exception {
        report.line("%4s %12s %12s %12s %12s %8s | %10s %10s", "pair", "raw MB/s", "raw rec/s", "grpc MB/s",
                "grpc msg/s", "ratio", "ack p50 ms", "ack p99 ms");
        List<PairedRun.Pair<Sample>> pairs = PairedRun.alternate(common.pairs,
                i -> baseline(raw, block, size, pairSeconds),
                i -> sutSample(cs, t, size, w, pairSeconds),
                p -> report.line("%4d %12.1f %12.0f %12.1f %12.0f %8.3f | %10.2f %10.2f", p.index(),
                        p.baseline().megabytesPerSecond(), p.baseline().recordsPerSecond(),
                        p.sut().megabytesPerSecond(), p.sut().recordsPerSecond(),
                        p.sut().bytesPerSecond() / p.baseline().bytesPerSecond(),
                        p.sut().ackP50Micros() / 1e3, p.sut().ackP99Micros() / 1e3));
        PairedRun.Summary summary = PairedRun.summarize(pairs, Sample::bytesPerSecond);
        double[] msgs = pairs.stream().mapToDouble(p -> p.sut().recordsPerSecond()).sorted().toArray();
        report.summary(String.format(Locale.ROOT, "ratio grpc/raw MB/s @%s %s", ByteSize.format(size), t), summary,
                Double.NaN, true, "none (G1 >= 0.70x is for the in-process WAL)");
        report.line("grpc msg/s @%s %s: median %.0f  min %.0f  max %.0f", ByteSize.format(size), t,
                median(msgs), msgs[0], msgs[msgs.length - 1]);
        return new Result(t, size, w, pairs, summary);
    }

    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private Sample baseline(RawSyncBaseline raw, ByteBuffer block, int recordBytes, double seconds) throws IOException {
        double bps = raw.bytesPerSecond(block, RunOptions.nanos(seconds));
        return new Sample(bps, bps / recordBytes, Double.NaN, Double.NaN);
    }

    /** The window per producer for payloads of {@code size} on topology {@code t}: {@code --window} or the default. */
    private int windowFor(Topology t, long size) {
        return window > 0 ? window
                : GrpcProducers.defaultWindow(batchBytes, t.pchannels(), producers, (int) size, clients);
    }

    /** The server's first client and as many more as {@code --clients} asks, all closed with the server. */
    private List<StreamingClient> clients(ServerUnderTest.Started server) {
        List<StreamingClient> cs = new ArrayList<>();
        cs.add(server.client());
        for (int i = 1; i < clients; i++) {
            cs.add(server.newClient());
        }
        return cs;
    }

    /**
     * Runs the full load on a server that just started, each size in turn for its share of
     * {@code --server-warmup-seconds}, discarded: its hot paths get compiled before any sample.
     */
    private void warmServer(Report report, List<StreamingClient> cs, Topology t) throws Exception {
        if (common.serverWarmupSeconds <= 0) {
            return;
        }
        List<String> figures = new ArrayList<>();
        for (long size : sizes) {
            WindowedAppenders.Throughput r = new GrpcProducers(cs, t.names(), producers, windowFor(t, size), (int) size)
                    .measure(0, RunOptions.nanos(common.serverWarmupSeconds / sizes.size()));
            figures.add(String.format(Locale.ROOT, "%s %.1f MB/s", ByteSize.format(size), r.megabytesPerSecond()));
        }
        report.line("server warm-up for %s (discarded): %s", t, String.join(", ", figures));
    }

    private Sample sutSample(List<StreamingClient> cs, Topology t, int size, int w, double seconds) throws Exception {
        GrpcProducers load = new GrpcProducers(cs, t.names(), producers, w, size);
        WindowedAppenders.Throughput r = load.measure(RunOptions.nanos(common.settleSeconds),
                RunOptions.nanos(seconds));
        org.HdrHistogram.Histogram h = load.latencies();
        return new Sample(r.bytesPerSecond(), r.recordsPerSecond(), h.getValueAtPercentile(50) / 1e3,
                h.getValueAtPercentile(99) / 1e3);
    }

    private String json(MachineFacts facts, List<Result> results) {
        return BenchJson.write(j -> {
            j.beginObject()
                    .name("bench").value("grpc-throughput")
                    .name("producers").value(producers)
                    .name("clients").value(clients)
                    .name("batch_bytes").value(batchBytes)
                    .name("pair_seconds").value(pairSeconds)
                    .name("machine");
            facts.writeJson(j);
            j.name("results").beginArray();
            for (Result r : results) {
                j.beginObject().name("vchannels").value(r.topology().vchannels()).name("pchannels").value(r.topology().pchannels())
                        .name("payload_bytes").value(r.size()).name("window").value(r.window()).name("metric").value("bandwidth_ratio");
                Report.writeJson(j, r.summary(), Double.NaN, true);
                j.name("pairs").beginArray();
                for (PairedRun.Pair<Sample> p : r.pairs()) {
                    j.beginObject()
                            .name("baseline_mb_s").value(p.baseline().megabytesPerSecond())
                            .name("sut_mb_s").value(p.sut().megabytesPerSecond())
                            .name("sut_msgs_s").value(p.sut().recordsPerSecond())
                            .name("sut_ack_p50_us").value(p.sut().ackP50Micros())
                            .name("sut_ack_p99_us").value(p.sut().ackP99Micros())
                            .name("ratio").value(p.sut().bytesPerSecond() / p.baseline().bytesPerSecond())
                            .endObject();
                }
                j.endArray().endObject();
            }
            j.endArray().endObject();
        });
    }
}
