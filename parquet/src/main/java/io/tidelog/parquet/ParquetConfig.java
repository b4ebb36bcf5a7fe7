package io.tidelog.parquet;

import io.tidelog.common.Settings;
import io.tidelog.common.StreamingException;
import java.util.Map;

/**
 * Configuration of the Parquet files Tidelog writes ({@link SegmentParquetWriter}, {@link DeleteLogWriter});
 * each key beside its default, validated once.
 *
 * @param rowGroupBytes {@code parquet.row.group.bytes} (64MiB): a row group is closed when its buffered
 *                      (encoded, not yet compressed) columns reach about this many bytes, so a reader can
 *                      hold one row group in memory; a file of fewer bytes has one row group
 * @param pageBytes     {@code parquet.page.bytes} (1MiB): the target size of a data page, the unit a
 *                      reader decompresses
 * @param zstdLevel     {@code parquet.zstd.level} (3): the ZSTD level of every page, from 1 (fastest) to
 *                      19; 3 is zstd's own default
 * @param vectorByteStreamSplit {@code parquet.vector.byte.stream.split} (false): encode vector elements
 *                      BYTE_STREAM_SPLIT rather than PLAIN. Files are smaller (8% for random gaussian
 *                      vectors, more for real embeddings) but some readers cannot read them (Spark's vectorized
 *                      reader gained the encoding only in 2026); DuckDB and pyarrow can
 */
public record ParquetConfig(long rowGroupBytes, int pageBytes, int zstdLevel, boolean vectorByteStreamSplit) {
    public static final String PREFIX = "parquet.";
    public static final String ROW_GROUP_BYTES = PREFIX + "row.group.bytes";
    public static final String PAGE_BYTES = PREFIX + "page.bytes";
    public static final String ZSTD_LEVEL = PREFIX + "zstd.level";
    public static final String VECTOR_BYTE_STREAM_SPLIT = PREFIX + "vector.byte.stream.split";

    public ParquetConfig {
        if (rowGroupBytes < 64 << 10 || pageBytes < 4 << 10 || pageBytes > rowGroupBytes) {
            throw StreamingException.invalidArgument("bad Parquet configuration: " + ROW_GROUP_BYTES + " = "
                    + rowGroupBytes + " (>= 64KiB) and " + PAGE_BYTES + " = " + pageBytes
                    + " (>= 4KiB, at most the row group)");
        }
        if (zstdLevel < 1 || zstdLevel > 19) {
            throw StreamingException.invalidArgument(ZSTD_LEVEL + " = " + zstdLevel + " is out of range [1, 19]");
        }
    }

    public static ParquetConfig defaults() {
        return from(Map.of());
    }

    /** Reads the {@code parquet.*} keys; unknown keys under that prefix are rejected. */
    public static ParquetConfig from(Map<String, String> properties) {
        Settings s = new Settings(properties);
        ParquetConfig c = new ParquetConfig(
                s.bytes(ROW_GROUP_BYTES, 64L << 20, 64 << 10, 1L << 30),
                (int) s.bytes(PAGE_BYTES, 1 << 20, 4 << 10, 64 << 20),
                s.integer(ZSTD_LEVEL, 3, 1, 19),
                s.bool(VECTOR_BYTE_STREAM_SPLIT, false));
        s.rejectUnknown(PREFIX);
        return c;
    }
}
