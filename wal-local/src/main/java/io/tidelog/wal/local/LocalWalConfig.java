package io.tidelog.wal.local;

import io.tidelog.common.Settings;
import io.tidelog.common.StreamingException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Configuration of the local backend; each key beside its default, validated once.
 *
 * @param dir             {@code wal.local.dir} (required): the data directory, one sub-directory per pchannel
 * @param segmentBytes    {@code wal.local.segment.bytes} (64MiB): size of a preallocated segment file;
 *                        truncation frees whole segments
 * @param batchMaxBytes   {@code wal.local.batch.max.bytes} (1MiB): the most bytes of records one
 *                        group commit (one write, one fdatasync) gathers; a larger record gets a batch
 *                        of its own
 * @param maxRecordBytes  {@code wal.local.max.record.bytes} (16MiB): the largest record accepted
 * @param queueMaxBytes   {@code wal.local.queue.max.bytes} (64MiB): accepted but not yet durable bytes
 *                        per pchannel; beyond it appends wait (back-pressure)
 * @param appendTimeout   {@code wal.local.append.timeout} (10s): how long an append waits for queue
 *                        room before failing with {@code RESOURCE_EXHAUSTED}
 * @param spareSegments   {@code wal.local.spare.segments} (2): preallocated spare segment files kept
 *                        ready for all pchannels of the directory
 * @param diskReserveBytes {@code wal.local.disk.reserve.bytes} (256MiB): a spare is preallocated only
 *                        while at least this much stays usable on the disk after it, so spares never
 *                        take the room that appends into sparse segments and the other stores on the
 *                        disk need; appends themselves use the disk to its last byte
 */
public record LocalWalConfig(Path dir, long segmentBytes, int batchMaxBytes, int maxRecordBytes,
                             long queueMaxBytes, Duration appendTimeout, int spareSegments, long diskReserveBytes) {
    public static final String PREFIX = "wal.local.";
    public static final String DIR = PREFIX + "dir";
    public static final String SEGMENT_BYTES = PREFIX + "segment.bytes";
    public static final String BATCH_MAX_BYTES = PREFIX + "batch.max.bytes";
    public static final String MAX_RECORD_BYTES = PREFIX + "max.record.bytes";
    public static final String QUEUE_MAX_BYTES = PREFIX + "queue.max.bytes";
    public static final String APPEND_TIMEOUT = PREFIX + "append.timeout";
    public static final String SPARE_SEGMENTS = PREFIX + "spare.segments";
    public static final String DISK_RESERVE_BYTES = PREFIX + "disk.reserve.bytes";

    public LocalWalConfig {
        long smallest = smallestSegmentBytes(maxRecordBytes, batchMaxBytes);
        if (segmentBytes < smallest) {
            throw StreamingException.invalidArgument(SEGMENT_BYTES + " = " + segmentBytes
                    + " cannot hold the largest batch; it must be at least " + smallest
                    + " (given " + MAX_RECORD_BYTES + " and " + BATCH_MAX_BYTES + ")");
        }
        if (queueMaxBytes < batchMaxBytes) {
            throw StreamingException.invalidArgument(QUEUE_MAX_BYTES + " must be at least " + BATCH_MAX_BYTES);
        }
    }

    /**
     * The smallest segment that holds the largest batch: a record of {@code maxRecordBytes} alone, or
     * {@code batchMaxBytes} of records, with the segment header and the seal after it.
     */
    public static long smallestSegmentBytes(int maxRecordBytes, int batchMaxBytes) {
        return SegmentFormat.SEGMENT_HEADER_BYTES
                + SegmentFormat.batchBytes(SegmentFormat.RECORD_HEADER_BYTES + Math.max(maxRecordBytes, batchMaxBytes))
                + SegmentFormat.BATCH_HEADER_BYTES;
    }

    /** {@link #smallestSegmentBytes(int, int)} for the limits {@code properties} set, or their defaults. */
    public static long smallestSegmentBytes(Map<String, String> properties) {
        Settings s = new Settings(properties);
        return smallestSegmentBytes(maxRecordBytes(s), batchMaxBytes(s));
    }

    private static int batchMaxBytes(Settings s) {
        return (int) s.bytes(BATCH_MAX_BYTES, 1 << 20, 4 << 10, 256 << 20);
    }

    private static int maxRecordBytes(Settings s) {
        return (int) s.bytes(MAX_RECORD_BYTES, 16 << 20, 1, 1 << 30);
    }

    public static LocalWalConfig from(Map<String, String> properties) {
        Settings s = new Settings(properties);
        LocalWalConfig c = new LocalWalConfig(
                Path.of(s.requiredString(DIR)),
                s.bytes(SEGMENT_BYTES, 64L << 20, 64 << 10, 1L << 40),
                batchMaxBytes(s),
                maxRecordBytes(s),
                s.bytes(QUEUE_MAX_BYTES, 64L << 20, 64 << 10, 1L << 40),
                s.duration(APPEND_TIMEOUT, Duration.ofSeconds(10), Duration.ZERO, Duration.ofHours(1)),
                s.integer(SPARE_SEGMENTS, 2, 0, 64),
                s.bytes(DISK_RESERVE_BYTES, 256L << 20, 0, 1L << 50));
        s.rejectUnknown(PREFIX);
        return c;
    }
}
