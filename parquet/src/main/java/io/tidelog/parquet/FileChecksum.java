package io.tidelog.parquet;

import io.tidelog.common.StreamingException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.CRC32C;

/**
 * Checks a downloaded file against what its manifest says ({@link SegmentManifest.FileEntry}: size and
 * CRC32C) or what its writer summarized ({@link FileSummary}), before a reader trusts it. The only check
 * that catches every change of a file: a reader checks pages (CRC32) and structure, but not every byte of
 * the footer.
 *
 * <p>Reads the whole file once, 64 KiB at a time. Stateless: thread-safe.
 */
public final class FileChecksum {
    private static final int BUFFER_BYTES = 64 << 10;

    private FileChecksum() {
    }

    /**
     * Checks the file at {@code file} against its manifest entry.
     *
     * @throws StreamingException {@code DATA_CORRUPTED} naming the entry's key if the size or checksum
     *         differs; {@code INNER} if the file cannot be read
     */
    public static void verify(Path file, SegmentManifest.FileEntry entry) {
        verify(file, entry.key(), entry.bytes(), entry.checksum());
    }

    /** Like {@link #verify(Path, SegmentManifest.FileEntry)}, for a file in memory. */
    public static void verify(byte[] bytes, SegmentManifest.FileEntry entry) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        check(entry.key(), bytes.length, (int) crc.getValue(), entry.bytes(), entry.checksum());
    }

    /** Checks the file at {@code file}, stored under {@code key}, against what its writer returned. */
    public static void verify(Path file, String key, FileSummary summary) {
        verify(file, key, summary.bytes(), summary.checksum());
    }

    private static void verify(Path file, String key, long bytes, String checksum) {
        CRC32C crc = new CRC32C();
        long size = 0;
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[BUFFER_BYTES];
            for (int n; (n = in.read(buffer)) > 0; ) {
                crc.update(buffer, 0, n);
                size += n;
            }
        } catch (NoSuchFileException e) {
            throw StreamingException.inner("file " + key + " is not at " + file + ": " + e, e);
        } catch (IOException e) {
            throw StreamingException.inner("reading file " + key + " at " + file + " failed: " + e, e);
        }
        check(key, size, (int) crc.getValue(), bytes, checksum);
    }

    private static void check(String key, long size, int crc32c, long bytes, String checksum) {
        if (size != bytes) {
            throw StreamingException.corrupted("file " + key + " has " + size + " bytes, its manifest says " + bytes);
        }
        String actual = FileSummary.CRC32C_PREFIX + String.format(Locale.ROOT, "%08x", crc32c);
        if (!actual.equals(checksum)) {
            throw StreamingException.corrupted("file " + key + " has checksum " + actual + ", its manifest says "
                    + checksum);
        }
    }
}
