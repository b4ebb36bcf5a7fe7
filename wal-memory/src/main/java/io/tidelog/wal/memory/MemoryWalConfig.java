package io.tidelog.wal.memory;

import io.tidelog.common.Settings;
import java.time.Duration;
import java.util.Map;

/**
 * Configuration of the memory backend; each key beside its default, validated once.
 *
 * @param maxRecordBytes {@code wal.memory.max.record.bytes} (default 16 MiB): the largest record accepted
 * @param syncMode       {@code wal.memory.sync.mode} (default {@code auto}): {@code auto} makes pending
 *                       appends durable on the backend's sync thread after {@code syncDelay};
 *                       {@code manual} keeps them pending until {@link MemoryWalBackend#sync()}
 * @param syncDelay      {@code wal.memory.sync.delay} (default 0ms): how long an auto sync waits to
 *                       gather a batch, modelling the cost of a real sync
 * @param storageName    {@code wal.memory.storage} (default: a fresh private storage): the name of a
 *                       {@link MemoryStorage} shared by backends created in this JVM, so that a
 *                       backend created after a simulated crash finds the durable data
 */
public record MemoryWalConfig(int maxRecordBytes, SyncMode syncMode, Duration syncDelay, String storageName) {
    public static final String PREFIX = "wal.memory.";

    public enum SyncMode { AUTO, MANUAL }

    public static MemoryWalConfig defaults() {
        return from(Map.of());
    }

    public static MemoryWalConfig from(Map<String, String> properties) {
        Settings s = new Settings(properties);
        int maxRecord = (int) s.bytes(PREFIX + "max.record.bytes", 16 << 20, 1, Integer.MAX_VALUE - 64);
        String mode = s.string(PREFIX + "sync.mode", "auto");
        SyncMode syncMode;
        if (mode.equalsIgnoreCase("auto")) {
            syncMode = SyncMode.AUTO;
        } else if (mode.equalsIgnoreCase("manual")) {
            syncMode = SyncMode.MANUAL;
        } else {
            throw io.tidelog.common.StreamingException.invalidArgument(
                    "configuration key '" + PREFIX + "sync.mode' must be auto or manual, got '" + mode + "'");
        }
        Duration delay = s.duration(PREFIX + "sync.delay", Duration.ZERO, Duration.ZERO, Duration.ofSeconds(10));
        String storage = s.string(PREFIX + "storage", null);
        s.rejectUnknown(PREFIX);
        return new MemoryWalConfig(maxRecord, syncMode, delay, storage);
    }
}
