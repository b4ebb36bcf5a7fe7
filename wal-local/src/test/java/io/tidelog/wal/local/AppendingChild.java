package io.tidelog.wal.local;

import io.tidelog.common.MessageId;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.Wal;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * The child process of {@link KillNineTest}: appends self-checking records from several threads
 * until it is killed, printing {@code ACK <key> <id>} for every acknowledged one.
 *
 * <p>Arguments: data directory, pchannel, term.
 */
public final class AppendingChild {
    private AppendingChild() {
    }

    /** The record for a key: the key, a colon, and filler derived from the key, so a reader can check it is whole. */
    static byte[] record(String key) {
        int length = Math.floorMod(key.hashCode(), 3000);
        StringBuilder sb = new StringBuilder(key).append(':');
        for (int i = 0; i < length; i++) {
            sb.append((char) ('a' + Math.floorMod(key.hashCode() + i, 26)));
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The key of a record if it is whole and well-formed, else null. */
    static String keyOf(byte[] record) {
        String s = new String(record, StandardCharsets.UTF_8);
        int colon = s.indexOf(':');
        if (colon < 0) {
            return null;
        }
        String key = s.substring(0, colon);
        return java.util.Arrays.equals(record(key), record) ? key : null;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String pchannel = args[1];
        long term = Long.parseLong(args[2]);
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        SegmentFileWalBackend backend = new SegmentFileWalBackend(LocalWalConfig.from(Map.of(
                LocalWalConfig.DIR, dir.toString(),
                LocalWalConfig.SEGMENT_BYTES, "256KiB",
                LocalWalConfig.BATCH_MAX_BYTES, "32KiB",
                LocalWalConfig.MAX_RECORD_BYTES, "64KiB")));
        Wal wal = backend.open(OpenOptions.readWrite(pchannel, term));
        out.println("READY");
        int threads = 4;
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Thread th = new Thread(() -> {
                Semaphore window = new Semaphore(32);
                for (long i = 0; ; i++) {
                    String key = "t" + term + "-" + thread + "-" + i;
                    window.acquireUninterruptibly();
                    wal.append(ByteBuffer.wrap(record(key))).whenComplete((MessageId id, Throwable err) -> {
                        window.release();
                        if (id != null) {
                            synchronized (out) {
                                out.println("ACK " + key + " " + id);
                            }
                        }
                    });
                }
            }, "appender-" + t);
            th.start();
        }
        Thread.currentThread().join(); // until killed
    }
}
