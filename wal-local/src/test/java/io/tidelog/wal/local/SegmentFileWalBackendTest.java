package io.tidelog.wal.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.LogRecord;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalScanner;
import io.tidelog.testing.Await;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the local backend does beyond the shared contract: files, recovery, recycling, limits. */
class SegmentFileWalBackendTest {
    @TempDir
    Path dir;

    private SegmentFileWalBackend backend(String... extra) {
        Map<String, String> p = new HashMap<>(Map.of(
                LocalWalConfig.DIR, dir.toString(),
                LocalWalConfig.SEGMENT_BYTES, "256KiB",
                LocalWalConfig.BATCH_MAX_BYTES, "16KiB",
                LocalWalConfig.MAX_RECORD_BYTES, "128KiB"));
        for (int i = 0; i < extra.length; i += 2) {
            p.put(extra[i], extra[i + 1]);
        }
        return new SegmentFileWalBackend(LocalWalConfig.from(p));
    }

    private static MessageId append(Wal wal, int size, int tag) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(size);
        b.putInt(0, tag);
        return wal.append(b).get(30, TimeUnit.SECONDS);
    }

    private static List<LogRecord> readAll(Wal wal, DeliverPolicy policy) throws Exception {
        List<LogRecord> out = new ArrayList<>();
        try (WalScanner s = wal.read(policy)) {
            LogRecord r;
            while ((r = s.poll(Duration.ofMillis(200))) != null) {
                out.add(r);
            }
        }
        return out;
    }

    private long segmentCount(String pchannel) throws Exception {
        return LocalFiles.segments(dir.resolve(pchannel)).size();
    }

    @Test
    void aRunThatWritesLessThanItAnnouncedFailsWithNothingWrittenAndTheWriterGoesOn() throws Exception {
        try (SegmentFileWalBackend b = backend(); Wal wal = b.open(OpenOptions.readWrite("p", 1))) {
            MessageId before = append(wal, 100, 1);
            Wal.RecordBatch shortRun = new Wal.RecordBatch() {
                @Override
                public int count() {
                    return 2;
                }

                @Override
                public int size(int i) {
                    return 64;
                }

                @Override
                public void write(int i, ByteBuffer out) {
                    out.put(new byte[i == 0 ? 64 : 10]); // the second record writes 10 of its 64 bytes
                }
            };
            assertThatThrownBy(() -> wal.appendBatch(shortRun).get(30, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(StreamingException.class)
                    .satisfies(e -> {
                        StreamingException cause = (StreamingException) e.getCause();
                        assertThat(cause.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                        assertThat(cause.code().isNothingWritten()).isTrue();
                    });
            MessageId after = append(wal, 100, 2);
            assertThat(readAll(wal, DeliverPolicy.all())).extracting(LogRecord::id).containsExactly(before, after);
        }
    }

    @Test
    void aSecondBackendOnTheSameDirectoryIsRefused() {
        try (SegmentFileWalBackend first = backend()) {
            assertThat(first.name()).isEqualTo("local");
            assertThatThrownBy(this::backend)
                    .isInstanceOfSatisfying(StreamingException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                        assertThat(e.getMessage()).contains("in use");
                    });
        }
    }

    @Test
    void aCleanRestartContinuesInTheSameSegment() throws Exception {
        MessageId first;
        try (SegmentFileWalBackend b = backend(); Wal wal = b.open(OpenOptions.readWrite("p", 1))) {
            first = append(wal, 100, 1);
        }
        try (SegmentFileWalBackend b = backend(); Wal wal = b.open(OpenOptions.readWrite("p", 2))) {
            MessageId second = append(wal, 100, 2);
            assertThat(second.major()).isEqualTo(first.major());
            assertThat(readAll(wal, DeliverPolicy.all())).extracting(LogRecord::id).containsExactly(first, second);
        }
        assertThat(segmentCount("p")).isEqualTo(1);
    }

    @Test
    void aTornTailIsSealedOffAndWritingContinuesInANewSegment() throws Exception {
        SegmentFileWalBackend b = backend();
        Wal wal = b.open(OpenOptions.readWrite("p", 1));
        List<MessageId> acked = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            acked.add(append(wal, 500, i));
        }
        b.crashForTesting();
        Path last = LocalFiles.segments(dir.resolve("p")).get(0);
        try (var ch = java.nio.channels.FileChannel.open(last, java.nio.file.StandardOpenOption.WRITE)) {
            ByteBuffer garbage = ByteBuffer.allocate(300);
            new java.util.Random(1).nextBytes(garbage.array());
            long end = acked.get(19).minor() + 8 + 500; // the end of the last record's frame ...
            ch.write(garbage, SegmentFormat.align(end)); // ... rounded up to where the next batch goes
        }
        try (SegmentFileWalBackend again = backend(); Wal w2 = again.open(OpenOptions.readWrite("p", 2))) {
            MessageId next = append(w2, 500, 99);
            assertThat(next.major()).as("a new segment after the sealed torn one").isEqualTo(acked.get(0).major() + 1);
            List<LogRecord> all = readAll(w2, DeliverPolicy.all());
            assertThat(all).extracting(LogRecord::id).startsWith(acked.toArray(new MessageId[0])).endsWith(next);
            assertThat(all).hasSize(21);
        }
    }

    @Test
    void corruptionInTheMiddleIsReportedAndTheWriterContinuesAfterTheValidData() throws Exception {
        List<MessageId> ids = new ArrayList<>();
        try (SegmentFileWalBackend b = backend(); Wal wal = b.open(OpenOptions.readWrite("p", 1))) {
            for (int i = 0; i < 30; i++) {
                ids.add(append(wal, 200, i));
            }
        }
        LocalFiles.flipPayloadByte(dir.resolve("p"), ids.get(10));
        try (SegmentFileWalBackend b = backend(); Wal wal = b.open(OpenOptions.readWrite("p", 2))) {
            MessageId next = append(wal, 200, 30);
            assertThat(next).isGreaterThan(ids.get(29));
            assertThat(readAll(wal, DeliverPolicy.startFrom(ids.get(11)))).hasSize(20);
            try (WalScanner s = wal.read(DeliverPolicy.all())) {
                for (int i = 0; i < 10; i++) {
                    assertThat(s.poll(Duration.ofSeconds(5)).id()).isEqualTo(ids.get(i));
                }
                assertThatThrownBy(() -> s.poll(Duration.ofSeconds(5)))
                        .isInstanceOfSatisfying(StreamingException.class, e -> {
                            assertThat(e.code()).isEqualTo(ErrorCode.DATA_CORRUPTED);
                            assertThat(e.getMessage()).contains(ids.get(10).toString());
                        });
            }
        }
    }

    @Test
    void truncatedSegmentsComeBackAsSparesAndAreReused() throws Exception {
        try (SegmentFileWalBackend b = backend(LocalWalConfig.SPARE_SEGMENTS, "1");
             Wal wal = b.open(OpenOptions.readWrite("p", 1))) {
            MessageId last = null;
            for (int i = 0; i < 60; i++) {
                last = append(wal, 16 << 10, i); // 60 x 16 KiB: several 256 KiB segments
            }
            long before = segmentCount("p");
            assertThat(before).isGreaterThan(3);
            wal.truncate(last);
            assertThat(segmentCount("p")).isEqualTo(1);
            Path spares = dir.resolve(SegmentPool.DIR);
            Await.until("truncated segments reach the spare pool", Duration.ofSeconds(30),
                    () -> count(spares) >= 2);
            long sparesBefore = count(spares);
            for (int i = 0; i < 20; i++) {
                append(wal, 16 << 10, i);
            }
            assertThat(segmentCount("p")).isGreaterThan(1);
            assertThat(count(spares)).as("new segments were taken from the pool").isLessThan(sparesBefore + 1);
        }
    }

    private static long count(Path d) {
        try (Stream<Path> s = Files.list(d)) {
            return s.filter(p -> p.toString().endsWith(".seg")).count();
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    @Test
    void aRecordLargerThanTheBatchLimitGetsABatchOfItsOwn() throws Exception {
        try (SegmentFileWalBackend b = backend(); Wal wal = b.open(OpenOptions.readWrite("p", 1))) {
            List<CompletableFuture<MessageId>> fs = new ArrayList<>();
            fs.add(wal.append(ByteBuffer.allocate(100)));
            fs.add(wal.append(ByteBuffer.allocate(100 << 10)));
            fs.add(wal.append(ByteBuffer.allocate(100)));
            for (CompletableFuture<MessageId> f : fs) {
                f.get(30, TimeUnit.SECONDS);
            }
            assertThat(readAll(wal, DeliverPolicy.all())).extracting(r -> r.payload().remaining())
                    .containsExactly(100, 100 << 10, 100);
        }
    }

    @Test
    void appendsBeyondTheQueueLimitFailWithResourceExhaustedAndAreNotWritten() throws Exception {
        try (SegmentFileWalBackend b = backend(LocalWalConfig.QUEUE_MAX_BYTES, "64KiB",
                LocalWalConfig.APPEND_TIMEOUT, "0ms");
             Wal wal = b.open(OpenOptions.readWrite("p", 1))) {
            append(wal, 10, -1);
            ReentrantLock writes = b.logForTesting("p").writeLockForTesting();
            List<CompletableFuture<MessageId>> fs = new ArrayList<>();
            writes.lock(); // the writer cannot write: the queue fills up
            try {
                for (int i = 0; i < 10; i++) {
                    ByteBuffer rec = ByteBuffer.allocate(16 << 10);
                    rec.putInt(0, i);
                    fs.add(wal.append(rec));
                }
            } finally {
                writes.unlock();
            }
            int exhausted = 0;
            List<Integer> written = new ArrayList<>();
            for (int i = 0; i < fs.size(); i++) {
                try {
                    fs.get(i).get(30, TimeUnit.SECONDS);
                    written.add(i);
                } catch (ExecutionException e) {
                    assertThat(StreamingException.from(e.getCause()).code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
                    exhausted++;
                }
            }
            assertThat(exhausted).isPositive();
            List<Integer> read = new ArrayList<>();
            for (LogRecord r : readAll(wal, DeliverPolicy.all())) {
                read.add(r.payload().getInt(0));
            }
            assertThat(read.subList(1, read.size())).containsExactlyElementsOf(written);
        }
    }

    /** Two records of 16 KiB, each starting with {@code tag}. */
    private static Wal.RecordBatch twoTagged(int tag) {
        return new Wal.RecordBatch() {
            @Override
            public int count() {
                return 2;
            }

            @Override
            public int size(int i) {
                return 16 << 10;
            }

            @Override
            public void write(int i, ByteBuffer out) {
                int at = out.position();
                out.putInt(tag);
                out.position(at + (16 << 10));
            }
        };
    }

    @Test
    void aBatchTriedWithoutWaitingIsRefusedAtOnceWhileTheQueueIsFullAndNothingOfItIsWritten() throws Exception {
        // Appends would wait a minute for room; the try must not wait at all (the preemptive timeout fails it if it does).
        try (SegmentFileWalBackend b = backend(LocalWalConfig.QUEUE_MAX_BYTES, "64KiB",
                LocalWalConfig.APPEND_TIMEOUT, "60s");
             Wal wal = b.open(OpenOptions.readWrite("p", 1))) {
            ReentrantLock writes = b.logForTesting("p").writeLockForTesting();
            List<CompletableFuture<MessageId[]>> taken = new ArrayList<>();
            int refusedAt = -1;
            writes.lock(); // the writer cannot write: the queue fills up
            try {
                for (int i = 0; i < 10 && refusedAt < 0; i++) {
                    int tag = i;
                    CompletableFuture<MessageId[]> f = assertTimeoutPreemptively(Duration.ofSeconds(10),
                            () -> wal.tryAppendBatch(twoTagged(tag)));
                    if (f == null) {
                        refusedAt = i;
                    } else {
                        taken.add(f);
                    }
                }
            } finally {
                writes.unlock();
            }
            assertThat(refusedAt).as("the batch that no longer fits in 64 KiB").isEqualTo(1);
            for (CompletableFuture<MessageId[]> f : taken) {
                assertThat(f.get(30, TimeUnit.SECONDS)).hasSize(2);
            }
            MessageId[] later = wal.tryAppendBatch(twoTagged(7)).get(30, TimeUnit.SECONDS);
            assertThat(later).as("taken again once the queue has room").hasSize(2);
            List<Integer> tags = new ArrayList<>();
            for (LogRecord r : readAll(wal, DeliverPolicy.all())) {
                tags.add(r.payload().getInt(0));
            }
            assertThat(tags).containsExactly(0, 0, 7, 7);
        }
    }

    @Test
    void theNextBatchIsWrittenAndAcknowledgedWhileTheLastOnesAcknowledgementsStillRun() throws Exception {
        try (SegmentFileWalBackend b = backend(); Wal wal = b.open(OpenOptions.readWrite("p", 1))) {
            java.util.concurrent.CountDownLatch inCallback = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            CompletableFuture<MessageId> first = wal.append(ByteBuffer.allocate(100)).whenComplete((id, e) -> {
                inCallback.countDown();
                try {
                    release.await(); // an acknowledgement that takes long (waking many appenders, say)
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            });
            try {
                assertThat(inCallback.await(30, TimeUnit.SECONDS)).isTrue();
                MessageId second = wal.append(ByteBuffer.allocate(200)).get(30, TimeUnit.SECONDS);
                assertThat(first).as("the first is still being acknowledged").isNotDone();
                release.countDown();
                assertThat(first.get(30, TimeUnit.SECONDS)).isLessThan(second);
            } finally {
                release.countDown();
            }
            assertThat(readAll(wal, DeliverPolicy.all())).extracting(r -> r.payload().remaining())
                    .containsExactly(100, 200);
        }
    }

    @Test
    void badConfigurationIsRejectedNamingTheKey() {
        assertThatThrownBy(() -> LocalWalConfig.from(Map.of(LocalWalConfig.DIR, dir.toString(),
                LocalWalConfig.SEGMENT_BYTES, "64KiB", LocalWalConfig.MAX_RECORD_BYTES, "1MiB")))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.getMessage()).contains(LocalWalConfig.SEGMENT_BYTES));
        assertThatThrownBy(() -> LocalWalConfig.from(Map.of(LocalWalConfig.DIR, dir.toString(), "wal.local.segmnt.bytes", "1")))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.getMessage()).contains("wal.local.segmnt.bytes"));
        assertThatThrownBy(() -> LocalWalConfig.from(Map.of()))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.getMessage()).contains(LocalWalConfig.DIR));
    }
}
