package io.tidelog.parquet;

import io.tidelog.common.StreamingException;
import io.tidelog.message.RowValidator;
import io.tidelog.message.SchemaJson;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.parquet.hadoop.ParquetWriter;

/**
 * Writes the rows of one sealed segment to a local Parquet file (ZSTD), laid out as {@link ParquetLayout}
 * says: one column per field of the collection schema plus the time tick of each row, rows in log order,
 * row groups bounded by {@link ParquetConfig#rowGroupBytes()}, the segment's identity and schema in the
 * footer. The flusher uploads the file and then its {@link SegmentManifest}.
 *
 * <p>The schema is the newest version seen for the segment. An insert made under an older version lacks
 * the columns of the nullable fields added since: their rows are null, as are the rows of a nullable
 * field's column that is absent or not {@code valid}.
 *
 * <p>Stateless apart from its configuration: thread-safe, and every {@link #write} is independent.
 */
public final class SegmentParquetWriter {
    private final ParquetConfig config;

    public SegmentParquetWriter(ParquetConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * Writes {@code inserts}, in order, to {@code file}, replacing any file there (a retried flush
     * overwrites what a failed attempt left). The file is complete when this returns; on failure it is
     * deleted. Nothing is synced: the upload is the durability point.
     *
     * @param file     where to write
     * @param segment  the segment, for the footer
     * @param schema   the newest schema version seen for the segment
     * @param inserts  the segment's inserts in log order (time ticks never decrease); at least one. Their
     *                 {@code partition_id} is not read: the segment's partition is authoritative
     * @return the rows, size, time tick range and checksum of the file
     * @throws StreamingException {@code INVALID_ARGUMENT} if there is no insert (a segment to flush has
     *         rows), the schema is not valid or has a field named {@value ParquetLayout#ROW_TIME_TICK}, an
     *         insert does not match the schema ({@link RowValidator}; the message names the insert), or a
     *         time tick is negative or smaller than the one before; {@code INNER} if writing fails
     */
    public FileSummary write(Path file, SealedSegment segment, CollectionSchema schema, List<InsertedRows> inserts) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(segment, "segment");
        if (inserts.isEmpty()) {
            throw StreamingException.invalidArgument("segment " + segment.segmentId()
                    + " has no inserts: a segment to flush has rows");
        }
        RowValidator validator = RowValidator.of(schema);
        long rows = check(validator, segment, inserts);
        InsertWriteSupport support = new InsertWriteSupport(schema, footer(segment, schema));
        RowCursor cursor = new RowCursor();
        ChecksummingOutputFile out = ParquetFiles.write(file, support, config, vectorColumns(schema),
                (ParquetWriter<RowCursor> writer) -> {
                    for (InsertedRows insert : inserts) {
                        support.bind(insert);
                        for (int row = 0, n = insert.body().getNumRows(); row < n; row++) {
                            writer.write(cursor.at(row));
                        }
                    }
                });
        return new FileSummary(rows, out.bytes(), inserts.get(0).timeTick(),
                inserts.get(inserts.size() - 1).timeTick(), out.crc32c());
    }

    /** Checks every insert and the order of their time ticks; the number of rows. */
    private static long check(RowValidator validator, SealedSegment segment, List<InsertedRows> inserts) {
        long rows = 0;
        long previous = 0;
        for (int i = 0; i < inserts.size(); i++) {
            InsertedRows insert = inserts.get(i);
            String where = "segment " + segment.segmentId() + ", insert " + i + " (time tick " + insert.timeTick() + ")";
            if (insert.timeTick() < 0) {
                throw StreamingException.invalidArgument(where + ": a time tick is never negative");
            }
            if (insert.timeTick() < previous) {
                throw StreamingException.invalidArgument(where + ": time ticks decrease (the previous insert has "
                        + previous + "); inserts must be in log order");
            }
            previous = insert.timeTick();
            try {
                validator.checkInsert(insert.body());
            } catch (StreamingException e) {
                throw new StreamingException(e.code(), where + ": " + e.detail(), e);
            }
            rows += insert.body().getNumRows();
        }
        return rows;
    }

    private static Map<String, String> footer(SealedSegment segment, CollectionSchema schema) {
        return Map.of(
                ParquetLayout.FORMAT, Integer.toString(ParquetLayout.FORMAT_VERSION),
                ParquetLayout.KIND, ParquetLayout.KIND_SEGMENT,
                ParquetLayout.COLLECTION_ID, Long.toString(segment.collectionId()),
                ParquetLayout.PARTITION_ID, Long.toString(segment.partitionId()),
                ParquetLayout.SEGMENT_ID, Long.toString(segment.segmentId()),
                ParquetLayout.VCHANNEL, segment.vchannel(),
                ParquetLayout.SCHEMA_VERSION, Integer.toString(schema.getVersion()),
                ParquetLayout.SCHEMA, SchemaJson.toJson(schema));
    }

    /**
     * The dotted paths of the vector columns' elements, for per-column encodings. parquet-java splits such
     * paths at dots, so a field whose name has one keeps the default encodings.
     */
    private static List<String> vectorColumns(CollectionSchema schema) {
        List<String> paths = new ArrayList<>();
        for (FieldSchema f : schema.getFieldsList()) {
            if (f.getType() == DataType.FLOAT_VECTOR && f.getName().indexOf('.') < 0) {
                paths.add(f.getName() + '.' + ParquetLayout.LIST_GROUP + '.' + ParquetLayout.LIST_ELEMENT);
            }
        }
        return paths;
    }
}
