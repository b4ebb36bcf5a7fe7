package io.tidelog.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Durable append throughput of a WAL backend on one pchannel (goal G1), against the raw
 * {@code write(B) + fdatasync} loop on a preallocated file in the same directory (B_sync), where B is
 * the backend's group-commit batch size.
 *
 * <p>The SUT side is {@link WindowedAppenders}: 32 appender threads by default, each with a window of
 * outstanding appends. Only acknowledged (durable) records count; bandwidth is payload bytes per second
 * (MB = 10^6 bytes). The ratio judged is SUT bandwidth / baseline bandwidth per pair. Why B_sync: a group
 * commit that gathers B bytes per fdatasync cannot beat one thread writing B bytes per fdatasync with no
 * framing, copying or handoff, so the ratio says how much of the disk the WAL leaves on the table.
 */
@Command(name = "wal-throughput", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Durable append throughput of a WAL backend vs a raw write+fdatasync loop of the same"
                + " batch size on a preallocated file (A/B pairs; ratio = SUT MB/s / raw MB/s)."})
final class WalThroughputBench implements Callable<Integer> {
    static final double ISSUE_TARGET_16K = 0.5;
    static final double GOAL_16K = 0.7;

    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Option(names = "--sizes", split = ",", defaultValue = "1KiB,16KiB", converter = ByteSize.class,
            paramLabel = "SIZE",
            description = "Record sizes, comma-separated (default: ${DEFAULT-VALUE}).")
    List<Long> sizes;

    @Option(names = "--appenders", defaultValue = "32", paramLabel = "N",
            description = "Concurrent appender threads on the one pchannel (default: ${DEFAULT-VALUE}).")
    int appenders;

    @Option(names = "--run", defaultValue = "64", paramLabel = "N",
            description = "Records per append: runs of N with Wal.appendBatch, as a streaming node appends the plain"
                    + " messages of a produce request; 1 appends each record alone (default: ${DEFAULT-VALUE}).")
    int run;

    @Option(names = "--window", defaultValue = "0", paramLabel = "N",
            description = "Outstanding appends per appender; 0 = about 4 batches in flight in total (default).")
    int window;

    @Option(names = "--batch-bytes", defaultValue = "1MiB", converter = ByteSize.class, paramLabel = "SIZE",
            description = "Baseline write size B, also set as the local backend's wal.local.batch.max.bytes"
                    + " (default: ${DEFAULT-VALUE}).")
    long batchBytes;

    @Option(names = "--pair-seconds", defaultValue = "5", paramLabel = "S",
            description = "Duration of each side of each pair (default: ${DEFAULT-VALUE}).")
    double pairSeconds;

    @Override
    public Integer call() throws Exception {
        validate();
        List<SizeResult> results = new ArrayList<>();
        MachineFacts facts;
        Report report = new Report(spec.commandLine().getOut());
        try (WorkDir work = WorkDir.create(common.dir)) {
            facts = MachineFacts.probe(work.path());
            BackendUnderTest sut = new BackendUnderTest(common.backend, common.properties, work, batchBytes);
            report.header("wal-throughput", facts,
                    "backend: " + sut.describe() + ", one fresh directory and pchannel per SUT sample",
                    String.format(Locale.ROOT, "setup:   %d appenders on one pchannel, %s; baseline"
                            + " write+fdatasync of %s on a preallocated %s file; %d pairs x %.1fs each side, warm-up %.1fs",
                            appenders, run == 1 ? "each record appended alone" : "runs of " + run
                                    + " records per appendBatch (as a node appends a produce request's plain messages)",
                            ByteSize.format(batchBytes), ByteSize.format(common.baselineFileBytes),
                            common.pairs, pairSeconds, common.warmupSeconds)
                            + String.format(Locale.ROOT, ", SUT settles %.1fs per sample", common.settleSeconds),
                    "units:   MB/s = 10^6 payload bytes per second; rec/s of the baseline = its MB/s in records"
                            + " of the size");
            if (sut.name().equals("memory")) {
                report.line("note:    the memory backend never touches the disk: its ratio checks the harness,"
                        + " not a WAL");
            }
            try (RawSyncBaseline raw = RawSyncBaseline.preallocate(work.path().resolve("baseline.dat"),
                    common.baselineFileBytes)) {
                ByteBuffer block = RawSyncBaseline.randomDirect((int) batchBytes);
                for (long size : sizes) {
                    results.add(runSize(report, sut, raw, block, (int) size));
                }
            }
        }
        if (common.json) {
            spec.commandLine().getOut().println(json(facts, results));
            spec.commandLine().getOut().flush();
        }
        return 0;
    }

    private void validate() {
        common.validate(spec, pairSeconds);
        if (appenders < 1) {
            throw new ParameterException(spec.commandLine(), "--appenders must be at least 1, got " + appenders);
        }
        if (run < 1) {
            throw new ParameterException(spec.commandLine(), "--run must be at least 1, got " + run);
        }
        if (window < 0) {
            throw new ParameterException(spec.commandLine(), "--window must be >= 0, got " + window);
        }
        if (batchBytes > (1 << 30)) {
            throw new ParameterException(spec.commandLine(), "--batch-bytes must be at most 1GiB, got " + batchBytes);
        }
        if (batchBytes > common.baselineFileBytes) {
            throw new ParameterException(spec.commandLine(), "--batch-bytes (" + batchBytes
                    + ") must not exceed --baseline-file-bytes (" + common.baselineFileBytes + ")");
        }
        for (long size : sizes) {
            if (size > batchBytes) {
                throw new ParameterException(spec.commandLine(), "record size " + ByteSize.format(size)
                        + " exceeds --batch-bytes " + ByteSize.format(batchBytes));
            }
        }
    }

    private record SizeResult(int size, int window, List<PairedRun.Pair<WindowedAppenders.Throughput>> pairs,
                              PairedRun.Summary summary, double target) {
    }

    private SizeResult runSize(Report report, BackendUnderTest sut, RawSyncBaseline raw, ByteBuffer block, int size)
            throws Exception {
        int given = window > 0 ? window : WindowedAppenders.defaultWindow(batchBytes, appenders, size);
        int perAppender = (given + run - 1) / run * run; // whole runs
        report.line("");
        report.line("-- record size %s: %d appenders x window %d = %s in flight at most --", ByteSize.format(size),
                appenders, perAppender, ByteSize.format((long) appenders * perAppender * size));
        if (common.warmupSeconds > 0) {
            WindowedAppenders.Throughput b = baseline(raw, block, size, common.warmupSeconds);
            WindowedAppenders.Throughput s = sutSample(sut, size, perAppender, common.warmupSeconds);
            report.line("warm-up (discarded): raw %.1f MB/s, %s %.1f MB/s", b.megabytesPerSecond(), sut.name(),
                    s.megabytesPerSecond());
        }
        report.line("%4s %12s %12s %12s %12s %8s", "pair", "raw MB/s", "raw rec/s", sut.name() + " MB/s",
                sut.name() + " rec/s", "ratio");
        List<PairedRun.Pair<WindowedAppenders.Throughput>> pairs = PairedRun.alternate(common.pairs,
                i -> baseline(raw, block, size, pairSeconds),
                i -> sutSample(sut, size, perAppender, pairSeconds),
                p -> report.line("%4d %12.1f %12.0f %12.1f %12.0f %8.3f", p.index(),
                        p.baseline().megabytesPerSecond(), p.baseline().recordsPerSecond(),
                        p.sut().megabytesPerSecond(), p.sut().recordsPerSecond(),
                        p.sut().bytesPerSecond() / p.baseline().bytesPerSecond()));
        PairedRun.Summary summary = PairedRun.summarize(pairs, WindowedAppenders.Throughput::bytesPerSecond);
        boolean targeted = size == 16 * 1024;
        double target = targeted ? ISSUE_TARGET_16K : Double.NaN;
        report.summary(String.format(Locale.ROOT, "ratio %s/raw MB/s @%s", sut.name(), ByteSize.format(size)),
                summary, target, true, targeted
                        ? String.format(Locale.ROOT, ">= %.2fx (issue), goal >= %.2fx", ISSUE_TARGET_16K, GOAL_16K)
                        : "none vs B_sync (G2 compares 1 KiB against Kafka)");
        return new SizeResult(size, perAppender, pairs, summary, target);
    }

    private WindowedAppenders.Throughput baseline(RawSyncBaseline raw, ByteBuffer block, int recordBytes,
                                                  double seconds) throws IOException {
        double bps = raw.bytesPerSecond(block, CommonOptions.nanos(seconds));
        return new WindowedAppenders.Throughput(bps, bps / recordBytes);
    }

    private WindowedAppenders.Throughput sutSample(BackendUnderTest sut, int size, int perAppender, double seconds)
            throws Exception {
        long nanos = CommonOptions.nanos(seconds);
        try (BackendUnderTest.Opened o = sut.open("throughput")) {
            return new WindowedAppenders(o.wal(), appenders, perAppender, size, run)
                    .measure(CommonOptions.nanos(common.settleSeconds), nanos);
        }
    }

    private String json(MachineFacts facts, List<SizeResult> results) {
        return BenchJson.write(j -> {
            j.beginObject()
                    .name("bench").value("wal-throughput")
                    .name("backend").value(common.backend)
                    .name("appenders").value(appenders)
                    .name("batch_bytes").value(batchBytes)
                    .name("pair_seconds").value(pairSeconds)
                    .name("machine");
            facts.writeJson(j);
            j.name("results").beginArray();
            for (SizeResult r : results) {
                j.beginObject().name("record_bytes").value(r.size()).name("window").value(r.window())
                        .name("metric").value("bandwidth_ratio");
                Report.writeJson(j, r.summary(), r.target(), true);
                j.name("pairs").beginArray();
                for (PairedRun.Pair<WindowedAppenders.Throughput> p : r.pairs()) {
                    j.beginObject()
                            .name("baseline_mb_s").value(p.baseline().megabytesPerSecond())
                            .name("sut_mb_s").value(p.sut().megabytesPerSecond())
                            .name("sut_records_s").value(p.sut().recordsPerSecond())
                            .name("ratio").value(p.sut().bytesPerSecond() / p.baseline().bytesPerSecond())
                            .endObject();
                }
                j.endArray().endObject();
            }
            j.endArray().endObject();
        });
    }
}
