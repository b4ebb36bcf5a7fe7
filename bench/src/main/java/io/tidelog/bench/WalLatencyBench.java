package io.tidelog.bench;

import com.google.gson.stream.JsonWriter;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.Wal;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongFunction;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Unloaded durable-append latency (goal G3): an {@link OpenLoop} at a fixed rate of single appends,
 * latency from the intended send time to the durable acknowledgement, against the same open loop doing
 * one {@code write + fdatasync} of the same size per operation on a preallocated file (L_sync).
 *
 * <p>The SUT side issues appends asynchronously from the sender thread and records latency in the
 * completion callback; the baseline writes and syncs synchronously on the sender thread, so a slow sync
 * delays the next sends, and that delay is charged to them because latency counts from the grid. Ratios
 * judged: SUT p99 / raw p99 and SUT p50 / raw p50, per pair. Each SUT sample opens a fresh pchannel and
 * runs the same open loop for the settle period first, discarded (see {@link BackendUnderTest}).
 */
@Command(name = "wal-latency", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Open-loop append latency of a WAL backend at a fixed rate vs one write+fdatasync per"
                + " operation on a preallocated file (A/B pairs; ratios of p50 and p99, from intended send time)."})
final class WalLatencyBench implements Callable<Integer> {
    static final double ISSUE_TARGET_P99 = 5.0;
    static final double GOAL_P99 = 3.0;
    static final double GOAL_P50 = 1.5;
    private static final long COMPLETION_TIMEOUT_SECONDS = 30;

    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Option(names = "--rate", defaultValue = "1000", paramLabel = "OPS",
            description = "Appends per second, on a fixed schedule (default: ${DEFAULT-VALUE}).")
    long rate;

    @Option(names = "--size", defaultValue = "1KiB", converter = ByteSize.class, paramLabel = "SIZE",
            description = "Record size (default: ${DEFAULT-VALUE}).")
    long size;

    @Option(names = {"--seconds", "--pair-seconds"}, defaultValue = "3", paramLabel = "S",
            description = "Duration of each side of each pair (default: ${DEFAULT-VALUE}).")
    double seconds;

    /** Latency percentiles of one sample, in microseconds. */
    record Latency(long count, double p50, double p99, double p999, double max, double maxSendLag) {
        static Latency of(Histogram h, long maxSendLagNanos) {
            return new Latency(h.getTotalCount(), h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3,
                    h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3, maxSendLagNanos / 1e3);
        }
    }

    @Override
    public Integer call() throws Exception {
        common.validate(spec, seconds);
        if (rate < 1) {
            throw new ParameterException(spec.commandLine(), "--rate must be at least 1, got " + rate);
        }
        if (size > common.baselineFileBytes || size > (1 << 30)) {
            throw new ParameterException(spec.commandLine(), "--size " + ByteSize.format(size)
                    + " must fit --baseline-file-bytes and 1GiB");
        }
        Report report = new Report(spec.commandLine().getOut());
        MachineFacts facts;
        List<PairedRun.Pair<Latency>> pairs;
        try (WorkDir work = WorkDir.create(common.dir)) {
            facts = MachineFacts.probe(work.path());
            BackendUnderTest sut = new BackendUnderTest(common.backend, common.properties, work, null);
            report.header("wal-latency", facts,
                    "backend: " + sut.describe() + ", one fresh directory and pchannel per SUT sample",
                    String.format(Locale.ROOT, "setup:   open loop %d/s of %s for %.1fs each side; baseline"
                            + " write+fdatasync per op on a preallocated %s file; %d pairs, warm-up %.1fs",
                            rate, ByteSize.format(size), seconds, ByteSize.format(common.baselineFileBytes),
                            common.pairs, common.warmupSeconds)
                            + String.format(Locale.ROOT, ", SUT settles %.1fs per sample", common.settleSeconds),
                    "units:   microseconds from the intended send time to the durable acknowledgement");
            if (sut.name().equals("memory")) {
                report.line("note:    the memory backend never touches the disk: its ratio checks the harness,"
                        + " not a WAL");
            }
            try (RawSyncBaseline raw = RawSyncBaseline.preallocate(work.path().resolve("baseline.dat"),
                    common.baselineFileBytes)) {
                ByteBuffer record = RawSyncBaseline.randomDirect((int) size);
                if (common.warmupSeconds > 0) {
                    Latency b = baseline(raw, record, common.warmupSeconds);
                    Latency s = sutSample(sut, record, common.warmupSeconds);
                    report.line("warm-up (discarded): raw p99 %.1f us, %s p99 %.1f us", b.p99(), sut.name(), s.p99());
                }
                printHeader(report, sut.name());
                pairs = PairedRun.alternate(common.pairs,
                        i -> baseline(raw, record, seconds),
                        i -> sutSample(sut, record, seconds),
                        p -> printPair(report, p));
            }
        }
        PairedRun.Summary p50 = PairedRun.summarize(pairs, Latency::p50);
        PairedRun.Summary p99 = PairedRun.summarize(pairs, Latency::p99);
        report.line("");
        report.summary(String.format(Locale.ROOT, "ratio %s/raw p50", common.backend), p50, GOAL_P50, false,
                String.format(Locale.ROOT, "<= %.1fx (goal G3)", GOAL_P50));
        report.summary(String.format(Locale.ROOT, "ratio %s/raw p99", common.backend), p99, ISSUE_TARGET_P99, false,
                String.format(Locale.ROOT, "<= %.1fx (issue), goal <= %.1fx", ISSUE_TARGET_P99, GOAL_P99));
        if (common.json) {
            spec.commandLine().getOut().println(json(facts, pairs, p50, p99));
            spec.commandLine().getOut().flush();
        }
        return 0;
    }

    /** The column heads of {@link #printPair}, the SUT's named {@code sutName}. */
    static void printHeader(Report report, String sutName) {
        report.line("%4s %7s | %9s %9s %9s %9s | %9s %9s %9s %9s | %7s %7s", "pair", "n",
                "raw p50", "p99", "p99.9", "max", sutName + " p50", "p99", "p99.9", "max",
                "p50 x", "p99 x");
    }

    /** One pair: the SUT's count, both sides' percentiles and the p50 and p99 ratios. */
    static void printPair(Report report, PairedRun.Pair<Latency> p) {
        Latency b = p.baseline();
        Latency s = p.sut();
        report.line("%4d %7d | %9.1f %9.1f %9.1f %9.1f | %9.1f %9.1f %9.1f %9.1f | %7.2f %7.2f", p.index(), s.count(),
                b.p50(), b.p99(), b.p999(), b.max(), s.p50(), s.p99(), s.p999(), s.max(),
                s.p50() / b.p50(), s.p99() / b.p99());
    }

    private Latency baseline(RawSyncBaseline raw, ByteBuffer record, double secs) throws Exception {
        return rawOpenLoop(raw, record, rate, secs);
    }

    /**
     * L_sync at a rate: the open loop doing one synchronous {@code write + fdatasync} of {@code record}
     * per operation on the sender thread, for {@code secs}.
     */
    static Latency rawOpenLoop(RawSyncBaseline raw, ByteBuffer record, long rate, double secs) throws Exception {
        OpenLoop loop = new OpenLoop(rate, OpenLoop.Clock.SYSTEM);
        loop.run(OpenLoop.operationsIn(secs, rate), (i, intended) -> {
            raw.writeAndSync(record);
            loop.recordCompletion(intended);
        });
        return Latency.of(loop.latencies(), loop.maxSendLagNanos());
    }

    private Latency sutSample(BackendUnderTest sut, ByteBuffer record, double secs) throws Exception {
        try (BackendUnderTest.Opened o = sut.open("latency")) {
            if (common.settleSeconds > 0) {
                openLoopAppends(o.wal(), "backend " + sut.name(), record, rate, common.settleSeconds);
            }
            return openLoopAppends(o.wal(), "backend " + sut.name(), record, rate, secs);
        }
    }

    /**
     * Runs an open loop of asynchronous appends of {@code record} to {@code wal} at {@code rate} for {@code secs},
     * and waits for every acknowledgement; a failed append fails the sample, naming {@code name}.
     */
    static Latency openLoopAppends(Wal wal, String name, ByteBuffer record, long rate, double secs) throws Exception {
        return openLoopAppends(name, rate, secs, i -> wal.append(record.duplicate()));
    }

    /**
     * Runs an open loop at {@code rate} for {@code secs} of asynchronous appends, {@code append} issuing the
     * {@code i}-th, and waits for every acknowledgement; a failed append fails the sample, naming {@code name}.
     */
    static Latency openLoopAppends(String name, long rate, double secs, LongFunction<CompletableFuture<?>> append)
            throws Exception {
        long n = OpenLoop.operationsIn(secs, rate);
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("too many operations in one sample: " + n);
        }
        OpenLoop loop = new OpenLoop(rate, OpenLoop.Clock.SYSTEM);
        CountDownLatch done = new CountDownLatch((int) n);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        loop.run(n, (i, intended) -> append.apply(i).whenComplete((result, error) -> {
            if (error != null) {
                failure.compareAndSet(null, error);
            } else {
                loop.recordCompletion(intended);
            }
            done.countDown();
        }));
        if (!done.await(COMPLETION_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            throw new IllegalStateException(done.getCount() + " of " + n + " appends still not acknowledged "
                    + COMPLETION_TIMEOUT_SECONDS + " s after the last was sent");
        }
        Throwable f = failure.get();
        if (f != null) {
            StreamingException e = StreamingException.from(f);
            throw new StreamingException(e.code(), "append to " + name + " failed: " + e.detail(), f);
        }
        return Latency.of(loop.latencies(), loop.maxSendLagNanos());
    }

    private String json(MachineFacts facts, List<PairedRun.Pair<Latency>> pairs, PairedRun.Summary p50,
                        PairedRun.Summary p99) {
        return BenchJson.write(j -> {
            j.beginObject()
                    .name("bench").value("wal-latency")
                    .name("backend").value(common.backend)
                    .name("rate").value(rate)
                    .name("record_bytes").value(size)
                    .name("pair_seconds").value(seconds)
                    .name("machine");
            facts.writeJson(j);
            j.name("results").beginArray();
            j.beginObject().name("metric").value("p50_ratio");
            Report.writeJson(j, p50, GOAL_P50, false);
            j.endObject();
            j.beginObject().name("metric").value("p99_ratio");
            Report.writeJson(j, p99, ISSUE_TARGET_P99, false);
            j.endObject();
            j.endArray().name("pairs");
            writePairs(j, pairs);
            j.endObject();
        });
    }

    /** The pairs as a JSON array of objects with both sides' percentiles. */
    static void writePairs(JsonWriter j, List<PairedRun.Pair<Latency>> pairs) throws IOException {
        j.beginArray();
        for (PairedRun.Pair<Latency> p : pairs) {
            j.beginObject();
            writeLatency(j, "baseline", p.baseline());
            writeLatency(j, "sut", p.sut());
            j.endObject();
        }
        j.endArray();
    }

    private static void writeLatency(JsonWriter j, String side, Latency l) throws IOException {
        j.name(side + "_count").value(l.count()).name(side + "_p50_us").value(l.p50())
                .name(side + "_p99_us").value(l.p99()).name(side + "_p999_us").value(l.p999())
                .name(side + "_max_us").value(l.max());
    }

}
