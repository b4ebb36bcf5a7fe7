package io.tidelog.wal.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.DiskSpace;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.testing.Await;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.LogRecord;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalScanner;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writes and syncs that fail the way a full disk makes them fail (injected into the segment files): what
 * the appends report, what the log holds afterwards, and how a reopen repairs it, in this process and
 * after a restart.
 */
class WriteFailureTest {
    @TempDir
    Path dir;

    private final FaultInjectingChannel.Faults faults = new FaultInjectingChannel.Faults();

    private SegmentFileWalBackend backend() {
        return backend("256MiB");
    }

    private SegmentFileWalBackend backend(String reserve) {
        return new SegmentFileWalBackend(LocalWalConfig.from(Map.of(
                LocalWalConfig.DIR, dir.toString(),
                LocalWalConfig.SEGMENT_BYTES, "256KiB",
                LocalWalConfig.BATCH_MAX_BYTES, "16KiB",
                LocalWalConfig.MAX_RECORD_BYTES, "128KiB",
                LocalWalConfig.DISK_RESERVE_BYTES, reserve)), faults.channels());
    }

    /** A record with no zero byte: a torn copy of it never matches the zeros of unwritten file space. */
    private static ByteBuffer record(int tag) {
        ByteBuffer b = ByteBuffer.allocate(200);
        java.util.Arrays.fill(b.array(), (byte) 0x5A);
        b.putInt(0, tag);
        return b;
    }

    private static MessageId append(Wal wal, int tag) throws Exception {
        return wal.append(record(tag)).get(30, TimeUnit.SECONDS);
    }

    private static StreamingException appendFails(Wal wal, int tag) throws Exception {
        try {
            MessageId id = wal.append(record(tag)).get(30, TimeUnit.SECONDS);
            throw new AssertionError("the append succeeded at " + id);
        } catch (ExecutionException e) {
            return StreamingException.from(e.getCause());
        }
    }

    private static List<Integer> tags(Wal wal) throws Exception {
        List<Integer> out = new ArrayList<>();
        try (WalScanner s = wal.read(DeliverPolicy.all())) {
            LogRecord r;
            while ((r = s.poll(Duration.ofMillis(200))) != null) {
                out.add(r.payload().getInt(0));
            }
        }
        return out;
    }

    private List<Integer> tagsAfterRestart() throws Exception {
        try (SegmentFileWalBackend b = backend(); Wal wal = b.open(OpenOptions.readOnly("p"))) {
            return tags(wal);
        }
    }

    /** Opens p at {@code term}, appends {@code tag}, and checks that the log holds exactly {@code expected}. */
    private static void appendAfterReopen(SegmentFileWalBackend b, long term, int tag, Integer... expected)
            throws Exception {
        try (Wal again = b.open(OpenOptions.readWrite("p", term))) {
            append(again, tag);
            assertThat(tags(again)).containsExactly(expected);
        }
    }

    private void assertNamesTheDisk(StreamingException e) {
        assertThat(e.getMessage()).contains("the disk " + DiskSpace.diskOf(dir))
                .contains(dir.resolve("p").toAbsolutePath().toString()).containsPattern("\\d+ bytes usable");
    }

    @Test
    void aBatchTheFullDiskRefusedBeforeItsFirstByteFailsWithResourceExhaustedAndTheNextBatchIsWritten() throws Exception {
        try (SegmentFileWalBackend b = backend(); Wal wal = b.open(OpenOptions.readWrite("p", 1))) {
            MessageId first = append(wal, 1);
            faults.writeFailsAfter = 0;
            StreamingException refused = appendFails(wal, 2);
            assertThat(refused.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
            assertNamesTheDisk(refused);
            assertThat(refused.getMessage()).contains("nothing was written");
            faults.clear();
            MessageId third = append(wal, 3);
            assertThat(third.major()).as("nothing to seal off: the same segment").isEqualTo(first.major());
            assertThat(tags(wal)).containsExactly(1, 3);
        }
        assertThat(tagsAfterRestart()).containsExactly(1, 3);
    }

    @Test
    void aTornWriteOnAFullDiskFailsWithResourceExhaustedAndIsSealedOffBeforeTheNextBatch() throws Exception {
        try (SegmentFileWalBackend b = backend(); Wal wal = b.open(OpenOptions.readWrite("p", 1))) {
            MessageId first = append(wal, 1);
            faults.writeFailsAfter = 100; // the header and part of the record reach the file
            StreamingException refused = appendFails(wal, 2);
            assertThat(refused.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
            assertNamesTheDisk(refused);
            assertThat(appendFails(wal, 3).code()).as("still full: the seal cannot be written either")
                    .isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
            faults.clear();
            MessageId fourth = append(wal, 4);
            assertThat(fourth.major()).as("the torn tail was sealed: a new segment").isEqualTo(first.major() + 1);
            assertThat(tags(wal)).containsExactly(1, 4);
        }
        assertThat(tagsAfterRestart()).containsExactly(1, 4);
    }

    @Test
    void aFailedSyncHasAnUnknownOutcomeStopsTheWriterAndAReopenAtTheSameTermSealsTheBatchOff() throws Exception {
        try (SegmentFileWalBackend b = backend()) {
            Wal wal = b.open(OpenOptions.readWrite("p", 1));
            MessageId first = append(wal, 1);
            faults.forceFails = true; // the batch is whole in the file, but not known to be durable
            StreamingException unknown = appendFails(wal, 2);
            assertThat(unknown.code()).isEqualTo(ErrorCode.INNER);
            assertThat(unknown.getMessage()).contains("outcome of its appends is unknown");
            assertNamesTheDisk(unknown);
            faults.clear();
            assertThat(appendFails(wal, 3).code()).as("the writer stopped").isEqualTo(ErrorCode.INNER);
            wal.close();
            try (Wal again = b.open(OpenOptions.readWrite("p", 1))) {
                MessageId fourth = append(again, 4);
                assertThat(fourth.major()).isEqualTo(first.major() + 1);
                assertThat(tags(again)).containsExactly(1, 4);
            }
        }
        assertThat(tagsAfterRestart()).containsExactly(1, 4);
    }

    @Test
    void aTornWriteWhoseMissingBytesTheFileHeldAlreadyHasAnUnknownOutcome() throws Exception {
        try (SegmentFileWalBackend b = backend()) {
            Wal wal = b.open(OpenOptions.readWrite("p", 1));
            append(wal, 1);
            // Only the first 100 bytes reach the file, but the rest of the record is zeros, as is the
            // unwritten file behind them: the batch reads back whole, so it may yet be read as data.
            faults.writeFailsAfter = 100;
            ByteBuffer zeroTailed = ByteBuffer.allocate(200).putInt(0, 2);
            ExecutionException failed = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> wal.append(zeroTailed).get(30, TimeUnit.SECONDS));
            assertThat(StreamingException.from(failed.getCause()).code()).isEqualTo(ErrorCode.INNER);
            faults.clear();
            wal.close();
            appendAfterReopen(b, 2, 3, 1, 3);
        }
        assertThat(tagsAfterRestart()).containsExactly(1, 3);
    }

    @Test
    void aReopenThatCannotWriteItsSealFailsWithResourceExhaustedAndCanBeRetried() throws Exception {
        try (SegmentFileWalBackend b = backend()) {
            Wal wal = b.open(OpenOptions.readWrite("p", 1));
            append(wal, 1);
            faults.forceFails = true;
            appendFails(wal, 2);
            wal.close();
            faults.forceFails = false;
            faults.writeFailsAfter = 0;
            assertThatThrownBy(() -> b.open(OpenOptions.readWrite("p", 1)))
                    .isInstanceOfSatisfying(StreamingException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
                        assertNamesTheDisk(e);
                    });
            faults.clear();
            appendAfterReopen(b, 1, 3, 1, 3);
        }
        assertThat(tagsAfterRestart()).containsExactly(1, 3);
    }

    @Test
    void sparesAreNotPreallocatedWhenTheDiskWouldKeepLessThanTheReserve() throws Exception {
        long usable = DiskSpace.usableBytes(dir);
        try (SegmentFileWalBackend b = backend(Long.toString(usable + (1L << 30)));
             Wal wal = b.open(OpenOptions.readWrite("p", 1))) {
            append(wal, 1);
            Await.until("the preallocator gives up for lack of room", () -> b.poolForTesting().isOutOfRoom());
            assertThat(b.poolForTesting().readyCount()).isZero();
            assertThat(files(dir.resolve(SegmentPool.DIR))).isEmpty();
        }
        try (SegmentFileWalBackend b = backend("0"); Wal wal = b.open(OpenOptions.readWrite("p", 1))) {
            append(wal, 2);
            Await.until("two spares are preallocated without a reserve", () -> b.poolForTesting().readyCount() == 2);
            assertThat(b.poolForTesting().isOutOfRoom()).isFalse();
        }
    }

    private static List<Path> files(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.toList();
        }
    }
}
