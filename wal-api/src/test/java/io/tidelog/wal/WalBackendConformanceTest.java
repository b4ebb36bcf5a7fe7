package io.tidelog.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.testing.Seeds;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The contract every WAL backend must meet (see {@link Wal}, {@link WalBackend}, {@link WalScanner}).
 * A backend runs it by extending this class and implementing the hooks: a few lines.
 *
 * <p>Backends should be configured small (segments, batches) by their subclass so that segment
 * rolling and truncation happen within these tests.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class WalBackendConformanceTest {
    protected static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    protected final Seeds seeds = new Seeds();

    private final List<AutoCloseable> toClose = new ArrayList<>();

    /** The name the backend is registered under. */
    protected abstract String backendName();

    /** A backend over this test's storage; each call within one test sees the same storage. */
    protected abstract WalBackend openBackend();

    /**
     * Simulates a crash of the process holding {@code backend}: no graceful close; whatever was not
     * durable may be lost, and a torn tail may be left behind. Returns a new backend over the same storage.
     */
    protected abstract WalBackend crashAndReopen(WalBackend backend);

    /**
     * Damages one byte inside the stored payload of the record {@code id} of {@code pchannel}. Called
     * while no backend of this test is open.
     */
    protected abstract void corruptRecord(String pchannel, MessageId id);

    @AfterEach
    void closeEverything() {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            try {
                toClose.get(i).close();
            } catch (Exception ignored) {
                // a test that crashed a backend leaves closed or abandoned objects behind
            }
        }
    }

    protected WalBackend backend() {
        WalBackend b = openBackend();
        toClose.add(b);
        return b;
    }

    protected <T extends AutoCloseable> T closeLater(T c) {
        toClose.add(c);
        return c;
    }

    protected static ByteBuffer payload(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    protected static String text(LogRecord r) {
        return new String(r.bytes(), StandardCharsets.UTF_8);
    }

    protected static MessageId await(CompletableFuture<MessageId> f) {
        try {
            return f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw StreamingException.from(e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("append did not complete within " + WAIT, e);
        }
    }

    protected static ErrorCode failureCode(CompletableFuture<?> f) {
        try {
            f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return StreamingException.from(e.getCause()).code();
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("future did not complete within " + WAIT, e);
        }
        throw new AssertionError("expected the future to fail, but it succeeded");
    }

    /** Reads until {@code count} records arrived; fails if they do not arrive in time. */
    protected static List<LogRecord> readN(WalScanner s, int count) throws InterruptedException {
        List<LogRecord> out = new ArrayList<>(count);
        while (out.size() < count) {
            LogRecord r = s.poll(WAIT);
            if (r == null) {
                fail("only " + out.size() + " of " + count + " records arrived within " + WAIT);
            }
            out.add(r);
        }
        return out;
    }

    /** Reads everything durable now: until a poll comes back empty after a short wait. */
    protected static List<LogRecord> readAll(WalScanner s) throws InterruptedException {
        List<LogRecord> out = new ArrayList<>();
        LogRecord r;
        while ((r = s.poll(Duration.ofMillis(300))) != null) {
            out.add(r);
        }
        return out;
    }

    protected List<MessageId> appendAll(Wal wal, List<String> texts) {
        List<CompletableFuture<MessageId>> fs = new ArrayList<>();
        for (String t : texts) {
            fs.add(wal.append(payload(t)));
        }
        List<MessageId> ids = new ArrayList<>();
        for (CompletableFuture<MessageId> f : fs) {
            ids.add(await(f));
        }
        return ids;
    }

    protected static List<String> texts(String prefix, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(prefix + "-" + i);
        }
        return out;
    }

    private static void assertStrictlyIncreasing(List<MessageId> ids) {
        for (int i = 1; i < ids.size(); i++) {
            assertThat(ids.get(i)).as("id %d after id %d", i, i - 1).isGreaterThan(ids.get(i - 1));
        }
    }

    // ---------------------------------------------------------------- registry

    @Test
    void backendIsFoundByItsName() {
        assertThat(WalBackends.providers()).containsKey(backendName());
        assertThat(backend().name()).isEqualTo(backendName());
    }

    // ---------------------------------------------------------------- append and read

    @Test
    void appendedRecordsAreReadBackWholeInOrderWithIncreasingIds() throws Exception {
        Wal wal = closeLater(backend().open(OpenOptions.readWrite("p-order", 1)));
        Random rnd = seeds.random();
        List<byte[]> written = new ArrayList<>();
        List<MessageId> ids = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int size = i == 0 ? 0 : rnd.nextInt(i % 10 == 0 ? 20_000 : 300);
            byte[] b = new byte[size];
            rnd.nextBytes(b);
            written.add(b);
            ids.add(await(wal.append(ByteBuffer.wrap(b))));
        }
        assertStrictlyIncreasing(ids);

        try (WalScanner s = wal.read(DeliverPolicy.all())) {
            List<LogRecord> got = readN(s, written.size());
            for (int i = 0; i < written.size(); i++) {
                assertThat(got.get(i).id()).isEqualTo(ids.get(i));
                assertThat(got.get(i).bytes()).as("record %d", i).isEqualTo(written.get(i));
            }
            assertThat(s.poll(Duration.ofMillis(100))).isNull();
        }
    }

    @Test
    void concurrentAppendersOnSeveralPchannelsLoseNothingAndKeepEachThreadsOrder() throws Exception {
        WalBackend backend = backend();
        int pchannels = 3;
        int threads = 4;
        int perThread = 300;
        ExecutorService pool = Executors.newFixedThreadPool(pchannels * threads);
        try {
            Map<String, Wal> wals = new HashMap<>();
            for (int p = 0; p < pchannels; p++) {
                wals.put("p-conc-" + p, closeLater(backend.open(OpenOptions.readWrite("p-conc-" + p, 1))));
            }
            Map<String, MessageId> acked = new ConcurrentHashMap<>();
            List<Future<?>> jobs = new ArrayList<>();
            for (Map.Entry<String, Wal> e : wals.entrySet()) {
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    jobs.add(pool.submit(() -> {
                        List<CompletableFuture<MessageId>> fs = new ArrayList<>();
                        for (int i = 0; i < perThread; i++) {
                            String text = e.getKey() + "/" + thread + "/" + i;
                            fs.add(e.getValue().append(payload(text))
                                    .whenComplete((id, err) -> {
                                        if (id != null) {
                                            acked.put(text, id);
                                        }
                                    }));
                        }
                        fs.forEach(WalBackendConformanceTest::await);
                        return null;
                    }));
                }
            }
            for (Future<?> j : jobs) {
                j.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
            assertThat(acked).hasSize(pchannels * threads * perThread);

            for (Map.Entry<String, Wal> e : wals.entrySet()) {
                try (WalScanner s = e.getValue().read(DeliverPolicy.all())) {
                    List<LogRecord> got = readN(s, threads * perThread);
                    assertThat(s.poll(Duration.ofMillis(100))).isNull();
                    int[] nextSeq = new int[threads];
                    MessageId prev = null;
                    for (LogRecord r : got) {
                        String text = text(r);
                        assertThat(text).startsWith(e.getKey() + "/");
                        assertThat(acked.get(text)).as("id of %s", text).isEqualTo(r.id());
                        String[] parts = text.split("/");
                        int thread = Integer.parseInt(parts[1]);
                        assertThat(Integer.parseInt(parts[2])).as("order of thread %d", thread)
                                .isEqualTo(nextSeq[thread]++);
                        if (prev != null) {
                            assertThat(r.id()).isGreaterThan(prev);
                        }
                        prev = r.id();
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aTailScannerReceivesRecordsAsTheyBecomeDurable() throws Exception {
        Wal wal = closeLater(backend().open(OpenOptions.readWrite("p-tail", 1)));
        try (WalScanner s = wal.read(DeliverPolicy.all())) {
            assertThat(s.poll(Duration.ofMillis(50))).isNull();
            for (int i = 0; i < 20; i++) {
                MessageId id = await(wal.append(payload("t" + i)));
                LogRecord r = s.poll(WAIT);
                assertThat(r).isNotNull();
                assertThat(r.id()).isEqualTo(id);
                assertThat(text(r)).isEqualTo("t" + i);
            }
        }
    }

    @Test
    void closingAScannerReleasesABlockedPoll() throws Exception {
        Wal wal = closeLater(backend().open(OpenOptions.readWrite("p-close-scanner", 1)));
        WalScanner s = wal.read(DeliverPolicy.all());
        CompletableFuture<Object> polled = CompletableFuture.supplyAsync(() -> {
            try {
                return s.poll(Duration.ofMinutes(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return e;
            } catch (RuntimeException e) {
                return e;
            }
        });
        // the poll is blocked or about to block; either way close must make it return promptly
        s.close();
        Object outcome = polled.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (outcome instanceof StreamingException) {
            assertThat(((StreamingException) outcome).code()).isEqualTo(ErrorCode.ON_SHUTDOWN);
        } else {
            assertThat(outcome).isNull();
        }
        assertThatThrownBy(() -> s.poll(Duration.ofMillis(10)))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ON_SHUTDOWN));
    }

    // ---------------------------------------------------------------- deliver policies

    @Test
    void startFromDeliversTheRecordItselfAndEverythingAfter() throws Exception {
        Wal wal = closeLater(backend().open(OpenOptions.readWrite("p-from", 1)));
        List<MessageId> ids = appendAll(wal, texts("f", 50));
        for (int k : new int[] {0, 1, 17, 49}) {
            try (WalScanner s = wal.read(DeliverPolicy.startFrom(ids.get(k)))) {
                List<LogRecord> got = readN(s, 50 - k);
                assertThat(got.get(0).id()).isEqualTo(ids.get(k));
                assertThat(text(got.get(0))).isEqualTo("f-" + k);
                assertThat(text(got.get(got.size() - 1))).isEqualTo("f-49");
                assertThat(s.poll(Duration.ofMillis(50))).isNull();
            }
        }
    }

    @Test
    void startAfterSkipsTheRecordItself() throws Exception {
        Wal wal = closeLater(backend().open(OpenOptions.readWrite("p-after", 1)));
        List<MessageId> ids = appendAll(wal, texts("a", 30));
        try (WalScanner s = wal.read(DeliverPolicy.startAfter(ids.get(9)))) {
            List<LogRecord> got = readN(s, 20);
            assertThat(got.get(0).id()).isEqualTo(ids.get(10));
            assertThat(text(got.get(0))).isEqualTo("a-10");
            assertThat(s.poll(Duration.ofMillis(50))).isNull();
        }
        try (WalScanner s = wal.read(DeliverPolicy.startAfter(ids.get(29)))) {
            assertThat(s.poll(Duration.ofMillis(50))).isNull();
            MessageId next = await(wal.append(payload("a-30")));
            LogRecord r = s.poll(WAIT);
            assertThat(r.id()).isEqualTo(next);
        }
    }

    @Test
    void latestDeliversOnlyRecordsAppendedAfterTheScannerOpened() throws Exception {
        Wal wal = closeLater(backend().open(OpenOptions.readWrite("p-latest", 1)));
        appendAll(wal, texts("old", 10));
        try (WalScanner s = wal.read(DeliverPolicy.latest())) {
            MessageId id = await(wal.append(payload("new-0")));
            LogRecord r = s.poll(WAIT);
            assertThat(r).isNotNull();
            assertThat(r.id()).isEqualTo(id);
            assertThat(text(r)).isEqualTo("new-0");
        }
    }

    @Test
    void allOnAnEmptyLogWaitsForTheFirstRecord() throws Exception {
        Wal wal = closeLater(backend().open(OpenOptions.readWrite("p-empty", 1)));
        try (WalScanner s = wal.read(DeliverPolicy.all())) {
            assertThat(s.poll(Duration.ofMillis(50))).isNull();
        }
        try (WalScanner s = wal.read(DeliverPolicy.latest())) {
            assertThat(s.poll(Duration.ofMillis(50))).isNull();
            await(wal.append(payload("first")));
            assertThat(text(s.poll(WAIT))).isEqualTo("first");
        }
    }

    // ---------------------------------------------------------------- read-only

    @Test
    void readOnlyOpenRefusesAppendAndTruncateButReads() throws Exception {
        WalBackend backend = backend();
        Wal writer = closeLater(backend.open(OpenOptions.readWrite("p-ro", 3)));
        List<MessageId> ids = appendAll(writer, texts("ro", 5));

        Wal reader = closeLater(backend.open(OpenOptions.readOnly("p-ro")));
        assertThat(reader.accessMode()).isEqualTo(AccessMode.READ_ONLY);
        assertThat(failureCode(reader.append(payload("nope")))).isEqualTo(ErrorCode.READ_ONLY);
        assertThatThrownBy(() -> reader.truncate(ids.get(2)))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.READ_ONLY));
        try (WalScanner s = reader.read(DeliverPolicy.all())) {
            assertThat(readN(s, 5)).extracting(LogRecord::id).containsExactlyElementsOf(ids);
            // the read-only log tails the writer too
            MessageId more = await(writer.append(payload("ro-5")));
            assertThat(s.poll(WAIT).id()).isEqualTo(more);
        }
        // and it fenced nobody
        assertThat(await(writer.append(payload("ro-6")))).isGreaterThan(ids.get(4));
    }

    @Test
    void aLogIsNewUntilItsFirstOpenForWritingAndNeverAgainEvenAfterAReopenOfItsStorage() throws Exception {
        WalBackend backend = backend();
        Wal before = closeLater(backend.open(OpenOptions.readOnly("p-new")));
        assertThat(before.isNew()).as("a log nobody opened for writing").isTrue();

        Wal writer = backend.open(OpenOptions.readWrite("p-new", 1));
        assertThat(writer.isNew()).as("once opened for writing, with nothing appended").isFalse();
        assertThat(before.isNew()).as("seen by a read-only open made earlier").isFalse();
        writer.close();

        Wal used = backend.open(OpenOptions.readWrite("p-used", 2));
        MessageId last = appendAll(used, texts("used", 3)).get(2);
        used.truncate(last);
        used.close();
        backend.close();

        WalBackend again = backend();
        assertThat(closeLater(again.open(OpenOptions.readOnly("p-new"))).isNew()).as("after a restart").isFalse();
        assertThat(closeLater(again.open(OpenOptions.readOnly("p-used"))).isNew()).as("truncated").isFalse();
        assertThat(closeLater(again.open(OpenOptions.readOnly("p-other"))).isNew()).as("another pchannel").isTrue();
    }

    // ---------------------------------------------------------------- truncate

    @Test
    void truncateKeepsTheGivenRecordAndEverythingAfter() throws Exception {
        Wal wal = closeLater(backend().open(OpenOptions.readWrite("p-trunc", 1)));
        byte[] filler = new byte[4096];
        List<CompletableFuture<MessageId>> fs = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            ByteBuffer b = ByteBuffer.allocate(filler.length + 8);
            b.putInt(i).put(filler).putInt(i).flip();
            fs.add(wal.append(b));
        }
        List<MessageId> ids = new ArrayList<>();
        fs.forEach(f -> ids.add(await(f)));
        MessageId keep = ids.get(300);
        wal.truncate(keep);
        wal.truncate(ids.get(10)); // below the new start: a no-op

        try (WalScanner s = wal.read(DeliverPolicy.all())) {
            List<LogRecord> got = readAll(s);
            assertThat(got).isNotEmpty();
            assertThat(got.get(0).id()).isLessThanOrEqualTo(keep);
            int firstIndex = ids.indexOf(got.get(0).id());
            assertThat(firstIndex).isBetween(0, 300);
            assertThat(got).extracting(LogRecord::id).containsExactlyElementsOf(ids.subList(firstIndex, 400));
        }
        try (WalScanner s = wal.read(DeliverPolicy.startFrom(keep))) {
            assertThat(s.poll(WAIT).payload().getInt(0)).isEqualTo(300);
        }
        // appends continue after a truncate
        assertThat(await(wal.append(payload("after")))).isGreaterThan(ids.get(399));
    }

    @Test
    void readingFromATruncatedIdFailsWithOutOfRange() throws Exception {
        Wal wal = closeLater(backend().open(OpenOptions.readWrite("p-trunc-oor", 1)));
        byte[] filler = new byte[8192];
        List<MessageId> ids = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            ids.add(await(wal.append(ByteBuffer.wrap(filler))));
        }
        wal.truncate(ids.get(299));
        MessageId oldest;
        try (WalScanner s = wal.read(DeliverPolicy.all())) {
            oldest = s.poll(WAIT).id();
        }
        assertThat(oldest).as("300 records of 8 KiB must span more than one unit of truncation")
                .isGreaterThan(ids.get(0));
        assertThatThrownBy(() -> {
            try (WalScanner s = wal.read(DeliverPolicy.startFrom(ids.get(0)))) {
                s.poll(Duration.ofSeconds(1));
            }
        }).isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.OUT_OF_RANGE));
    }

    @Test
    void truncateBeyondTheEndIsRejected() {
        Wal wal = closeLater(backend().open(OpenOptions.readWrite("p-trunc-end", 1)));
        MessageId last = await(wal.append(payload("x")));
        assertThatThrownBy(() -> wal.truncate(MessageId.of(last.major() + 1000, last.minor() + 1000)))
                .isInstanceOfSatisfying(StreamingException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }

    // ---------------------------------------------------------------- crash and reopen

    @Test
    void everyAcknowledgedRecordSurvivesACrashAndUnacknowledgedOnesAreWholeOrAbsent() throws Exception {
        WalBackend backend = openBackend();
        Wal wal = backend.open(OpenOptions.readWrite("p-crash", 1));
        Random rnd = seeds.random();
        Map<String, MessageId> acked = new HashMap<>();
        for (int i = 0; i < 100; i++) {
            String t = "acked-" + i + "-" + "x".repeat(rnd.nextInt(2000));
            acked.put(t, await(wal.append(payload(t))));
        }
        Set<String> inFlight = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            String t = "inflight-" + i + "-" + "y".repeat(rnd.nextInt(2000));
            inFlight.add(t);
            wal.append(payload(t)); // not awaited: may or may not be durable at the crash
        }

        WalBackend reopened = crashAndReopen(backend);
        toClose.add(reopened);
        Wal after = closeLater(reopened.open(OpenOptions.readWrite("p-crash", 2)));
        List<LogRecord> got;
        try (WalScanner s = after.read(DeliverPolicy.all())) {
            got = readAll(s);
        }
        Set<String> seen = new HashSet<>();
        MessageId prev = null;
        for (LogRecord r : got) {
            String t = text(r);
            assertThat(seen.add(t)).as("delivered twice: %s", t).isTrue();
            assertThat(acked.containsKey(t) || inFlight.contains(t)).as("unknown or torn record: %s", t).isTrue();
            if (acked.containsKey(t)) {
                assertThat(r.id()).isEqualTo(acked.get(t));
            }
            if (prev != null) {
                assertThat(r.id()).isGreaterThan(prev);
            }
            prev = r.id();
        }
        assertThat(seen).containsAll(acked.keySet());

        MessageId next = await(after.append(payload("after-crash")));
        if (prev != null) {
            assertThat(next).isGreaterThan(prev);
        }
        try (WalScanner s = after.read(DeliverPolicy.startFrom(next))) {
            assertThat(text(s.poll(WAIT))).isEqualTo("after-crash");
        }
    }

    @Test
    void reopeningAfterACleanCloseContinuesTheLog() throws Exception {
        WalBackend backend = openBackend();
        Wal wal = backend.open(OpenOptions.readWrite("p-reopen", 1));
        List<MessageId> first = appendAll(wal, texts("one", 30));
        wal.close();
        backend.close();

        WalBackend again = backend();
        Wal wal2 = closeLater(again.open(OpenOptions.readWrite("p-reopen", 1)));
        List<MessageId> second = appendAll(wal2, texts("two", 30));
        assertThat(second.get(0)).isGreaterThan(first.get(29));
        try (WalScanner s = wal2.read(DeliverPolicy.all())) {
            List<LogRecord> got = readN(s, 60);
            assertThat(text(got.get(0))).isEqualTo("one-0");
            assertThat(text(got.get(59))).isEqualTo("two-29");
        }
    }

    // ---------------------------------------------------------------- corruption

    @Test
    void aCorruptedRecordIsReportedWithItsPositionAndNeverDelivered() throws Exception {
        WalBackend backend = openBackend();
        Wal wal = backend.open(OpenOptions.readWrite("p-corrupt", 1));
        List<MessageId> ids = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            ids.add(await(wal.append(payload("c-" + i + "-" + "z".repeat(100)))));
        }
        wal.close();
        backend.close();

        MessageId bad = ids.get(20);
        corruptRecord("p-corrupt", bad);

        WalBackend again = backend();
        Wal reader = closeLater(again.open(OpenOptions.readOnly("p-corrupt")));
        try (WalScanner s = reader.read(DeliverPolicy.all())) {
            List<LogRecord> got = new ArrayList<>();
            StreamingException error = null;
            try {
                LogRecord r;
                while ((r = s.poll(Duration.ofMillis(300))) != null) {
                    got.add(r);
                }
            } catch (StreamingException e) {
                error = e;
            }
            assertThat(error).as("reading past a corrupted record must fail").isNotNull();
            assertThat(error.code()).isEqualTo(ErrorCode.DATA_CORRUPTED);
            assertThat(error.getMessage()).contains("p-corrupt").contains(bad.toString());
            assertThat(got).extracting(LogRecord::id).doesNotContain(bad);
            assertThat(got).extracting(LogRecord::id).containsExactlyElementsOf(
                    ids.subList(0, got.size()));
            assertThat(got.size()).isLessThanOrEqualTo(20);
            for (LogRecord r : got) {
                assertThat(text(r)).startsWith("c-");
            }
        }
        // a writer opened on the damaged log must not hide the damage either
        Wal writer = closeLater(again.open(OpenOptions.readWrite("p-corrupt", 2)));
        try (WalScanner s = writer.read(DeliverPolicy.startFrom(ids.get(0)))) {
            assertThatThrownBy(() -> {
                while (s.poll(Duration.ofMillis(300)) != null) {
                    // drain until the error
                }
            }).isInstanceOfSatisfying(StreamingException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.DATA_CORRUPTED));
        }
    }

    /** A batch of byte arrays, written as they are. */
    protected static Wal.RecordBatch batchOf(List<byte[]> records) {
        return new Wal.RecordBatch() {
            @Override
            public int count() {
                return records.size();
            }

            @Override
            public int size(int i) {
                return records.get(i).length;
            }

            @Override
            public void write(int i, ByteBuffer out) {
                out.put(records.get(i));
            }
        };
    }

    protected static MessageId[] awaitBatch(CompletableFuture<MessageId[]> f) {
        try {
            return f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError("batch append failed or timed out", e);
        }
    }

    @Test
    void batchesAndSingleAppendsInterleaveAndAreReadBackWholeInOrderWithIncreasingIds() throws Exception {
        Wal wal = closeLater(backend().open(OpenOptions.readWrite("p-batch", 1)));
        Random rnd = seeds.random();
        List<byte[]> written = new ArrayList<>();
        List<CompletableFuture<MessageId[]>> pending = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        for (int round = 0; round < 40; round++) {
            if (round % 3 == 2) {
                byte[] one = new byte[rnd.nextInt(500)];
                rnd.nextBytes(one);
                written.add(one);
                CompletableFuture<MessageId> f = wal.append(ByteBuffer.wrap(one));
                pending.add(f.thenApply(id -> new MessageId[] {id}));
                sizes.add(1);
                continue;
            }
            List<byte[]> batch = new ArrayList<>();
            int n = 1 + rnd.nextInt(round % 5 == 0 ? 200 : 20);
            for (int i = 0; i < n; i++) {
                byte[] b = new byte[i % 7 == 0 ? 0 : rnd.nextInt(round % 4 == 0 ? 4000 : 300)];
                rnd.nextBytes(b);
                batch.add(b);
            }
            written.addAll(batch);
            pending.add(wal.appendBatch(batchOf(batch)));
            sizes.add(n);
        }
        List<MessageId> ids = new ArrayList<>();
        for (int i = 0; i < pending.size(); i++) {
            MessageId[] got = awaitBatch(pending.get(i));
            assertThat(got).as("ids of append %d", i).hasSize(sizes.get(i));
            ids.addAll(List.of(got));
        }
        assertReadBackAsWritten(wal, written, ids, "");
    }

    /** The log holds exactly {@code written}, in order, with strictly increasing {@code ids}. */
    private void assertReadBackAsWritten(Wal wal, List<byte[]> written, List<MessageId> ids, String note)
            throws Exception {
        assertThat(ids).hasSize(written.size());
        assertStrictlyIncreasing(ids);
        try (WalScanner s = wal.read(DeliverPolicy.all())) {
            List<LogRecord> got = readN(s, written.size());
            for (int i = 0; i < written.size(); i++) {
                assertThat(got.get(i).id()).as("id of record %d", i).isEqualTo(ids.get(i));
                assertThat(got.get(i).bytes()).as("record %d", i).isEqualTo(written.get(i));
            }
            assertThat(s.poll(Duration.ofMillis(100))).as("nothing more%s", note).isNull();
        }
    }

    @Test
    void aBatchTriedWithoutWaitingIsEitherNotTakenWithNothingWrittenOrAppendedLikeAnyBatch() throws Exception {
        Wal wal = closeLater(backend().open(OpenOptions.readWrite("p-try-batch", 1)));
        Random rnd = seeds.random();
        List<byte[]> written = new ArrayList<>();
        List<CompletableFuture<MessageId[]>> pending = new ArrayList<>();
        int notTaken = 0;
        for (int round = 0; round < 30; round++) {
            List<byte[]> batch = new ArrayList<>();
            int n = 1 + rnd.nextInt(50);
            for (int i = 0; i < n; i++) {
                byte[] b = new byte[rnd.nextInt(2000)];
                rnd.nextBytes(b);
                batch.add(b);
            }
            CompletableFuture<MessageId[]> f = wal.tryAppendBatch(batchOf(batch));
            if (f == null) {
                // Not taken: the same records again, from a thread that may wait; a taken copy would show twice.
                notTaken++;
                f = wal.appendBatch(batchOf(batch));
            }
            written.addAll(batch);
            pending.add(f);
        }
        List<MessageId> ids = new ArrayList<>();
        for (CompletableFuture<MessageId[]> f : pending) {
            ids.addAll(List.of(awaitBatch(f)));
        }
        assertReadBackAsWritten(wal, written, ids, " (" + notTaken + " batches not taken at once)");
    }

    @Test
    void aBatchWithARecordOverTheLimitWritesNothingOfIt() throws Exception {
        Wal wal = closeLater(backend().open(OpenOptions.readWrite("p-batch-limit", 1)));
        List<byte[]> batch = List.of("before".getBytes(StandardCharsets.UTF_8), new byte[wal.maxRecordBytes() + 1],
                "after".getBytes(StandardCharsets.UTF_8));
        assertThat(failureCode(wal.appendBatch(batchOf(batch)))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        MessageId ok = await(wal.append(payload("alone")));
        try (WalScanner s = wal.read(DeliverPolicy.all())) {
            List<LogRecord> got = readAll(s);
            assertThat(got).extracting(WalBackendConformanceTest::text).containsExactly("alone");
            assertThat(got.get(0).id()).isEqualTo(ok);
        }
    }

    @Test
    void aFencedWriterWritesNothingOfABatch() throws Exception {
        WalBackend backend = backend();
        Wal old = closeLater(backend.open(OpenOptions.readWrite("p-batch-fence", 1)));
        await(old.append(payload("term1")));
        Wal newer = closeLater(backend.open(OpenOptions.readWrite("p-batch-fence", 2)));
        List<byte[]> batch = List.of("x".getBytes(StandardCharsets.UTF_8), "y".getBytes(StandardCharsets.UTF_8));
        assertThat(failureCode(old.appendBatch(batchOf(batch)))).isEqualTo(ErrorCode.CHANNEL_FENCED);
        await(newer.append(payload("term2")));
        try (WalScanner s = newer.read(DeliverPolicy.all())) {
            assertThat(readAll(s)).extracting(WalBackendConformanceTest::text).containsExactly("term1", "term2");
        }
    }

    // ---------------------------------------------------------------- fencing

    @Test
    void aHigherTermFencesTheOldWriterForever() throws Exception {
        WalBackend backend = backend();
        Wal old = closeLater(backend.open(OpenOptions.readWrite("p-fence", 1)));
        MessageId a = await(old.append(payload("term1-a")));

        Wal newer = closeLater(backend.open(OpenOptions.readWrite("p-fence", 2)));
        assertThat(failureCode(old.append(payload("term1-b")))).isEqualTo(ErrorCode.CHANNEL_FENCED);
        MessageId b = await(newer.append(payload("term2-a")));
        assertThat(failureCode(old.append(payload("term1-c")))).isEqualTo(ErrorCode.CHANNEL_FENCED);
        assertThat(b).isGreaterThan(a);

        assertThatThrownBy(() -> backend.open(OpenOptions.readWrite("p-fence", 1)))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CHANNEL_FENCED));

        try (WalScanner s = newer.read(DeliverPolicy.all())) {
            List<LogRecord> got = readAll(s);
            assertThat(got).extracting(WalBackendConformanceTest::text).containsExactly("term1-a", "term2-a");
        }
    }

    @Test
    void theTermSurvivesARestartSoAStaleOwnerStaysFenced() {
        WalBackend backend = openBackend();
        Wal w = backend.open(OpenOptions.readWrite("p-fence-restart", 5));
        await(w.append(payload("t5")));
        w.close();
        backend.close();

        WalBackend again = backend();
        assertThatThrownBy(() -> again.open(OpenOptions.readWrite("p-fence-restart", 4)))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CHANNEL_FENCED));
        Wal w6 = closeLater(again.open(OpenOptions.readWrite("p-fence-restart", 6)));
        assertThat(await(w6.append(payload("t6")))).isNotNull();
    }

    @Test
    void concurrentAppendsRacingAFenceAreEitherAcknowledgedBeforeItOrFenced() throws Exception {
        WalBackend backend = backend();
        Wal old = closeLater(backend.open(OpenOptions.readWrite("p-fence-race", 1)));
        List<CompletableFuture<MessageId>> fs = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            fs.add(old.append(payload("old-" + i)));
        }
        Wal newer = closeLater(backend.open(OpenOptions.readWrite("p-fence-race", 2)));
        MessageId firstNew = await(newer.append(payload("new-0")));

        Set<String> ackedOld = new HashSet<>();
        for (int i = 0; i < fs.size(); i++) {
            try {
                MessageId id = fs.get(i).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                assertThat(id).isLessThan(firstNew);
                ackedOld.add("old-" + i);
            } catch (ExecutionException e) {
                assertThat(StreamingException.from(e.getCause()).code())
                        .isIn(ErrorCode.CHANNEL_FENCED, ErrorCode.ON_SHUTDOWN);
            }
        }
        try (WalScanner s = newer.read(DeliverPolicy.all())) {
            List<String> got = new ArrayList<>();
            for (LogRecord r : readAll(s)) {
                got.add(text(r));
            }
            assertThat(got.get(got.size() - 1)).isEqualTo("new-0");
            // every acknowledged old record is there; no unacknowledged one sneaked in after the fence
            assertThat(got.subList(0, got.size() - 1)).containsAll(ackedOld);
        }
    }

    // ---------------------------------------------------------------- limits and lifecycle

    @Test
    void aRecordOverTheSizeLimitIsRejectedAndNothingIsWritten() throws Exception {
        Wal wal = closeLater(backend().open(OpenOptions.readWrite("p-limit", 1)));
        assertThat(wal.maxRecordBytes()).isPositive();
        assertThat(failureCode(wal.append(ByteBuffer.allocate(wal.maxRecordBytes() + 1))))
                .isEqualTo(ErrorCode.INVALID_ARGUMENT);
        MessageId ok = await(wal.append(ByteBuffer.allocate(wal.maxRecordBytes())));
        try (WalScanner s = wal.read(DeliverPolicy.all())) {
            LogRecord r = s.poll(WAIT);
            assertThat(r.id()).isEqualTo(ok);
            assertThat(r.payload().remaining()).isEqualTo(wal.maxRecordBytes());
            assertThat(s.poll(Duration.ofMillis(100))).isNull();
        }
    }

    @Test
    void aClosedLogFailsAppendsWithOnShutdown() {
        Wal wal = backend().open(OpenOptions.readWrite("p-closed", 1));
        await(wal.append(payload("x")));
        wal.close();
        wal.close();
        assertThat(failureCode(wal.append(payload("y")))).isEqualTo(ErrorCode.ON_SHUTDOWN);
    }

    @Test
    void invalidPchannelNamesAreRejected() {
        WalBackend backend = backend();
        for (String bad : new String[] {"", "../etc", "a/b", "with space", ".hidden", "a_b"}) {
            assertThatThrownBy(() -> backend.open(OpenOptions.readWrite(bad, 1)))
                    .as(bad)
                    .isInstanceOfSatisfying(StreamingException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
    }
}
