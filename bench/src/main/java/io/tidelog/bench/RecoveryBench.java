package io.tidelog.bench;

import io.tidelog.common.Closeables;
import io.tidelog.common.MessageId;
import io.tidelog.node.AppendResult;
import io.tidelog.node.NodeConfig;
import io.tidelog.node.StreamingWal;
import io.tidelog.node.WalStatus;
import io.tidelog.node.extension.ExtensionChain;
import io.tidelog.node.shard.ShardConfig;
import io.tidelog.proto.InsertBody;
import io.tidelog.tso.TimestampAllocator;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.WalBackend;
import io.tidelog.wal.WalBackends;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Recovery time of a node whose whole WAL is unflushed, against a raw sequential read of the same
 * segment files.
 *
 * <p>Setup (untimed, once): a {@code local} WAL with one pchannel, opened at term 1 as a
 * {@link StreamingWal} with the node's extensions as {@code ExtensionChain} orders them (dedup window, flusher, vchannel
 * locks, transactions, shards) and no recovery store, so that every reopen replays the whole log. One
 * CreateCollection, then Inserts of about 16 KiB until {@code --bytes} of payload is written; the shard
 * limits are set above the data so that nothing is sealed or flushed.
 *
 * <p>SUT sample: a fresh backend (as a restarted node would create) opened at the next term, and
 * {@code StreamingWal.start} with fresh extensions: timed from the backend's creation to the return of
 * {@code start}, i.e. the replay that rebuilds the flusher's growing buffers and the shard state. Baseline
 * sample: the setup's segment files read in order with {@code FileChannel.read} into a 1 MiB direct buffer,
 * up to the end of the last batch. Ratio = SUT seconds / baseline seconds (lower is better). Both read
 * from the disk: before every sample the files are dropped from the page cache (dd iflag=nocache).
 */
@Command(name = "recovery", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Recovery time of a node with --bytes of unflushed WAL (StreamingWal.start replaying the"
                + " whole log into the node's extensions) vs a raw sequential read of the same segment files"
                + " (A/B pairs; ratio = replay seconds / raw read seconds; both start with a cold page cache unless --warm).",
                "Replay keeps only the ids of unflushed rows (the flusher reads them back from the log when it"
                        + " uploads), so the heap does not grow with --bytes; --warm measures the CPU cost alone."})
final class RecoveryBench implements Callable<Integer> {
    static final double GOAL = 1.5;
    static final String PCHANNEL = "bench";
    private static final long COLLECTION = 1;
    /** The collection's one shard: named for it, as the node requires of a CreateCollection. */
    static final String VCHANNEL = BenchMessages.vchannel(PCHANNEL, COLLECTION);
    private static final int READ_BUFFER = 1 << 20;
    /** Above any data this bench writes: nothing is sealed, so nothing is flushed. */
    private static final Map<String, String> NO_SEAL = Map.of("shard.segment.max.bytes", "1024GiB",
            "shard.growing.high.bytes", "1024GiB", "shard.growing.low.bytes", "1024GiB",
            "shard.segment.idle.min.bytes", "1024GiB");

    @Spec
    CommandSpec spec;

    @Mixin
    RunOptions run;

    @Option(names = "--bytes", defaultValue = "1GiB", converter = ByteSize.class, paramLabel = "SIZE",
            description = "Insert payload written to the WAL before the pairs (default: ${DEFAULT-VALUE}).")
    long bytes;

    @Option(names = "--rows", defaultValue = "30", paramLabel = "N",
            description = "Rows per Insert, about 530 bytes each (default: ${DEFAULT-VALUE}, ~16KiB).")
    int rows;

    @Option(names = "--window", defaultValue = "256", paramLabel = "N",
            description = "Appends in flight while writing (default: ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--warm", description = "Keep the page cache warm (measures the replay's CPU cost only); by default"
            + " every sample starts with the pchannel's files dropped from the page cache, so both read the disk.")
    boolean warm;

    private int term;

    @Override
    public Integer call() throws Exception {
        validate();
        Report report = new Report(spec.commandLine().getOut());
        MachineFacts facts;
        List<PairedRun.Pair<Sample>> pairs;
        PairedRun.Summary summary;
        long rawBytes;
        try (WorkDir work = WorkDir.create(run.dir)) {
            facts = MachineFacts.probe(work.path());
            Node node = new Node(work.path());
            report.header("recovery", facts,
                    "backend: local " + node.walProperties() + ", one pchannel, no recovery store (no checkpoints)",
                    String.format(Locale.ROOT, "setup:   CreateCollection then Inserts of %d rows (INT64 id, VARCHAR"
                            + " title, FLOAT_VECTOR dim %d) up to %s of payload, %d in flight; extensions dedup,"
                            + " flusher, vchannel locks, txn, shards; nothing sealed or flushed", rows,
                            BenchMessages.DIM, ByteSize.format(bytes), window),
                    String.format(Locale.ROOT, "pairs:   %d x (raw sequential read of the segment files with a 1MiB"
                            + " direct buffer, then a fresh backend at the next term + StreamingWal.start)", run.pairs),
                    warm ? "cache:   both sides read a WARM page cache (--warm): this measures the replay's CPU cost, not"
                            + " the disk"
                            : "cache:   both sides start COLD: before every sample the pchannel's files are dropped from"
                            + " the page cache (dd iflag=nocache, i.e. posix_fadvise DONTNEED; no root needed)",
                    "units:   raw s = one whole read; start s = backend open + StreamingWal.start (first TimeTick, replay);"
                            + " replay ms = the replay alone as status().replay() reports it; GiB/s over the baseline's bytes");
            long started = System.nanoTime();
            MessageId last = node.write();
            List<Path> files = segmentFiles(node.walDir.resolve(PCHANNEL), last);
            rawBytes = files.stream().mapToLong(f -> readLimit(f, last)).sum();
            report.line("written: %s of insert payload in %.1f s; the baseline reads %d segment files, %s",
                    ByteSize.format(bytes), (System.nanoTime() - started) / 1e9, files.size(),
                    ByteSize.format(rawBytes));
            Path pchannelDir = node.walDir.resolve(PCHANNEL);
            if (run.warmupSeconds > 0) {
                coldUnlessWarm(pchannelDir);
                double b = rawRead(files, last).seconds();
                coldUnlessWarm(pchannelDir);
                Sample s = node.recover();
                report.line("warm-up (discarded, one pass each): raw %.3f s, replay %.3f s", b, s.seconds());
            }
            report.line("%4s %9s %9s %9s %9s %10s %10s %10s %8s", "pair", "raw s", "raw GiB/s", "start s",
                    "st GiB/s", "replay msg", "replay MiB", "replay ms", "ratio");
            long gib = rawBytes;
            pairs = PairedRun.alternate(run.pairs, i -> {
                coldUnlessWarm(pchannelDir);
                return rawRead(files, last);
            }, i -> {
                coldUnlessWarm(pchannelDir);
                return node.recover();
            },
                    p -> report.line("%4d %9.3f %9.3f %9.3f %9.3f %10d %10.1f %10d %8.3f", p.index(),
                            p.baseline().seconds(), gibPerSecond(gib, p.baseline()), p.sut().seconds(),
                            gibPerSecond(gib, p.sut()), p.sut().replay().messages(),
                            p.sut().replay().bytes() / (double) (1 << 20), p.sut().replay().millis(),
                            p.sut().seconds() / p.baseline().seconds()));
            summary = PairedRun.summarize(pairs, Sample::seconds);
            report.summary("ratio start/raw read seconds", summary, GOAL, false,
                    String.format(Locale.ROOT, "<= %.2fx (goal)", GOAL));
            report.line("goal: ratio <= %.1f", GOAL);
        }
        if (run.json) {
            spec.commandLine().getOut().println(json(facts, rawBytes, pairs, summary));
            spec.commandLine().getOut().flush();
        }
        return 0;
    }

    private void validate() {
        run.validate(spec, 1);
        if (bytes < 1) {
            throw new ParameterException(spec.commandLine(), "--bytes must be positive, got " + bytes);
        }
        if (rows < 1 || window < 1) {
            throw new ParameterException(spec.commandLine(), "--rows and --window must be at least 1");
        }
    }

    /** One timed side: its seconds and, for the SUT, what the replay reported. */
    record Sample(double seconds, WalStatus.Replay replay) {
    }

    private static double gibPerSecond(long bytes, Sample s) {
        return bytes / (double) (1L << 30) / s.seconds();
    }

    /** The pchannel's segment files up to the one holding {@code last}, in log order. */
    private static List<Path> segmentFiles(Path pchannelDir, MessageId last) throws IOException {
        try (Stream<Path> s = Files.list(pchannelDir)) {
            return s.filter(f -> f.getFileName().toString().matches("\\d{20}\\.seg"))
                    .filter(f -> index(f) <= last.major()).sorted().toList();
        }
    }

    private static long index(Path segment) {
        return Long.parseLong(segment.getFileName().toString().replace(".seg", ""));
    }

    /** Whole files before the last one; in the last, the record {@code last} plus at most one batch. */
    private static long readLimit(Path f, MessageId last) {
        try {
            long size = Files.size(f);
            return index(f) < last.major() ? size : Math.min(size, last.minor() + READ_BUFFER);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Drops the page cache of every file of {@code dir} (unless --warm): the next read comes from the disk. */
    private void coldUnlessWarm(Path dir) throws IOException {
        if (warm) {
            return;
        }
        List<Path> all;
        try (var files = Files.list(dir)) {
            all = files.filter(Files::isRegularFile).toList();
        }
        for (Path f : all) {
            Process p = new ProcessBuilder("dd", "if=" + f, "iflag=nocache", "count=0", "status=none")
                    .redirectErrorStream(true).start();
            try {
                String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                if (p.waitFor() != 0) {
                    throw new IOException("dropping " + f + " from the page cache failed (run with --warm): " + out);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while dropping the page cache", e);
            }
        }
    }

    /**
     * The baseline: each file read in order into one 1 MiB direct buffer, nothing else (no per-byte work: the
     * cheapest way to get the same bytes off the same disk, so the ratio charges the replay for all it does).
     */
    private static Sample rawRead(List<Path> files, MessageId last) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(READ_BUFFER);
        long read = 0;
        long start = System.nanoTime();
        for (Path f : files) {
            long limit = readLimit(f, last);
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                long pos = 0;
                while (pos < limit) {
                    buf.clear().limit((int) Math.min(READ_BUFFER, limit - pos));
                    int n = ch.read(buf, pos);
                    if (n < 0) {
                        break;
                    }
                    pos += n;
                    read += n;
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (read == 0 && !files.isEmpty()) {
            throw new IOException("the baseline read nothing from " + files.size() + " files");
        }
        return new Sample(seconds, null);
    }

    /** The node under test: its directories, TSO and the way it opens a pchannel with its extensions. */
    private final class Node {
        final Path walDir;
        final Path root;
        final TimestampAllocator tso;

        Node(Path root) throws IOException {
            this.root = root;
            this.walDir = Files.createDirectory(root.resolve("wal"));
            this.tso = NodeExtensions.tso(root.resolve("tso"));
            Files.createDirectory(root.resolve("objects"));
        }

        Map<String, String> walProperties() {
            return Map.of("wal.local.dir", walDir.toString());
        }

        /** A streaming WAL of the pchannel at the next term and everything it needs; closes in reverse. */
        private final class Opened implements AutoCloseable {
            final WalBackend backend;
            final NodeExtensions extensions;
            StreamingWal wal;

            Opened() {
                backend = WalBackends.create("local", walProperties());
                extensions = new NodeExtensions(root, tso, ShardConfig.from(NO_SEAL));
            }

            StreamingWal start() {
                wal = StreamingWal.start(backend.open(OpenOptions.readWrite(PCHANNEL, ++term)), tso,
                        NodeConfig.defaults(), extensions.forPchannel(PCHANNEL));
                return wal;
            }

            @Override
            public void close() {
                Closeables.closeAll(java.util.Arrays.asList(wal, extensions, backend));
            }
        }

        /** The setup: the collection, then inserts up to {@code bytes}; returns the id of the last one. */
        MessageId write() throws Exception {
            try (Opened o = new Opened()) {
                StreamingWal w = o.start();
                w.append(BenchMessages.createCollection(COLLECTION, VCHANNEL)).get(1, TimeUnit.MINUTES);
                Semaphore inFlight = new Semaphore(window);
                AtomicReference<Throwable> failed = new AtomicReference<>();
                AtomicReference<MessageId> last = new AtomicReference<>(MessageId.of(0, 0));
                long written = 0;
                long id = 0;
                while (written < bytes && failed.get() == null) {
                    InsertBody body = BenchMessages.insertBody(id, rows);
                    id += rows;
                    written += body.getSerializedSize();
                    inFlight.acquire();
                    CompletableFuture<AppendResult> f = w.append(BenchMessages.insert(COLLECTION, VCHANNEL, body));
                    f.whenComplete((r, e) -> {
                        if (e != null) {
                            failed.compareAndSet(null, e);
                        } else {
                            last.accumulateAndGet(r.id(), (a, b) -> a.compareTo(b) >= 0 ? a : b);
                        }
                        inFlight.release();
                    });
                }
                inFlight.acquire(window);
                if (failed.get() != null) {
                    throw new IOException("an insert of the setup failed: " + BenchMain.describe(failed.get()),
                            failed.get());
                }
                return last.get();
            }
        }

        /** The SUT: a restarted node's recovery of the pchannel, timed; then closed (persisting nothing). */
        Sample recover() throws Exception {
            long start = System.nanoTime();
            try (Opened o = new Opened()) {
                StreamingWal w = o.start();
                double seconds = (System.nanoTime() - start) / 1e9;
                return new Sample(seconds, w.status().replay());
            }
        }
    }

    private String json(MachineFacts facts, long rawBytes, List<PairedRun.Pair<Sample>> pairs,
                        PairedRun.Summary summary) {
        return BenchJson.write(j -> {
            j.beginObject()
                    .name("bench").value("recovery")
                    .name("bytes").value(bytes)
                    .name("raw_bytes").value(rawBytes)
                    .name("rows_per_insert").value(rows)
                    .name("machine");
            facts.writeJson(j);
            j.name("results").beginArray().beginObject().name("metric").value("seconds_ratio");
            Report.writeJson(j, summary, GOAL, false);
            j.name("pairs").beginArray();
            for (PairedRun.Pair<Sample> p : pairs) {
                j.beginObject()
                        .name("baseline_s").value(p.baseline().seconds())
                        .name("sut_s").value(p.sut().seconds())
                        .name("replay_messages").value(p.sut().replay().messages())
                        .name("replay_bytes").value(p.sut().replay().bytes())
                        .name("replay_millis").value(p.sut().replay().millis())
                        .name("ratio").value(p.sut().seconds() / p.baseline().seconds())
                        .endObject();
            }
            j.endArray().endObject().endArray().endObject();
        });
    }
}
