package io.tidelog.parquet;

import io.tidelog.common.StreamingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/**
 * Writing one local Parquet file without Hadoop: parquet-java's {@link ParquetWriter} over a
 * {@link ChecksummingOutputFile}, configured by a {@link PlainParquetConfiguration} and compressing with a
 * {@link ZstdCodecFactory}, so that no Hadoop class is loaded (Hadoop is on the compile path only, to
 * resolve parquet-java's overloads).
 */
final class ParquetFiles {
    /** Writes the rows of a file into an open writer. */
    interface RowSource<T> {
        void writeTo(ParquetWriter<T> writer) throws IOException;
    }

    private ParquetFiles() {
    }

    /**
     * Writes {@code file} (replacing what a failed earlier attempt left there) with the rows {@code rows}
     * produces through {@code support}. On failure the file is deleted.
     *
     * @param vectorColumns dotted paths of float columns that hold vectors: dictionary encoding is turned
     *                      off for them (the floats of embeddings seldom repeat), and BYTE_STREAM_SPLIT on if
     *                      {@link ParquetConfig#vectorByteStreamSplit()} (it groups the floats' bytes by
     *                      significance, which ZSTD compresses better)
     * @return the written file, for its size and checksum
     * @throws StreamingException {@code INNER} if writing fails, with the cause
     */
    static <T> ChecksummingOutputFile write(Path file, WriteSupport<T> support, ParquetConfig config,
                                            List<String> vectorColumns, RowSource<T> rows) {
        ChecksummingOutputFile out = new ChecksummingOutputFile(file);
        try {
            Builder<T> b = new Builder<>(out, support)
                    .withConf(new PlainParquetConfiguration())
                    .withCodecFactory(new ZstdCodecFactory(config.zstdLevel()))
                    .withCompressionCodec(CompressionCodecName.ZSTD)
                    .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                    .withRowGroupSize(config.rowGroupBytes())
                    .withPageSize(config.pageBytes())
                    .withDictionaryPageSize(config.pageBytes());
            for (String path : vectorColumns) {
                b.withDictionaryEncoding(path, false).withByteStreamSplitEncoding(path, config.vectorByteStreamSplit());
            }
            try (ParquetWriter<T> writer = b.build()) {
                rows.writeTo(writer);
            }
            return out;
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof StreamingException s) {
                throw s;
            }
            throw StreamingException.inner("writing Parquet file " + file + " failed: " + e, e);
        }
    }

    /** parquet-java's builder, handing out a ready write support. */
    private static final class Builder<T> extends ParquetWriter.Builder<T, Builder<T>> {
        private final WriteSupport<T> support;

        Builder(ChecksummingOutputFile file, WriteSupport<T> support) {
            super(file);
            this.support = support;
        }

        @Override
        protected Builder<T> self() {
            return this;
        }

        @Override
        protected WriteSupport<T> getWriteSupport(ParquetConfiguration conf) {
            return support;
        }

        @Override
        @SuppressWarnings("deprecation")
        protected WriteSupport<T> getWriteSupport(org.apache.hadoop.conf.Configuration conf) {
            return support;
        }
    }
}
