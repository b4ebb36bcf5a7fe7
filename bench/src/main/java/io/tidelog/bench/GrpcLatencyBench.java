package io.tidelog.bench;

import io.tidelog.client.ConsumerOptions;
import io.tidelog.client.StartPosition;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.StreamingException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Produce latency over gRPC at a fixed rate (goal G4's setting) and tail visibility, against L_sync.
 *
 * <p>SUT: an {@link OpenLoop} of single appends through the Java client to a standalone server in the
 * bench JVM ({@link ServerUnderTest}), latency from the intended send time to the acknowledgement (the
 * append is durable then). Baseline: the same open loop doing one {@code write + fdatasync} of the same
 * size per operation on a preallocated file, as {@code wal-latency} does. Ratios judged per pair: p50 and
 * p99.
 *
 * <p>Tail visibility (the "a tail consumer sees a message within a few milliseconds of its
 * ack"): a consumer of the same vchannel, started at LATEST before the samples, notes when each message
 * reaches its {@code poll} ({@link TailWatcher}); per message, seen - acknowledged and seen - intended
 * send time. A message can reach the consumer before its producer has the ack (the node publishes it to
 * the write-ahead buffer when it is durable, and the two answers race over the loopback); those count
 * as 0 and are reported as "seen first".
 *
 * <p>One server, client and consumer serve the whole run (a long-lived service at a light load, as the
 * goal has it). After its start the server takes the full load of a few producers for {@code
 * --server-warmup-seconds}, discarded, so that its code is compiled before anything is measured; then the open loop
 * runs for the settle period once.
 */
@Command(name = "grpc-latency", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Open-loop produce latency over gRPC at a fixed rate vs one write+fdatasync per operation"
                + " (A/B pairs; ratios of p50 and p99, from the intended send time), and tail visibility: when a"
                + " consumer started at LATEST sees each message, after its ack and after its intended send time."})
final class GrpcLatencyBench implements Callable<Integer> {
    private static final long COMPLETION_TIMEOUT_SECONDS = 30;
    private static final long VISIBILITY_TIMEOUT_SECONDS = 10;
    /** Producer threads of the server's warm-up, as many as {@code grpc-throughput} runs. */
    private static final int WARMUP_PRODUCERS = 8;

    @Spec
    CommandSpec spec;

    @Mixin
    GrpcOptions common;

    @Option(names = "--rate", defaultValue = "1000", paramLabel = "OPS",
            description = "Appends per second, on a fixed schedule (default: ${DEFAULT-VALUE}).")
    long rate;

    @Option(names = "--size", defaultValue = "1KiB", converter = ByteSize.class, paramLabel = "SIZE",
            description = "Payload size, at least " + TailWatcher.HEADER_BYTES + " bytes (default: ${DEFAULT-VALUE}).")
    long size;

    @Option(names = "--pchannels", defaultValue = "1", paramLabel = "P",
            description = "pchannels of the server; the messages go to one vchannel of pchannel-0 (default:"
                    + " ${DEFAULT-VALUE}).")
    int pchannels;

    @Option(names = {"--seconds", "--pair-seconds"}, defaultValue = "3", paramLabel = "S",
            description = "Duration of each side of each pair (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--no-tail", description = "Do not run the tail consumer.")
    boolean noTail;

    /** One sample: produce latency, and for the SUT the two visibility histograms (null without a consumer). */
    record Sample(WalLatencyBench.Latency latency, Histogram afterAck, Histogram afterIntended, long seenFirst,
                  long missing) {
        /** A sample of latency alone (the baseline's). */
        static Sample of(WalLatencyBench.Latency latency) {
            return new Sample(latency, null, null, 0, 0);
        }
    }

    @Override
    public Integer call() throws Exception {
        common.validate(spec, seconds);
        if (rate < 1) {
            throw new ParameterException(spec.commandLine(), "--rate must be at least 1, got " + rate);
        }
        if (size < TailWatcher.HEADER_BYTES || size > common.baselineFileBytes || size > (1 << 30)) {
            throw new ParameterException(spec.commandLine(), "--size " + ByteSize.format(size) + " must be at least "
                    + TailWatcher.HEADER_BYTES + " bytes and fit --baseline-file-bytes");
        }
        if (pchannels < 1 || pchannels > 1024) {
            throw new ParameterException(spec.commandLine(), "--pchannels must lie in [1, 1024], got " + pchannels);
        }
        if (OpenLoop.operationsIn(Math.max(seconds, Math.max(common.warmupSeconds, common.settleSeconds)), rate)
                > Integer.MAX_VALUE / 2) {
            throw new ParameterException(spec.commandLine(), "--rate x --seconds is too many operations for one sample");
        }
        Report report = new Report(spec.commandLine().getOut());
        MachineFacts facts;
        List<PairedRun.Pair<Sample>> pairs;
        String vchannel = ServerUnderTest.vchannel(0, pchannels);
        try (WorkDir work = WorkDir.create(common.dir)) {
            facts = MachineFacts.probe(work.path());
            ServerUnderTest sut = new ServerUnderTest(common.properties, work, 1 << 20);
            report.header("grpc-latency", facts,
                    "server:  " + sut.describe(pchannels) + ", " + pchannels + " pchannel(s); one server, client and"
                            + " consumer for the whole run",
                    String.format(Locale.ROOT, "setup:   open loop %d/s of %s to %s for %.1fs each side; baseline"
                            + " write+fdatasync per op on a preallocated %s file; %d pairs, warm-up %.1fs, the server"
                            + " takes %.1fs of full load (%d producers) and settles %.1fs at the rate once", rate,
                            ByteSize.format(size), vchannel, seconds, ByteSize.format(common.baselineFileBytes),
                            common.pairs, common.warmupSeconds, common.serverWarmupSeconds, WARMUP_PRODUCERS,
                            common.settleSeconds),
                    "units:   microseconds; produce latency from the intended send time to the durable ack;"
                            + (noTail ? "" : " tail = when the LATEST consumer's poll returned the message"));
            try (RawSyncBaseline raw = RawSyncBaseline.preallocate(work.path().resolve("baseline.dat"),
                    common.baselineFileBytes);
                 ServerUnderTest.Started server = sut.start("grpc-latency", pchannels)) {
                StreamingClient client = server.client();
                warmServer(report, client, vchannel);
                TailWatcher tail = noTail ? null : attach(client, vchannel);
                try {
                    ByteBuffer record = RawSyncBaseline.randomDirect((int) size);
                    int[] nextId = {1};
                    if (common.settleSeconds > 0) {
                        sutSample(client, vchannel, tail, nextId[0]++, common.settleSeconds);
                    }
                    if (common.warmupSeconds > 0) {
                        WalLatencyBench.Latency b = WalLatencyBench.rawOpenLoop(raw, record, rate, common.warmupSeconds);
                        Sample s = sutSample(client, vchannel, tail, nextId[0]++, common.warmupSeconds);
                        report.line("warm-up (discarded): raw p99 %.1f us, grpc p99 %.1f us", b.p99(),
                                s.latency().p99());
                    }
                    report.line("%4s %6s | %8s %8s %8s %8s | %8s %8s %8s %8s | %6s %6s | %8s %8s %8s",
                            "pair", "n", "raw p50", "p99", "p99.9", "max", "grpc p50", "p99", "p99.9", "max",
                            "p50 x", "p99 x", "tail p50", "p99", "max");
                    pairs = PairedRun.alternate(common.pairs,
                            i -> Sample.of(WalLatencyBench.rawOpenLoop(raw, record, rate, seconds)),
                            i -> sutSample(client, vchannel, tail, nextId[0]++, seconds),
                            p -> printPair(report, p));
                } finally {
                    if (tail != null) {
                        tail.close();
                    }
                }
            }
        }
        PairedRun.Summary p50 = PairedRun.summarize(pairs, s -> s.latency().p50());
        PairedRun.Summary p99 = PairedRun.summarize(pairs, s -> s.latency().p99());
        report.line("");
        report.summary("ratio grpc/raw p50", p50, Double.NaN, false, "none");
        report.summary("ratio grpc/raw p99", p99, Double.NaN, false,
                "none here (G4: p99 <= 3 x L_sync.p99 + 2 x T.p99)");
        Histogram afterAck = null;
        Histogram afterIntended = null;
        long seenFirst = 0;
        long missing = 0;
        if (!noTail) {
            afterAck = new Histogram(3);
            afterIntended = new Histogram(3);
            for (PairedRun.Pair<Sample> p : pairs) {
                afterAck.add(p.sut().afterAck());
                afterIntended.add(p.sut().afterIntended());
                seenFirst += p.sut().seenFirst();
                missing += p.sut().missing();
            }
            report.line("tail visibility, seen - acked (all %d pairs, %d messages): p50 %.1f  p99 %.1f  p99.9 %.1f"
                    + "  max %.1f us; seen before the ack: %d (%.1f%%)%s  (issue: within a few milliseconds of the ack)",
                    pairs.size(), afterAck.getTotalCount(), us(afterAck, 50), us(afterAck, 99), us(afterAck, 99.9),
                    afterAck.getMaxValue() / 1e3, seenFirst, 100.0 * seenFirst / Math.max(1, afterAck.getTotalCount()),
                    missing > 0 ? "; NEVER SEEN within " + VISIBILITY_TIMEOUT_SECONDS + " s: " + missing : "");
            report.line("tail visibility, seen - intended send (all pairs): p50 %.1f  p99 %.1f  p99.9 %.1f  max %.1f us",
                    us(afterIntended, 50), us(afterIntended, 99), us(afterIntended, 99.9),
                    afterIntended.getMaxValue() / 1e3);
        }
        if (common.json) {
            spec.commandLine().getOut().println(json(facts, pairs, p50, p99, afterAck, afterIntended, seenFirst, missing));
            spec.commandLine().getOut().flush();
        }
        return 0;
    }

    /**
     * Runs the full load of {@value #WARMUP_PRODUCERS} producers on the vchannel for {@code --server-warmup-seconds}
     * after the server started, discarded: the latency samples measure a warmed server, not its JIT compiler. Before
     * the tail consumer starts, so that it does not begin the run behind.
     */
    private void warmServer(Report report, StreamingClient client, String vchannel) throws Exception {
        if (common.serverWarmupSeconds <= 0) {
            return;
        }
        int window = GrpcProducers.defaultWindow(1 << 20, 1, WARMUP_PRODUCERS, (int) size, 1);
        WindowedAppenders.Throughput r = new GrpcProducers(List.of(client), List.of(vchannel), WARMUP_PRODUCERS, window,
                (int) size).measure(0, RunOptions.nanos(common.serverWarmupSeconds));
        report.line("server warm-up (discarded): %.0f msg/s, %.1f MB/s", r.recordsPerSecond(), r.megabytesPerSecond());
    }

    private static double us(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1e3;
    }

    private static void printPair(Report report, PairedRun.Pair<Sample> p) {
        WalLatencyBench.Latency b = p.baseline().latency();
        WalLatencyBench.Latency s = p.sut().latency();
        Histogram t = p.sut().afterAck();
        report.line("%4d %6d | %8.1f %8.1f %8.1f %8.1f | %8.1f %8.1f %8.1f %8.1f | %6.2f %6.2f | %8.1f %8.1f %8.1f",
                p.index(), s.count(), b.p50(), b.p99(), b.p999(), b.max(), s.p50(), s.p99(), s.p999(), s.max(),
                s.p50() / b.p50(), s.p99() / b.p99(),
                t == null ? Double.NaN : us(t, 50), t == null ? Double.NaN : us(t, 99),
                t == null ? Double.NaN : t.getMaxValue() / 1e3);
    }

    /**
     * Starts the tail consumer at LATEST and waits until it is attached: probes (sample 0) are sent until
     * the consumer sees one, so that no message of a measured sample can precede its stream.
     */
    private static TailWatcher attach(StreamingClient client, String vchannel) throws Exception {
        TailWatcher tail = new TailWatcher(client.consumer(ConsumerOptions.vchannel(vchannel)
                .withStart(StartPosition.latest())));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        TailWatcher.Sample probe = new TailWatcher.Sample(0, 1);
        tail.watch(probe);
        byte[] payload = new byte[TailWatcher.HEADER_BYTES];
        while (probe.allSeen.getCount() > 0) {
            if (System.nanoTime() - deadline > 0 || tail.failure() != null) {
                tail.close();
                throw new IllegalStateException("the tail consumer of " + vchannel + " saw no probe within 30 s"
                        + (tail.failure() != null ? ": " + tail.failure() : ""));
            }
            TailWatcher.writeHeader(payload, 0, 0, System.nanoTime());
            client.appendRawBlocking(vchannel, payload);
            probe.allSeen.await(100, TimeUnit.MILLISECONDS);
        }
        return tail;
    }

    /** Runs the open loop of asynchronous appends, waits for every ack and (with a consumer) every arrival. */
    private Sample sutSample(StreamingClient client, String vchannel, TailWatcher tail, int id, double secs)
            throws Exception {
        int n = (int) OpenLoop.operationsIn(secs, rate);
        OpenLoop loop = new OpenLoop(rate, OpenLoop.Clock.SYSTEM);
        long[] ackNanos = new long[n];
        long[] intendedNanos = new long[n];
        TailWatcher.Sample seen = new TailWatcher.Sample(id, n);
        if (tail != null) {
            tail.watch(seen);
        }
        byte[] template = new byte[(int) size];
        ThreadLocalRandom.current().nextBytes(template);
        CountDownLatch done = new CountDownLatch(n);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        loop.run(n, (i, intended) -> {
            int index = (int) i;
            byte[] payload = template.clone();
            TailWatcher.writeHeader(payload, id, index, intended);
            intendedNanos[index] = intended;
            client.appendRaw(vchannel, payload).whenComplete((a, error) -> {
                if (error != null) {
                    failure.compareAndSet(null, error);
                } else {
                    ackNanos[index] = System.nanoTime();
                    loop.recordCompletion(intended);
                }
                done.countDown();
            });
        });
        if (!done.await(COMPLETION_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            throw new IllegalStateException(done.getCount() + " of " + n + " appends still not acknowledged "
                    + COMPLETION_TIMEOUT_SECONDS + " s after the last was sent");
        }
        Throwable f = failure.get();
        if (f != null) {
            StreamingException e = StreamingException.from(f);
            throw new StreamingException(e.code(), "append over gRPC failed: " + e.detail(), f);
        }
        WalLatencyBench.Latency latency = WalLatencyBench.Latency.of(loop.latencies(), loop.maxSendLagNanos());
        if (tail == null) {
            return Sample.of(latency);
        }
        long missing = seen.await(VISIBILITY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (tail.failure() != null) {
            throw new IllegalStateException("the tail consumer failed: " + tail.failure(), tail.failure());
        }
        Histogram afterAck = new Histogram(3);
        Histogram afterIntended = new Histogram(3);
        long seenFirst = 0;
        for (int i = 0; i < n; i++) {
            long at = seen.seenNanos[i];
            if (at == 0) {
                continue;
            }
            long sinceAck = at - ackNanos[i];
            if (sinceAck < 0) {
                seenFirst++;
            }
            afterAck.recordValue(Math.max(0, sinceAck));
            afterIntended.recordValue(Math.max(0, at - intendedNanos[i]));
        }
        return new Sample(latency, afterAck, afterIntended, seenFirst, missing);
    }

    private String json(MachineFacts facts, List<PairedRun.Pair<Sample>> pairs, PairedRun.Summary p50,
                        PairedRun.Summary p99, Histogram afterAck, Histogram afterIntended, long seenFirst, long missing) {
        return BenchJson.write(j -> {
            j.beginObject()
                    .name("bench").value("grpc-latency")
                    .name("rate").value(rate)
                    .name("payload_bytes").value(size)
                    .name("pchannels").value(pchannels)
                    .name("pair_seconds").value(seconds)
                    .name("machine");
            facts.writeJson(j);
            j.name("results").beginArray();
            j.beginObject().name("metric").value("p50_ratio");
            Report.writeJson(j, p50, Double.NaN, false);
            j.endObject();
            j.beginObject().name("metric").value("p99_ratio");
            Report.writeJson(j, p99, Double.NaN, false);
            j.endObject();
            j.endArray();
            if (afterAck != null) {
                j.name("tail").beginObject()
                        .name("messages").value(afterAck.getTotalCount())
                        .name("after_ack_p50_us").value(us(afterAck, 50))
                        .name("after_ack_p99_us").value(us(afterAck, 99))
                        .name("after_ack_p999_us").value(us(afterAck, 99.9))
                        .name("after_ack_max_us").value(afterAck.getMaxValue() / 1e3)
                        .name("after_intended_p50_us").value(us(afterIntended, 50))
                        .name("after_intended_p99_us").value(us(afterIntended, 99))
                        .name("after_intended_max_us").value(afterIntended.getMaxValue() / 1e3)
                        .name("seen_before_ack").value(seenFirst)
                        .name("never_seen").value(missing)
                        .endObject();
            }
            j.name("pairs").beginArray();
            for (PairedRun.Pair<Sample> p : pairs) {
                WalLatencyBench.Latency b = p.baseline().latency();
                WalLatencyBench.Latency s = p.sut().latency();
                j.beginObject()
                        .name("baseline_count").value(b.count()).name("baseline_p50_us").value(b.p50())
                        .name("baseline_p99_us").value(b.p99()).name("baseline_p999_us").value(b.p999())
                        .name("baseline_max_us").value(b.max())
                        .name("sut_count").value(s.count()).name("sut_p50_us").value(s.p50()).name("sut_p99_us").value(s.p99())
                        .name("sut_p999_us").value(s.p999()).name("sut_max_us").value(s.max());
                if (p.sut().afterAck() != null) {
                    j.name("tail_after_ack_p50_us").value(us(p.sut().afterAck(), 50))
                            .name("tail_after_ack_p99_us").value(us(p.sut().afterAck(), 99));
                }
                j.endObject();
            }
            j.endArray().endObject();
        });
    }
}
