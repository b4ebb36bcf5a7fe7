package io.tidelog.parquet;

import io.tidelog.common.StreamingException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.zip.CRC32;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.DataPage;
import org.apache.parquet.column.page.DataPageV1;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.page.PageReader;
import org.apache.parquet.compression.CompressionCodecFactory.BytesInputDecompressor;
import org.apache.parquet.format.DataPageHeader;
import org.apache.parquet.format.DictionaryPageHeader;
import org.apache.parquet.format.PageHeader;
import org.apache.parquet.format.Util;
import org.apache.parquet.format.converter.ParquetMetadataConverter;

/**
 * The pages of one column chunk, held compressed in memory, handed to parquet-java's column reader one at
 * a time: the part of a Parquet reader that parquet-java keeps in {@code ParquetFileReader} (which cannot
 * be built without Hadoop, see {@link SegmentFileReader}). Each page header is parsed with parquet-java's
 * Thrift structures, the page's CRC32 checked when the writer recorded one (parquet-java does by
 * default), and its bytes decompressed when it is read.
 *
 * <pre>
 * chunk = [dictionary page] data page* ; page = Thrift PageHeader, compressed_page_size bytes
 * </pre>
 * Only the page kinds Tidelog's writer produces are accepted: an optional dictionary page first, then
 * v1 data pages (index pages are skipped). Anything else, a header or page that does not fit in the
 * chunk, a bad CRC or a page that does not decompress to its stated size is {@code DATA_CORRUPTED}.
 *
 * <p>Holds the chunk's compressed bytes and one decompressed page at a time. Not thread-safe.
 */
final class ColumnChunkPages implements PageReader {
    private static final ParquetMetadataConverter CONVERTER = new ParquetMetadataConverter();

    private final String where;
    private final byte[] chunk;
    private final long valueCount;
    private final long maxUncompressedPage;
    private final BytesInputDecompressor decompressor;
    private final CRC32 crc = new CRC32();
    private int offset;
    private DictionaryPage dictionary;

    /**
     * @param key          the file's key, for messages
     * @param column       the column
     * @param chunk        the chunk's bytes, from its first page to its end
     * @param valueCount   the chunk's values (levels included) per its metadata
     * @param uncompressed the chunk's uncompressed size per its metadata: no page is larger
     * @param decompressor the decompressor of the chunk's codec
     */
    ColumnChunkPages(String key, ColumnDescriptor column, byte[] chunk, long valueCount, long uncompressed,
                     BytesInputDecompressor decompressor) {
        this.where = "Parquet file " + key + ", column " + String.join(".", column.getPath());
        this.chunk = chunk;
        this.valueCount = valueCount;
        this.maxUncompressedPage = uncompressed;
        this.decompressor = decompressor;
        if (offset < chunk.length) {
            int start = offset;
            PageHeader header = header();
            if (header.isSetDictionary_page_header()) {
                this.dictionary = dictionaryPage(header);
            } else {
                offset = start;
            }
        }
    }

    @Override
    public DictionaryPage readDictionaryPage() {
        return dictionary;
    }

    @Override
    public long getTotalValueCount() {
        return valueCount;
    }

    /**
     * The next data page. parquet-java's reader asks only while the chunk owes values, so there is no
     * "after the last": a chunk whose pages end early is {@code DATA_CORRUPTED}.
     */
    @Override
    public DataPage readPage() {
        while (offset < chunk.length) {
            PageHeader header = header();
            switch (header.getType()) {
                case DATA_PAGE:
                    return dataPage(header);
                case INDEX_PAGE:
                    offset += header.getCompressed_page_size();
                    break;
                default:
                    throw corrupted("has a " + header.getType() + " page where a v1 data page belongs (Tidelog's"
                            + " writer writes a dictionary page first, then v1 data pages)");
            }
        }
        throw corrupted("ends after its last page with fewer values than the " + valueCount + " its metadata says");
    }

    /** Parses the page header at the offset and moves the offset past it; checks its sizes. */
    private PageHeader header() {
        ByteArrayInputStream in = new ByteArrayInputStream(chunk, offset, chunk.length - offset);
        PageHeader header;
        try {
            header = Util.readPageHeader(in);
        } catch (IOException | RuntimeException e) {
            throw corrupted("has no readable page header at chunk offset " + offset + ": " + e);
        }
        int at = offset;
        offset = chunk.length - in.available();
        int compressed = header.getCompressed_page_size();
        int uncompressed = header.getUncompressed_page_size();
        if (header.getType() == null || compressed < 0 || compressed > chunk.length - offset
                || uncompressed < 0 || uncompressed > maxUncompressedPage) {
            throw corrupted("has a page header at chunk offset " + at + " of type " + header.getType()
                    + " with sizes " + compressed + " (compressed) and " + uncompressed
                    + " (uncompressed) that do not fit its chunk of " + chunk.length + " bytes");
        }
        return header;
    }

    private DictionaryPage dictionaryPage(PageHeader header) {
        DictionaryPageHeader d = header.getDictionary_page_header();
        if (d.getNum_values() < 0 || d.getNum_values() > header.getUncompressed_page_size()) {
            throw corrupted("has a dictionary of " + d.getNum_values() + " values in "
                    + header.getUncompressed_page_size() + " bytes (a PLAIN dictionary entry takes at least one)");
        }
        BytesInput bytes = pageBytes(header);
        return new DictionaryPage(bytes, header.getUncompressed_page_size(), d.getNum_values(),
                encoding(d.getEncoding()));
    }

    private DataPage dataPage(PageHeader header) {
        DataPageHeader d = header.getData_page_header();
        if (d == null || d.getNum_values() < 0) {
            throw corrupted("has a data page without a valid data page header");
        }
        BytesInput bytes = pageBytes(header);
        return new DataPageV1(bytes, d.getNum_values(), header.getUncompressed_page_size(), null,
                encoding(d.getRepetition_level_encoding()), encoding(d.getDefinition_level_encoding()),
                encoding(d.getEncoding()));
    }

    /** The page's bytes after its header, CRC-checked and decompressed; moves the offset past them. */
    private BytesInput pageBytes(PageHeader header) {
        int start = offset;
        int compressed = header.getCompressed_page_size();
        offset += compressed;
        if (header.isSetCrc()) {
            crc.reset();
            crc.update(chunk, start, compressed);
            if ((int) crc.getValue() != header.getCrc()) {
                throw corrupted("has a page at chunk offset " + start + " whose CRC32 is "
                        + Integer.toHexString((int) crc.getValue()) + " but its header says "
                        + Integer.toHexString(header.getCrc()));
            }
        }
        int uncompressed = header.getUncompressed_page_size();
        try {
            BytesInput page = decompressor.decompress(BytesInput.from(chunk, start, compressed), uncompressed);
            if (page.size() != uncompressed) {
                throw corrupted("has a page at chunk offset " + start + " of " + page.size()
                        + " bytes after decompression, its header says " + uncompressed);
            }
            return page;
        } catch (IOException | RuntimeException e) {
            if (e instanceof StreamingException s) {
                throw s;
            }
            throw corrupted("has a page at chunk offset " + start + " that does not decompress: " + e);
        }
    }

    private Encoding encoding(org.apache.parquet.format.Encoding encoding) {
        if (encoding == null) {
            throw corrupted("has a page header without an encoding");
        }
        return CONVERTER.getEncoding(encoding);
    }

    private StreamingException corrupted(String problem) {
        return StreamingException.corrupted(where + " " + problem);
    }
}
