package io.tidelog.parquet;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import io.tidelog.common.StreamingException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/**
 * The page codecs of Tidelog's Parquet files without Hadoop: ZSTD through zstd-jni (a dependency of
 * parquet-java already) and UNCOMPRESSED. parquet-java's own {@code CodecFactory} loads Hadoop's codec
 * classes even for ZSTD, which is why this exists; a file with any other codec (SNAPPY, GZIP, ...) cannot
 * be written or read with it.
 *
 * <p>One factory serves one writer or reader: its compressor and decompressor are made on first use and
 * reuse their zstd contexts and buffers, so, like parquet-java's, they are not thread-safe, and what a
 * call returns is valid until the next call. {@link #release()} frees the native contexts; it is
 * idempotent, and {@code ParquetWriter.close()} calls it.
 */
public final class ZstdCodecFactory implements CompressionCodecFactory {
    private final int level;
    private ZstdCompressor compressor;
    private ZstdDecompressor decompressor;

    /** A factory compressing at zstd {@code level} (1 to 19, or negative for zstd's fast levels). */
    public ZstdCodecFactory(int level) {
        this.level = level;
    }

    @Override
    public BytesInputCompressor getCompressor(CompressionCodecName codecName) {
        return getCompressor(codecName, level);
    }

    @Override
    public BytesInputCompressor getCompressor(CompressionCodecName codecName, int codecLevel) {
        switch (codecName) {
            case UNCOMPRESSED:
                return Uncompressed.INSTANCE;
            case ZSTD:
                if (compressor == null || compressor.level != codecLevel) {
                    if (compressor != null) {
                        compressor.release();
                    }
                    compressor = new ZstdCompressor(codecLevel);
                }
                return compressor;
            default:
                throw unsupported(codecName);
        }
    }

    @Override
    public BytesInputDecompressor getDecompressor(CompressionCodecName codecName) {
        switch (codecName) {
            case UNCOMPRESSED:
                return Uncompressed.INSTANCE;
            case ZSTD:
                if (decompressor == null) {
                    decompressor = new ZstdDecompressor();
                }
                return decompressor;
            default:
                throw unsupported(codecName);
        }
    }

    @Override
    public void release() {
        if (compressor != null) {
            compressor.release();
            compressor = null;
        }
        if (decompressor != null) {
            decompressor.release();
            decompressor = null;
        }
    }

    private static StreamingException unsupported(CompressionCodecName codecName) {
        return StreamingException.invalidArgument("Parquet codec " + codecName
                + " is not supported: Tidelog reads and writes ZSTD and UNCOMPRESSED pages only");
    }

    /** A growable byte array whose backing array is visible, reused page after page. */
    private static final class Buffer extends ByteArrayOutputStream {
        Buffer() {
            super(64 << 10);
        }

        byte[] array() {
            return buf;
        }

        byte[] capacity(int bytes) {
            if (buf.length < bytes) {
                buf = new byte[Math.max(bytes, buf.length * 2)];
            }
            return buf;
        }
    }

    private static final class ZstdCompressor implements BytesInputCompressor {
        final int level;
        private final ZstdCompressCtx ctx;
        private final Buffer in = new Buffer();
        private final Buffer out = new Buffer();

        ZstdCompressor(int level) {
            this.level = level;
            this.ctx = new ZstdCompressCtx().setLevel(level);
        }

        @Override
        public BytesInput compress(BytesInput bytes) throws IOException {
            in.reset();
            bytes.writeAllTo(in);
            int bound = Math.toIntExact(Zstd.compressBound(in.size()));
            int n = ctx.compressByteArray(out.capacity(bound), 0, bound, in.array(), 0, in.size());
            return BytesInput.from(out.array(), 0, n);
        }

        @Override
        public CompressionCodecName getCodecName() {
            return CompressionCodecName.ZSTD;
        }

        @Override
        public void release() {
            ctx.close();
        }
    }

    private static final class ZstdDecompressor implements BytesInputDecompressor {
        private final ZstdDecompressCtx ctx = new ZstdDecompressCtx();
        private final Buffer in = new Buffer();

        @Override
        public BytesInput decompress(BytesInput bytes, int decompressedSize) throws IOException {
            in.reset();
            bytes.writeAllTo(in);
            byte[] out = new byte[decompressedSize];
            int n = ctx.decompressByteArray(out, 0, decompressedSize, in.array(), 0, in.size());
            checkSize(n, decompressedSize);
            return BytesInput.from(out);
        }

        @Override
        public void decompress(ByteBuffer input, int compressedSize, ByteBuffer output, int decompressedSize)
                throws IOException {
            byte[] src = in.capacity(compressedSize);
            input.get(src, 0, compressedSize);
            byte[] dst = new byte[decompressedSize];
            int n = ctx.decompressByteArray(dst, 0, decompressedSize, src, 0, compressedSize);
            checkSize(n, decompressedSize);
            output.put(dst);
        }

        private static void checkSize(int got, int expected) throws IOException {
            if (got != expected) {
                throw new IOException("a ZSTD page decompressed to " + got + " bytes, its header says " + expected);
            }
        }

        @Override
        public void release() {
            ctx.close();
        }
    }

    private enum Uncompressed implements BytesInputCompressor, BytesInputDecompressor {
        INSTANCE;

        @Override
        public BytesInput compress(BytesInput bytes) {
            return bytes;
        }

        @Override
        public CompressionCodecName getCodecName() {
            return CompressionCodecName.UNCOMPRESSED;
        }

        @Override
        public BytesInput decompress(BytesInput bytes, int decompressedSize) {
            return bytes;
        }

        @Override
        public void decompress(ByteBuffer input, int compressedSize, ByteBuffer output, int decompressedSize) {
            ByteBuffer slice = input.slice();
            slice.limit(compressedSize);
            output.put(slice);
            input.position(input.position() + compressedSize);
        }

        @Override
        public void release() {
        }
    }
}
