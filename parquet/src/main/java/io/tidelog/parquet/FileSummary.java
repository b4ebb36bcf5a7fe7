package io.tidelog.parquet;

import java.util.Locale;

/**
 * What a writer wrote into one file: enough for the manifest and for checking an upload.
 *
 * @param rows        the number of rows (of a delete log: of deleted keys)
 * @param bytes       the size of the file
 * @param minTimeTick the time tick of the first row (rows are in log order)
 * @param maxTimeTick the time tick of the last row
 * @param crc32c      the CRC32C (Castagnoli) of the file's bytes, the checksum S3 also computes
 *                    ({@code x-amz-checksum-crc32c}, base64 of the four big-endian bytes)
 */
public record FileSummary(long rows, long bytes, long minTimeTick, long maxTimeTick, int crc32c) {
    /** The prefix of {@link #checksum()}: the algorithm. */
    public static final String CRC32C_PREFIX = "crc32c:";

    /** The checksum as the manifest records it: {@code crc32c:} and eight lower-case hex digits. */
    public String checksum() {
        return CRC32C_PREFIX + String.format(Locale.ROOT, "%08x", crc32c);
    }
}
