package io.tidelog.parquet;

import io.tidelog.testing.Seeds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.StreamingException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Random;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory.BytesInputCompressor;
import org.apache.parquet.compression.CompressionCodecFactory.BytesInputDecompressor;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ZstdCodecFactoryTest {
    @RegisterExtension
    final Seeds seeds = new Seeds();

    /** Pages that compress: runs of a few random bytes. */
    byte[] page(Random random, int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (random.nextInt(8) == 0 ? random.nextInt() : i / 64);
        }
        return b;
    }

    static byte[] bytes(BytesInput in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.writeAllTo(out);
        return out.toByteArray();
    }

    @Test
    void zstdPagesDecompressToWhatWasCompressedPageAfterPage() throws Exception {
        Random random = seeds.random();
        ZstdCodecFactory codecs = new ZstdCodecFactory(3);
        BytesInputCompressor compressor = codecs.getCompressor(CompressionCodecName.ZSTD);
        BytesInputDecompressor decompressor = codecs.getDecompressor(CompressionCodecName.ZSTD);
        for (int size : new int[] {0, 1, 1000, 300_000, 70_000}) {
            byte[] page = page(random, size);
            byte[] compressed = bytes(compressor.compress(BytesInput.from(page)));
            assertThat(bytes(decompressor.decompress(BytesInput.from(compressed), size))).isEqualTo(page);

            ByteBuffer out = ByteBuffer.allocateDirect(size);
            ByteBuffer in = ByteBuffer.wrap(compressed);
            decompressor.decompress(in, compressed.length, out, size);
            assertThat(in.remaining()).isZero();
            byte[] back = new byte[size];
            out.flip().get(back);
            assertThat(back).isEqualTo(page);
        }
        assertThat(compressor.getCodecName()).isEqualTo(CompressionCodecName.ZSTD);
        codecs.release();
        codecs.release();
    }

    @Test
    void compressedPagesAreSmallerForRepetitiveData() throws Exception {
        ZstdCodecFactory codecs = new ZstdCodecFactory(3);
        byte[] page = page(seeds.random(), 100_000);
        assertThat(codecs.getCompressor(CompressionCodecName.ZSTD).compress(BytesInput.from(page)).size())
                .isLessThan(page.length / 2);
        codecs.release();
    }

    @Test
    void uncompressedPagesPassThrough() throws Exception {
        ZstdCodecFactory codecs = new ZstdCodecFactory(3);
        byte[] page = page(seeds.random(), 5000);
        assertThat(bytes(codecs.getCompressor(CompressionCodecName.UNCOMPRESSED).compress(BytesInput.from(page))))
                .isEqualTo(page);
        ByteBuffer out = ByteBuffer.allocate(5000);
        codecs.getDecompressor(CompressionCodecName.UNCOMPRESSED).decompress(ByteBuffer.wrap(page), 5000, out, 5000);
        assertThat(out.array()).isEqualTo(page);
    }

    @Test
    void otherCodecsAreRefusedByName() {
        ZstdCodecFactory codecs = new ZstdCodecFactory(3);
        assertThatThrownBy(() -> codecs.getCompressor(CompressionCodecName.SNAPPY))
                .isInstanceOf(StreamingException.class).hasMessageContaining("SNAPPY is not supported");
        assertThatThrownBy(() -> codecs.getDecompressor(CompressionCodecName.GZIP))
                .isInstanceOf(StreamingException.class).hasMessageContaining("GZIP is not supported");
    }
}
