package io.tidelog.parquet;

import io.tidelog.common.StreamingException;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.Column;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;

/**
 * Reads a segment file ({@link SegmentParquetWriter}, {@link ParquetLayout}) back into columns of the wire
 * form ({@link SegmentRows}): all rows at once or a row group at a time, all fields or a
 * {@link SegmentProjection}, as the file's schema or a newer one. Runs without Hadoop.
 *
 * <p><b>Why this reader.</b> parquet-java's {@code ParquetFileReader} cannot be made without Hadoop: it needs
 * a {@code ParquetReadOptions}, whose constructors are package-private and whose only way in, its
 * {@code Builder}, calls {@code HadoopCodecs.newFactory} (Hadoop's {@code CodecFactory}, even when a codec
 * factory is passed afterwards; without Hadoop on the class path it fails with {@code NoClassDefFoundError:
 * org/apache/hadoop/io/compress/zlib/ZlibCompressor$CompressionLevel}) and then
 * {@code ParquetInputFormat.getFilter}, a subclass of Hadoop's {@code FileInputFormat} (parquet-java 1.18).
 * Everything below that class does run without Hadoop, so this reader is parquet-java minus
 * {@code ParquetFileReader}:
 * <ul>
 *   <li>the footer is read by parquet-java's {@code ParquetMetadataConverter} (Thrift, no Hadoop);
 *   <li>a column chunk's pages are framed by Tidelog's {@link ColumnChunkPages}, a small class that parses
 *       each page header with parquet-java's Thrift structures, checks its CRC and decompresses it with
 *       {@link ZstdCodecFactory} (zstd-jni);
 *   <li>values and levels are decoded by parquet-java's {@code ColumnReaderImpl}, every encoding included
 *       (dictionary, RLE, BYTE_STREAM_SPLIT, ...).
 * </ul>
 * Hand-written is only the framing that {@code ParquetFileReader} would have done, none of the decoding.
 * The other candidates: DuckDB's JDBC driver reads these files (the tests use it as the independent
 * reader) but is an 80 MB native jar and goes through SQL; Arrow's Java Parquet reader goes through its
 * native dataset library (JNI) as well; a reader of our own would re-implement the Thrift footer and
 * every encoding parquet-java already decodes. The price of this choice: {@code ColumnReaderImpl} and
 * {@code ParquetMetadataConverter} are public but low-level parts of parquet-java, so an upgrade of it must
 * keep this module's tests (which read every type, encoding choice and row group layout the writer
 * produces, and compare with DuckDB) green.
 *
 * <p><b>Integrity.</b> The footer must be a Tidelog segment file's of format
 * {@value ParquetLayout#FORMAT_VERSION} whose columns are exactly those {@link ParquetLayout} gives for the
 * schema in it; every page's CRC32 is checked; row counts, vector lengths and the order of time ticks are
 * checked as rows are read. Whatever fails is {@code DATA_CORRUPTED} naming the file's key, never an
 * exception of parquet-java. A footer that parses but lies (a changed statistic, say) is caught only by
 * the file's checksum: {@link FileChecksum} checks it against the manifest.
 *
 * <p><b>Threads and memory.</b> Not thread-safe: one thread at a time uses a reader (its decompressor is
 * reused); open one reader per thread to read a file in parallel. An open reader holds the file open and
 * its footer (the Parquet metadata and the schema: kilobytes). A read holds, beside the columns it
 * returns, one column chunk's compressed bytes, its dictionary and one decompressed page at a time. The
 * columns of one row group take roughly its {@link ParquetConfig#rowGroupBytes()} of heap (more where
 * short strings dominate: each VARCHAR or JSON value is an object), so a large file is best read
 * {@linkplain #readRowGroup a row group at a time}. {@link #close()} is idempotent.
 */
public final class SegmentFileReader implements AutoCloseable {
    private final ParquetFileColumns file;
    private final SegmentFooter footer;
    private final ColumnDescriptor timeTicks;

    private SegmentFileReader(ParquetFileColumns file) {
        this.file = file;
        try {
            this.footer = new SegmentFooter(file.number(ParquetLayout.COLLECTION_ID),
                    file.number(ParquetLayout.PARTITION_ID), file.number(ParquetLayout.SEGMENT_ID),
                    file.text(ParquetLayout.VCHANNEL), file.schemaVersion(),
                    file.schema(), file.totalRows(), file.rowGroupCount());
            this.timeTicks = file.parquetSchema().getColumnDescription(new String[] {ParquetLayout.ROW_TIME_TICK});
        } catch (RuntimeException e) {
            file.close();
            throw file.corrupted(e);
        }
    }

    /**
     * Opens the segment file at {@code file} and reads its footer.
     *
     * @param key the file's object store key, named in every error
     * @throws StreamingException {@code DATA_CORRUPTED} if it is not a readable segment file of this
     *         layout, {@code INNER} if it cannot be opened
     */
    public static SegmentFileReader open(Path file, String key) {
        return new SegmentFileReader(new ParquetFileColumns(ByteSource.of(file, key), ParquetLayout.KIND_SEGMENT,
                ParquetLayout::segmentSchema));
    }

    /** Like {@link #open(Path, String)}, for a file in memory (not copied: do not change it). */
    public static SegmentFileReader open(byte[] bytes, String key) {
        return new SegmentFileReader(new ParquetFileColumns(ByteSource.of(bytes, key), ParquetLayout.KIND_SEGMENT,
                ParquetLayout::segmentSchema));
    }

    /** The segment's identity and schema, from the footer. */
    public SegmentFooter footer() {
        return footer;
    }

    /** Every row of every field of the file's schema. */
    public SegmentRows readAll() {
        return readAll(SegmentProjection.all(footer.schema()));
    }

    /**
     * Every row of the projected fields.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} if the projection's schema cannot read the file
     *         ({@link SegmentProjection}) or the file has more rows than a {@link SegmentRows} holds (read
     *         it a row group at a time); {@code DATA_CORRUPTED} as the class comment says
     */
    public SegmentRows readAll(SegmentProjection projection) {
        if (footer.rows() > Integer.MAX_VALUE - 8) {
            throw StreamingException.invalidArgument("segment file " + file.key() + " has " + footer.rows()
                    + " rows, too many to read at once: read it a row group at a time");
        }
        return read(projection, 0, footer.rowGroups());
    }

    /** Row group {@code index} (from 0) of every field of the file's schema. */
    public SegmentRows readRowGroup(int index) {
        return readRowGroup(index, SegmentProjection.all(footer.schema()));
    }

    /**
     * Row group {@code index} (from 0, below {@link SegmentFooter#rowGroups()}) of the projected fields.
     *
     * @throws StreamingException as {@link #readAll(SegmentProjection)}
     * @throws IndexOutOfBoundsException if there is no such row group
     */
    public SegmentRows readRowGroup(int index, SegmentProjection projection) {
        Objects.checkIndex(index, footer.rowGroups());
        return read(projection, index, index + 1);
    }

    private SegmentRows read(SegmentProjection projection, int fromGroup, int toGroup) {
        file.checkOpen();
        List<FieldSource> sources = resolve(projection);
        int rows = 0;
        for (int g = fromGroup; g < toGroup; g++) {
            rows += file.rowCount(g);
        }
        long[] ticks = new long[rows];
        List<ColumnAppender> appenders = new ArrayList<>(sources.size());
        for (FieldSource s : sources) {
            appenders.add(new ColumnAppender(s.field(), s.column() == null || s.fileField().getNullable()));
        }
        try {
            int at = 0;
            for (int g = fromGroup; g < toGroup; g++) {
                int n = file.rowCount(g);
                for (int i = 0; i < sources.size(); i++) {
                    FieldSource s = sources.get(i);
                    if (s.column() == null) {
                        appenders.get(i).appendNulls(n);
                    } else {
                        appenders.get(i).append(file, g, s.column(), n);
                    }
                }
                readTimeTicks(g, n, ticks, at);
                at += n;
            }
        } catch (RuntimeException e) {
            throw file.corrupted(e);
        }
        List<Column> columns = new ArrayList<>(appenders.size());
        Set<String> absent = new LinkedHashSet<>();
        for (int i = 0; i < sources.size(); i++) {
            columns.add(appenders.get(i).build());
            if (sources.get(i).column() == null) {
                absent.add(sources.get(i).field().getName());
            }
        }
        return new SegmentRows(rows, columns, ticks, absent);
    }

    private void readTimeTicks(int group, int rows, long[] into, int at) {
        ColumnReader reader = file.column(group, timeTicks);
        long previous = at == 0 ? 0 : into[at - 1];
        for (int r = 0; r < rows; r++) {
            long tick = reader.getLong();
            if (tick < previous) {
                throw file.corrupted("has time tick " + tick + " after " + previous + " in row group " + group
                        + ": rows are in log order, time ticks never decrease and are never negative");
            }
            into[at + r] = tick;
            previous = tick;
            reader.consume();
        }
    }

    /** A projected field and the file's column of it, or null if the file lacks it. */
    private record FieldSource(FieldSchema field, FieldSchema fileField, ColumnDescriptor column) {
    }

    /** Matches the projection's fields to the file's columns by name, in the projection schema's order. */
    private List<FieldSource> resolve(SegmentProjection projection) {
        Map<String, FieldSchema> inFile = new HashMap<>();
        for (FieldSchema f : footer.schema().getFieldsList()) {
            inFile.put(f.getName(), f);
        }
        List<FieldSource> sources = new ArrayList<>();
        for (FieldSchema f : projection.schema().getFieldsList()) {
            if (!projection.fields().contains(f.getName())) {
                continue;
            }
            FieldSchema g = inFile.get(f.getName());
            if (g == null) {
                if (!f.getNullable()) {
                    throw mismatch(projection, f, "is not in the file and not nullable: only nullable fields are added to a"
                            + " schema, and a file written before has no value for them");
                }
                sources.add(new FieldSource(f, null, null));
                continue;
            }
            if (g.getType() != f.getType() || f.getType() == DataType.FLOAT_VECTOR && g.getDim() != f.getDim()) {
                throw mismatch(projection, f, "is " + describe(f) + " in the schema to read with but " + describe(g) + " in the file");
            }
            if (g.getNullable() && !f.getNullable()) {
                throw mismatch(projection, f, "is nullable in the file but not in the schema to read with");
            }
            String[] path = f.getType() == DataType.FLOAT_VECTOR
                    ? new String[] {g.getName(), ParquetLayout.LIST_GROUP, ParquetLayout.LIST_ELEMENT}
                    : new String[] {g.getName()};
            sources.add(new FieldSource(f, g, file.parquetSchema().getColumnDescription(path)));
        }
        return sources;
    }

    private StreamingException mismatch(SegmentProjection projection, FieldSchema f, String problem) {
        return StreamingException.invalidArgument("segment file " + file.key() + " (schema version "
                + footer.schemaVersion() + ") cannot be read with schema version " + projection.schema().getVersion()
                + ": field '" + f.getName() + "' " + problem);
    }

    private static String describe(FieldSchema f) {
        return f.getType() == DataType.FLOAT_VECTOR ? "FLOAT_VECTOR(" + f.getDim() + ")" : f.getType().name();
    }

    @Override
    public void close() {
        file.close();
    }
}
