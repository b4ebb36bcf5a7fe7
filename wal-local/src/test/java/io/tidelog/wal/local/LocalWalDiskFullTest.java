package io.tidelog.wal.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.common.DiskSpace;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.testing.Tmpfs;
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
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local WAL on a real full disk: a small tmpfs filled by another file. Appends fail with
 * {@code RESOURCE_EXHAUSTED} naming the disk, the same log takes appends again once the file is gone, and
 * after a restart it holds exactly the acknowledged records. Needs root (it mounts the tmpfs); skipped
 * otherwise.
 */
class LocalWalDiskFullTest {
    private static final int APPENDERS = 4;
    private static final int RECORD_BYTES = 4000; // frames of 4008 bytes: batches need no zero padding

    @TempDir
    Path tmp;

    private SegmentFileWalBackend backend(Path walDir) {
        return new SegmentFileWalBackend(LocalWalConfig.from(Map.of(
                LocalWalConfig.DIR, walDir.toString(),
                LocalWalConfig.SEGMENT_BYTES, "1MiB",
                LocalWalConfig.BATCH_MAX_BYTES, "64KiB",
                LocalWalConfig.MAX_RECORD_BYTES, "64KiB")));
    }

    /** A record with no zero byte, tagged: a torn copy of it never reads back whole over unwritten space. */
    private static ByteBuffer record(int tag) {
        byte[] b = new byte[RECORD_BYTES];
        Arrays.fill(b, (byte) (1 + (tag & 0x7F)));
        return ByteBuffer.wrap(b).putInt(0, tag).rewind();
    }

    @Test
    void appendsOnAFullDiskFailWithResourceExhaustedNamingItAndSucceedAgainOnceThereIsRoom() throws Exception {
        try (Tmpfs disk = Tmpfs.mount(tmp.resolve("disk"), 16 << 20)) {
            appendOnAFullDisk(disk);
        }
    }

    private void appendOnAFullDisk(Tmpfs disk) throws Exception {
        Path walDir = disk.dir().resolve("wal");
        Map<Integer, MessageId> acked = Collections.synchronizedMap(new TreeMap<>());
        List<StreamingException> refusals = Collections.synchronizedList(new ArrayList<>());
        try (SegmentFileWalBackend backend = backend(walDir); Wal wal = backend.open(OpenOptions.readWrite("p", 1))) {
            for (int i = 0; i < 50; i++) {
                acked.put(i, wal.append(record(i)).get(30, TimeUnit.SECONDS));
            }
            disk.fill("filler");
            List<Thread> appenders = new ArrayList<>();
            for (int t = 0; t < APPENDERS; t++) {
                int base = (t + 1) * 100_000;
                Thread th = new Thread(() -> appendUntilRefused(wal, base, acked, refusals));
                th.start();
                appenders.add(th);
            }
            for (Thread th : appenders) {
                th.join(TimeUnit.SECONDS.toMillis(60));
            }
            assertThat(refusals).hasSizeGreaterThanOrEqualTo(APPENDERS);
            for (StreamingException e : refusals) {
                assertThat(e.code()).as(e.getMessage()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
                assertThat(e.getMessage()).contains("the disk " + DiskSpace.diskOf(disk.dir()))
                        .contains(disk.dir().toString()).contains(walDir.resolve("p").toString())
                        .containsPattern("\\d+ bytes usable");
            }
            Files.delete(disk.dir().resolve("filler"));
            for (int i = 50; i < 100; i++) {
                acked.put(i, wal.append(record(i)).get(30, TimeUnit.SECONDS));
            }
        }
        try (SegmentFileWalBackend backend = backend(walDir); Wal wal = backend.open(OpenOptions.readOnly("p"))) {
            List<MessageId> ids = new ArrayList<>();
            List<Integer> tags = new ArrayList<>();
            try (WalScanner s = wal.read(DeliverPolicy.all())) {
                LogRecord r;
                while ((r = s.poll(Duration.ofMillis(500))) != null) {
                    ids.add(r.id());
                    tags.add(r.payload().getInt(0));
                    assertThat(r.payload().remaining()).isEqualTo(RECORD_BYTES);
                }
            }
            assertThat(tags).containsExactlyInAnyOrderElementsOf(acked.keySet());
            List<MessageId> expected = new ArrayList<>(acked.values());
            Collections.sort(expected);
            assertThat(ids).containsExactlyElementsOf(expected);
        }
    }

    /** Appends records tagged {@code base + i} until the disk refuses two of them in a row. */
    private static void appendUntilRefused(Wal wal, int base, Map<Integer, MessageId> acked,
                                           List<StreamingException> refusals) {
        int refusedInARow = 0;
        for (int i = 0; i < 5_000 && refusedInARow < 2; i++) {
            try {
                acked.put(base + i, wal.append(record(base + i)).get(30, TimeUnit.SECONDS));
                refusedInARow = 0;
            } catch (ExecutionException e) {
                refusals.add(StreamingException.from(e.getCause()));
                refusedInARow++;
            } catch (Exception e) {
                refusals.add(StreamingException.from(e));
                return;
            }
        }
    }
}
