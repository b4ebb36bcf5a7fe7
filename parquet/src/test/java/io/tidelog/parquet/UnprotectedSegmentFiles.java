package io.tidelog.parquet;

import io.tidelog.message.SchemaJson;
import io.tidelog.proto.CollectionSchema;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/**
 * Segment files as {@link SegmentParquetWriter} writes them but uncompressed and without page checksums, so
 * that a changed byte of a page reaches parquet-java's decoders instead of failing a CRC or ZSTD: what a
 * reader must survive when those checks are absent or miss.
 */
final class UnprotectedSegmentFiles {
    private UnprotectedSegmentFiles() {
    }

    static void write(Path file, CollectionSchema schema, List<InsertedRows> inserts) throws IOException {
        SealedSegment s = SegmentFileReaderTest.SEGMENT;
        Map<String, String> footer = Map.of(ParquetLayout.FORMAT, "1", ParquetLayout.KIND, ParquetLayout.KIND_SEGMENT,
                ParquetLayout.COLLECTION_ID, Long.toString(s.collectionId()),
                ParquetLayout.PARTITION_ID, Long.toString(s.partitionId()),
                ParquetLayout.SEGMENT_ID, Long.toString(s.segmentId()), ParquetLayout.VCHANNEL, s.vchannel(),
                ParquetLayout.SCHEMA_VERSION, Integer.toString(schema.getVersion()),
                ParquetLayout.SCHEMA, SchemaJson.toJson(schema));
        InsertWriteSupport support = new InsertWriteSupport(schema, footer);
        RowCursor cursor = new RowCursor();
        try (ParquetWriter<RowCursor> writer = new Builder(new ChecksummingOutputFile(file), support)
                .withConf(new PlainParquetConfiguration())
                .withCodecFactory(new ZstdCodecFactory(1))
                .withCompressionCodec(CompressionCodecName.UNCOMPRESSED)
                .withPageWriteChecksumEnabled(false)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .withRowGroupSize(64L << 10)
                .withPageSize(8 << 10)
                .build()) {
            for (InsertedRows insert : inserts) {
                support.bind(insert);
                for (int row = 0; row < insert.body().getNumRows(); row++) {
                    writer.write(cursor.at(row));
                }
            }
        }
    }

    private static final class Builder extends ParquetWriter.Builder<RowCursor, Builder> {
        private final WriteSupport<RowCursor> support;

        Builder(ChecksummingOutputFile file, WriteSupport<RowCursor> support) {
            super(file);
            this.support = support;
        }

        @Override
        protected Builder self() {
            return this;
        }

        @Override
        protected WriteSupport<RowCursor> getWriteSupport(ParquetConfiguration conf) {
            return support;
        }

        @Override
        @SuppressWarnings("deprecation")
        protected WriteSupport<RowCursor> getWriteSupport(org.apache.hadoop.conf.Configuration conf) {
            return support;
        }
    }
}
