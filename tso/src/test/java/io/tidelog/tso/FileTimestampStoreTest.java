package io.tidelog.tso;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTimestampStoreTest {
    @TempDir
    Path dir;

    @Test
    void aMissingFileReadsAsZero() {
        assertThat(new FileTimestampStore(dir.resolve("not-yet")).load()).isZero();
        assertThat(dir.resolve("not-yet")).isDirectory();
    }

    @Test
    void aSavedMarkIsReadBackByALaterStore() {
        FileTimestampStore store = new FileTimestampStore(dir);
        store.save(1_764_000_000_000L);
        store.save(1_764_000_003_000L);

        assertThat(new FileTimestampStore(dir).load()).isEqualTo(1_764_000_003_000L);
        assertThat(dir.resolve(FileTimestampStore.TEMP_FILE_NAME)).doesNotExist();
    }

    @Test
    void aLeftoverTempFileFromACrashedSaveIsIgnored() throws Exception {
        FileTimestampStore store = new FileTimestampStore(dir);
        store.save(5_000);
        Files.write(dir.resolve(FileTimestampStore.TEMP_FILE_NAME), new byte[] {1, 2, 3});

        assertThat(store.load()).isEqualTo(5_000);
        store.save(8_000);
        assertThat(store.load()).isEqualTo(8_000);
    }

    @Test
    void aCorruptFileIsDataCorruptedNeverZero() throws Exception {
        FileTimestampStore store = new FileTimestampStore(dir);
        store.save(123_456);
        Path file = dir.resolve(FileTimestampStore.FILE_NAME);
        byte[] good = Files.readAllBytes(file);

        for (int i = 0; i < good.length; i++) {
            byte[] flipped = good.clone();
            flipped[i] ^= 0x10;
            Files.write(file, flipped);
            assertCorrupted(store, "byte " + i + " flipped");
        }
        for (byte[] bad : new byte[][] {new byte[0], Arrays.copyOf(good, 15), Arrays.copyOf(good, 17)}) {
            Files.write(file, bad);
            assertCorrupted(store, bad.length + " bytes");
        }
    }

    @Test
    void aNegativeMarkIsRejected() {
        assertThatThrownBy(() -> new FileTimestampStore(dir).save(-1))
                .isInstanceOfSatisfying(StreamingException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }

    private void assertCorrupted(FileTimestampStore store, String what) {
        assertThatThrownBy(store::load)
                .as(what)
                .isInstanceOfSatisfying(StreamingException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.DATA_CORRUPTED))
                .hasMessageContaining(FileTimestampStore.FILE_NAME);
    }
}
