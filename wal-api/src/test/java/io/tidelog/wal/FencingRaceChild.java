package io.tidelog.wal;

import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * The stale writer of {@link WalFencingRaceTest}, in a process of its own: opens a pchannel at a term and appends
 * self-checking records from several threads as fast as the log takes them, until it is killed. For every
 * acknowledged record it prints {@code ACK <key> <id> <submitted> <acknowledged>} (the two {@link System#nanoTime()}
 * readings: on Linux every JVM reads the same monotonic clock, so the parent can compare them with its own).
 *
 * <p>Arguments: backend name, pchannel, term, then the backend's properties as {@code KEY=VALUE}.
 */
public final class FencingRaceChild {
    private FencingRaceChild() {
    }

    /** The record for a key: the key, a colon, and filler derived from the key, so a reader can check it is whole. */
    static byte[] record(String key) {
        int length = Math.floorMod(key.hashCode(), 2000);
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
        return Arrays.equals(record(key), record) ? key : null;
    }

    public static void main(String[] args) throws Exception {
        String backendName = args[0];
        String pchannel = args[1];
        long term = Long.parseLong(args[2]);
        Map<String, String> properties = new HashMap<>();
        for (int i = 3; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            properties.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        WalBackend backend = WalBackends.create(backendName, properties);
        Wal wal = backend.open(OpenOptions.readWrite(pchannel, term));
        out.println("READY");
        for (int t = 0; t < 4; t++) {
            int thread = t;
            Thread th = new Thread(() -> {
                Semaphore window = new Semaphore(64);
                for (long i = 0; ; i++) {
                    String key = "t" + term + "-" + thread + "-" + i;
                    window.acquireUninterruptibly();
                    long submitted = System.nanoTime();
                    wal.append(ByteBuffer.wrap(record(key))).whenComplete((MessageId id, Throwable err) -> {
                        long acknowledged = System.nanoTime();
                        window.release();
                        if (id != null) {
                            synchronized (out) {
                                out.println("ACK " + key + " " + id + " " + submitted + " " + acknowledged);
                            }
                        } else if (StreamingException.from(err).code().isNothingWritten()) {
                            // fenced (or refused): keep going, every later append must fail too
                            Thread.onSpinWait();
                        }
                    });
                }
            }, "appender-" + t);
            th.setDaemon(false);
            th.start();
        }
        Thread.currentThread().join(); // until killed
    }
}
