package io.tidelog.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RawSyncBaselineTest {

    @Test
    void aWriteThatWouldCrossTheEndGoesBackToTheStart() {
        assertThat(RawSyncBaseline.nextOffset(0, 4, 10)).isZero();
        assertThat(RawSyncBaseline.nextOffset(4, 4, 10)).isEqualTo(4);
        assertThat(RawSyncBaseline.nextOffset(6, 4, 10)).isEqualTo(6);
        assertThat(RawSyncBaseline.nextOffset(8, 4, 10)).isZero();
        assertThat(RawSyncBaseline.nextOffset(10, 4, 10)).isZero();
    }

    @Test
    void aWriteLargerThanTheFileIsRefused() {
        assertThatThrownBy(() -> RawSyncBaseline.nextOffset(0, 11, 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not fit");
    }

    @Test
    void theFileHasItsFullSizeBeforeAnyWriteAndKeepsIt(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("raw");
        try (RawSyncBaseline raw = RawSyncBaseline.preallocate(file, 3 * 4096 + 100)) {
            assertThat(Files.size(file)).isEqualTo(3 * 4096 + 100);
            ByteBuffer block = ByteBuffer.allocateDirect(4096);
            for (int i = 0; i < 10; i++) {
                block.clear();
                while (block.hasRemaining()) {
                    block.put((byte) i);
                }
                block.flip();
                raw.writeAndSync(block);
                assertThat(block.remaining()).as("the buffer is rewound for the next write").isEqualTo(4096);
            }
            assertThat(raw.offset()).as("the end of the last write, at the start of the ring").isEqualTo(4096);
            assertThat(Files.size(file)).isEqualTo(3 * 4096 + 100);
        }
        byte[] content = Files.readAllBytes(file);
        // Writes 0,1,2 filled the ring, then 3,4,5 / 6,7,8 overwrote it, and 9 went to offset 0 again.
        assertThat(Arrays.copyOfRange(content, 0, 4096)).containsOnly(9);
        assertThat(Arrays.copyOfRange(content, 4096, 8192)).containsOnly(7);
        assertThat(Arrays.copyOfRange(content, 8192, 12288)).containsOnly(8);
        assertThat(Arrays.copyOfRange(content, 12288, content.length)).containsOnly(0);
    }

    @Test
    void anExistingFileIsNeverOverwritten(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("precious"), "keep me");
        assertThatThrownBy(() -> RawSyncBaseline.preallocate(file, 4096)).isInstanceOf(IOException.class);
        assertThat(Files.readString(file)).isEqualTo("keep me");
    }

    @Test
    void bandwidthCountsTheBytesWrittenAndSynced(@TempDir Path dir) throws IOException {
        try (RawSyncBaseline raw = RawSyncBaseline.preallocate(dir.resolve("raw"), 1 << 20)) {
            assertThat(raw.bytesPerSecond(RawSyncBaseline.randomDirect(64 << 10), 20_000_000L)).isPositive();
        }
    }
}
