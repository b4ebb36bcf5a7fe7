package io.tidelog.parquet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.testing.Seeds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged files: the readers fail with {@code DATA_CORRUPTED} naming the key (never another exception, never a
 * hang), and {@link FileChecksum} catches every change against the manifest.
 */
class CorruptedFilesTest {
    static final String KEY = SegmentKeys.segmentData(1001, 7_000_000_001L);

    static DuckDb duck;

    @RegisterExtension
    final Seeds seeds = new Seeds();

    @TempDir
    Path dir;

    @BeforeAll
    static void startDuckDb() throws Exception {
        duck = new DuckDb();
    }

    @AfterAll
    static void stopDuckDb() throws Exception {
        duck.close();
    }

    Path segmentFile(Random random) {
        CollectionSchema schema = TestSchemas.everyTypeV2(DataType.VARCHAR);
        Path file = dir.resolve("data.parquet");
        new SegmentParquetWriter(SegmentFileReaderTest.SMALL_GROUPS).write(file, SegmentFileReaderTest.SEGMENT, schema,
                SegmentFileReaderTest.inserts(DataType.VARCHAR, random, 4, 150));
        return file;
    }

    /** Opens {@code bytes} and reads every row; returns normally only if nothing was detected. */
    static void readFully(byte[] bytes) {
        try (SegmentFileReader reader = SegmentFileReader.open(bytes, KEY)) {
            reader.readAll();
        }
    }

    static void assertCorrupted(ThrowingCallable read) {
        assertThatThrownBy(read).isInstanceOf(StreamingException.class)
                .satisfies(e -> assertThat(((StreamingException) e).code()).isEqualTo(ErrorCode.DATA_CORRUPTED))
                .hasMessageContaining(KEY);
    }

    @Test
    void aTruncatedFileIsCorruptedWhereverItWasCut() throws Exception {
        Random random = seeds.random();
        byte[] bytes = Files.readAllBytes(segmentFile(random));
        for (int i = 0; i < 40; i++) {
            int length = i < 12 ? i : random.nextInt(bytes.length);
            byte[] cut = Arrays.copyOf(bytes, length);
            assertCorrupted(() -> readFully(cut));
            Path file = dir.resolve("cut.parquet");
            Files.write(file, cut);
            assertCorrupted(() -> SegmentFileReader.open(file, KEY).close());
        }
    }

    @Test
    void garbageIsCorruptedEvenBetweenParquetMagicNumbers() {
        Random random = seeds.random();
        for (int i = 0; i < 40; i++) {
            byte[] garbage = new byte[1 + random.nextInt(20_000)];
            random.nextBytes(garbage);
            assertCorrupted(() -> readFully(garbage));
            if (garbage.length >= 12) {
                System.arraycopy("PAR1".getBytes(), 0, garbage, 0, 4);
                System.arraycopy("PAR1".getBytes(), 0, garbage, garbage.length - 4, 4);
                int footer = random.nextInt(garbage.length - 11);
                garbage[garbage.length - 8] = (byte) footer;
                garbage[garbage.length - 7] = (byte) (footer >>> 8);
                garbage[garbage.length - 6] = 0;
                garbage[garbage.length - 5] = 0;
                assertCorrupted(() -> readFully(garbage));
            }
        }
    }

    @Test
    void aChangedByteInAPageFailsItsPageChecksum() throws Exception {
        Path file = segmentFile(seeds.random());
        byte[] bytes = Files.readAllBytes(file);
        List<Map<String, Object>> chunks = duck.query("SELECT path_in_schema AS p, data_page_offset AS o,"
                + " total_compressed_size AS n FROM parquet_metadata(" + DuckDb.literal(file) + ")"
                + " WHERE path_in_schema = 'wide, list, element'");
        assertThat(chunks).isNotEmpty();
        for (Map<String, Object> chunk : chunks) {
            byte[] changed = bytes.clone();
            int at = (int) ((Long) chunk.get("o") + (Long) chunk.get("n") - 5);
            changed[at] ^= 0x10;
            assertCorrupted(() -> readFully(changed));
        }
    }

    @Test
    void aChangedByteAnywhereIsCorruptedOrHarmlessButNeverAnotherFailureOrAHang() throws Exception {
        Random random = seeds.random();
        byte[] bytes = Files.readAllBytes(segmentFile(random));
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            int detected = 0;
            for (int i = 0; i < 300; i++) {
                byte[] changed = bytes.clone();
                int at = i < 100 ? bytes.length - 1 - random.nextInt(Math.min(bytes.length, 2_000)) : random.nextInt(bytes.length);
                changed[at] ^= (byte) (1 + random.nextInt(255));
                try {
                    readFully(changed);
                } catch (StreamingException e) {
                    assertThat(e.code()).as("byte %d changed: %s", at, e).isEqualTo(ErrorCode.DATA_CORRUPTED);
                    assertThat(e).hasMessageContaining(KEY);
                    detected++;
                }
            }
            System.out.println("changed bytes detected by the reader alone: " + detected + " of 300");
            assertThat(detected).as("most changes are caught by the reader alone").isGreaterThan(150);
        });
    }

    @Test
    void withoutPageChecksumsAChangedByteStillNeverLeaksAParquetExceptionOrHangs() throws Exception {
        Random random = seeds.random();
        Path file = dir.resolve("unprotected.parquet");
        CollectionSchema schema = TestSchemas.everyTypeV2(DataType.VARCHAR);
        List<InsertedRows> inserts = SegmentFileReaderTest.inserts(DataType.VARCHAR, random, 4, 150);
        UnprotectedSegmentFiles.write(file, schema, inserts);
        byte[] bytes = Files.readAllBytes(file);
        try (SegmentFileReader reader = SegmentFileReader.open(bytes, KEY)) {
            assertThat(RowsRead.rows(schema.getFieldsList(), reader.readAll())).isEqualTo(Expected.rows(schema, inserts));
        }
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            int detected = 0;
            for (int i = 0; i < 400; i++) {
                byte[] changed = bytes.clone();
                int at = random.nextInt(bytes.length);
                changed[at] ^= (byte) (1 + random.nextInt(255));
                try {
                    readFully(changed);
                } catch (StreamingException e) {
                    assertThat(e.code()).as("byte %d changed: %s", at, e).isEqualTo(ErrorCode.DATA_CORRUPTED);
                    detected++;
                }
            }
            System.out.println("changed bytes of an unprotected file detected: " + detected + " of 400");
        });
    }

    @Test
    void theChecksumCatchesEveryChangeAndNamesTheKey() throws Exception {
        Random random = seeds.random();
        Path file = dir.resolve("data.parquet");
        FileSummary summary = new SegmentParquetWriter(SegmentFileReaderTest.SMALL_GROUPS).write(file,
                SegmentFileReaderTest.SEGMENT, TestSchemas.everyTypeV2(DataType.VARCHAR),
                SegmentFileReaderTest.inserts(DataType.VARCHAR, random, 2, 50));
        byte[] bytes = Files.readAllBytes(file);
        SegmentManifest.FileEntry entry = SegmentManifest.FileEntry.of(KEY, summary, SegmentManifest.Role.DATA);

        FileChecksum.verify(file, entry);
        FileChecksum.verify(bytes, entry);
        FileChecksum.verify(file, KEY, summary);
        for (int i = 0; i < 20; i++) {
            byte[] changed = bytes.clone();
            changed[random.nextInt(changed.length)] ^= (byte) (1 + random.nextInt(255));
            assertCorrupted(() -> FileChecksum.verify(changed, entry));
            Files.write(file, changed);
            assertCorrupted(() -> FileChecksum.verify(file, entry));
        }
        byte[] shorter = Arrays.copyOf(bytes, bytes.length - 1);
        assertThatThrownBy(() -> FileChecksum.verify(shorter, entry)).isInstanceOf(StreamingException.class)
                .hasMessageContainingAll(KEY, "has " + shorter.length + " bytes, its manifest says " + bytes.length);
    }

    @Test
    void aParquetFileOfAnotherWriterIsRefused() throws Exception {
        Path file = dir.resolve("other.parquet");
        duck.execute("COPY (SELECT 1 AS id, 'x' AS title) TO " + DuckDb.literal(file) + " (FORMAT PARQUET)");
        assertCorrupted(() -> SegmentFileReader.open(file, KEY));
        assertThatThrownBy(() -> SegmentFileReader.open(file, KEY)).hasMessageContaining("is it a Tidelog file?");
    }

    @Test
    void aMissingFileIsAnInnerErrorNotCorruption() {
        assertThatThrownBy(() -> SegmentFileReader.open(dir.resolve("missing.parquet"), KEY))
                .isInstanceOf(StreamingException.class)
                .satisfies(e -> assertThat(((StreamingException) e).code()).isEqualTo(ErrorCode.INNER));
    }
}
