package io.tidelog.parquet;

import io.tidelog.common.StreamingException;
import io.tidelog.message.SchemaJson;
import io.tidelog.proto.CollectionSchema;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.parquet.VersionParser;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.impl.ColumnReaderImpl;
import org.apache.parquet.format.converter.ParquetMetadataConverter;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ColumnPath;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.schema.MessageType;

/**
 * One open Parquet file of Tidelog's layout, read without Hadoop: the footer parsed (parquet-java's
 * {@link ParquetMetadataConverter}) and checked against {@link ParquetLayout}, and each column chunk of a
 * row group handed out as a parquet-java {@link ColumnReader} over {@link ColumnChunkPages}.
 * <pre>
 * file = "PAR1" column-chunks... [indexes] footer (Thrift FileMetaData) footer-length (4 bytes LE) "PAR1"
 * </pre>
 * Whatever does not parse or fit is {@code DATA_CORRUPTED} naming the file's key; parquet-java's own
 * exceptions never leave this class (see {@link #corrupted}).
 *
 * <p>Holds the open file and the footer. Not thread-safe: one decompressor serves every chunk.
 */
final class ParquetFileColumns implements AutoCloseable {
    private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);
    private static final int TAIL = 8;

    private final ByteSource source;
    private final ParquetMetadata footer;
    private final Map<String, String> keyValues;
    private final CollectionSchema schema;
    private final List<Map<ColumnPath, ColumnChunkMetaData>> chunks;
    private final VersionParser.ParsedVersion writer;
    private final ZstdCodecFactory codecs = new ZstdCodecFactory(1);
    private boolean closed;

    /**
     * Opens the file and checks its footer: a Tidelog file of format {@value ParquetLayout#FORMAT_VERSION}
     * and {@code kind}, whose columns are the ones {@code layout} gives for the schema in its footer. On
     * failure {@code source} is closed.
     *
     * @throws StreamingException {@code DATA_CORRUPTED} naming the file's key and the problem
     */
    ParquetFileColumns(ByteSource source, String kind, Function<CollectionSchema, MessageType> layout) {
        this.source = source;
        try {
            this.footer = readFooter(source);
            this.keyValues = footer.getFileMetaData().getKeyValueMetaData();
            checkKind(kind);
            this.schema = footerSchema();
            MessageType expected;
            try {
                expected = layout.apply(schema);
            } catch (StreamingException e) {
                throw corrupted("has a schema in its footer that no Tidelog file has: " + e.detail());
            }
            if (!expected.equals(footer.getFileMetaData().getSchema())) {
                throw corrupted("has columns " + footer.getFileMetaData().getSchema()
                        + " but the schema in its footer gives " + expected);
            }
            this.chunks = chunkMaps(footer.getBlocks(), expected);
            this.writer = parseWriter(footer.getFileMetaData().getCreatedBy());
        } catch (RuntimeException e) {
            source.close();
            throw e instanceof StreamingException s ? s : corrupted("has an unreadable footer: " + e);
        }
    }

    String key() {
        return source.key;
    }

    /** The collection schema in the footer ({@value ParquetLayout#SCHEMA}). */
    CollectionSchema schema() {
        return schema;
    }

    MessageType parquetSchema() {
        return footer.getFileMetaData().getSchema();
    }

    int rowGroupCount() {
        return footer.getBlocks().size();
    }

    /** The rows of row group {@code index}; a row group of Tidelog's files has 1 to 2^31-1 rows. */
    int rowCount(int index) {
        return (int) footer.getBlocks().get(index).getRowCount();
    }

    long totalRows() {
        long rows = 0;
        for (BlockMetaData b : footer.getBlocks()) {
            rows += b.getRowCount();
        }
        return rows;
    }

    /**
     * A reader of {@code column} in row group {@code rowGroup}, positioned at its first value. Its compressed
     * chunk is read into memory now. A column that is not repeated has one value per row (checked at open).
     */
    ColumnReader column(int rowGroup, ColumnDescriptor column) {
        checkOpen();
        ColumnChunkMetaData meta = chunk(rowGroup, column);
        CompressionCodecName codec = meta.getCodec();
        if (codec != CompressionCodecName.ZSTD && codec != CompressionCodecName.UNCOMPRESSED) {
            throw corrupted("row group " + rowGroup + " column " + Arrays.toString(column.getPath()) + " is "
                    + codec + "-compressed; Tidelog writes ZSTD");
        }
        byte[] chunk = source.read(meta.getStartingPos(), meta.getTotalSize());
        try {
            ColumnChunkPages pages = new ColumnChunkPages(key(), column, chunk, meta.getValueCount(),
                    meta.getTotalUncompressedSize(), codecs.getDecompressor(codec));
            return new ColumnReaderImpl(column, pages, new PrimitiveConverter() { }, writer);
        } catch (RuntimeException e) {
            throw corrupted(e);
        }
    }

    /** The values (levels included) of {@code column} in row group {@code rowGroup}, per its metadata. */
    long valueCount(int rowGroup, ColumnDescriptor column) {
        return chunk(rowGroup, column).getValueCount();
    }

    private ColumnChunkMetaData chunk(int rowGroup, ColumnDescriptor column) {
        ColumnChunkMetaData meta = chunks.get(rowGroup).get(ColumnPath.get(column.getPath()));
        if (meta == null) {
            throw corrupted("row group " + rowGroup + " has no chunk of column " + Arrays.toString(column.getPath()));
        }
        return meta;
    }

    /**
     * What a reader throws for a failure of parquet-java or of the file's contents: a
     * {@code StreamingException} passes unchanged, anything else becomes {@code DATA_CORRUPTED}.
     */
    StreamingException corrupted(RuntimeException e) {
        return e instanceof StreamingException s ? s : corrupted("does not decode: " + e);
    }

    StreamingException corrupted(String problem) {
        return StreamingException.corrupted("Parquet file " + key() + " " + problem);
    }

    /** @throws IllegalStateException if closed */
    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("Parquet file " + key() + " is closed");
        }
    }

    private static ParquetMetadata readFooter(ByteSource source) {
        long size = source.size();
        if (size < MAGIC.length + TAIL) {
            throw StreamingException.corrupted("Parquet file " + source.key + " has " + size
                    + " bytes, too few for a Parquet file (truncated?)");
        }
        byte[] head = source.read(0, MAGIC.length);
        byte[] tail = source.read(size - TAIL, TAIL);
        if (!Arrays.equals(head, MAGIC) || !Arrays.equals(tail, 4, 8, MAGIC, 0, 4)) {
            throw StreamingException.corrupted("Parquet file " + source.key + " does not start and end with"
                    + " PAR1 (truncated, or not a Parquet file)");
        }
        int length = ByteBuffer.wrap(tail, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        if (length <= 0 || length > size - MAGIC.length - TAIL) {
            throw StreamingException.corrupted("Parquet file " + source.key + " of " + size
                    + " bytes says its footer has " + length + " bytes");
        }
        byte[] bytes = source.read(size - TAIL - length, length);
        try {
            return new ParquetMetadataConverter().readParquetMetadata(new ByteArrayInputStream(bytes),
                    ParquetMetadataConverter.NO_FILTER);
        } catch (IOException | RuntimeException e) {
            throw StreamingException.corrupted("Parquet file " + source.key + " has an unreadable footer: " + e);
        }
    }

    private void checkKind(String kind) {
        String format = keyValues.get(ParquetLayout.FORMAT);
        if (!Integer.toString(ParquetLayout.FORMAT_VERSION).equals(format)) {
            throw corrupted("has " + ParquetLayout.FORMAT + " " + format + "; this build reads format "
                    + ParquetLayout.FORMAT_VERSION + " (is it a Tidelog file?)");
        }
        if (!kind.equals(keyValues.get(ParquetLayout.KIND))) {
            throw corrupted("is of kind " + keyValues.get(ParquetLayout.KIND) + ", not " + kind);
        }
    }

    private CollectionSchema footerSchema() {
        String json = keyValues.get(ParquetLayout.SCHEMA);
        if (json == null) {
            throw corrupted("has no " + ParquetLayout.SCHEMA + " in its footer");
        }
        try {
            return SchemaJson.parseJson(json);
        } catch (StreamingException e) {
            throw corrupted("has a bad " + ParquetLayout.SCHEMA + " in its footer: " + e.detail());
        }
    }

    /** Parses a decimal number of the footer. */
    long number(String name) {
        String value = keyValues.get(name);
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw corrupted("has " + name + " = " + value + " in its footer, not a decimal number");
        }
    }

    /** The footer's {@value ParquetLayout#SCHEMA_VERSION}, which is that of the schema in it. */
    int schemaVersion() {
        long version = number(ParquetLayout.SCHEMA_VERSION);
        if (version != schema.getVersion()) {
            throw corrupted("has " + ParquetLayout.SCHEMA_VERSION + " " + version + " but a schema of version "
                    + schema.getVersion() + " in its footer");
        }
        return schema.getVersion();
    }

    /** A string of the footer. */
    String text(String name) {
        String value = keyValues.get(name);
        if (value == null) {
            throw corrupted("has no " + name + " in its footer");
        }
        return value;
    }

    /**
     * The chunks of each row group by column path, checked to be consistent before any array is sized by
     * a row count: every column has a chunk, and a column that is not repeated has one value per row.
     */
    private List<Map<ColumnPath, ColumnChunkMetaData>> chunkMaps(List<BlockMetaData> blocks, MessageType columns) {
        List<Map<ColumnPath, ColumnChunkMetaData>> maps = new ArrayList<>(blocks.size());
        for (int g = 0; g < blocks.size(); g++) {
            BlockMetaData b = blocks.get(g);
            if (b.getRowCount() < 1 || b.getRowCount() > Integer.MAX_VALUE - 8) {
                throw corrupted("has a row group of " + b.getRowCount() + " rows");
            }
            Map<ColumnPath, ColumnChunkMetaData> m = new HashMap<>();
            for (ColumnChunkMetaData c : b.getColumns()) {
                m.put(c.getPath(), c);
            }
            for (ColumnDescriptor d : columns.getColumns()) {
                ColumnChunkMetaData c = m.get(ColumnPath.get(d.getPath()));
                if (c == null) {
                    throw corrupted("row group " + g + " has no chunk of column " + Arrays.toString(d.getPath()));
                }
                if (d.getMaxRepetitionLevel() == 0 ? c.getValueCount() != b.getRowCount()
                        : c.getValueCount() < b.getRowCount()) {
                    throw corrupted("row group " + g + " column " + Arrays.toString(d.getPath()) + " has "
                            + c.getValueCount() + " values for " + b.getRowCount() + " rows");
                }
            }
            maps.add(m);
        }
        return maps;
    }

    private static VersionParser.ParsedVersion parseWriter(String createdBy) {
        try {
            return createdBy == null ? null : VersionParser.parse(createdBy);
        } catch (VersionParser.VersionParseException | RuntimeException e) {
            return null;
        }
    }

    /** Closes the file and frees the decompressor; idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            codecs.release();
            source.close();
        }
    }
}
