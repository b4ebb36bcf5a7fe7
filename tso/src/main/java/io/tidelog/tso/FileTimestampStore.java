package io.tidelog.tso;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * A {@link TimestampStore} in one small file, {@value #FILE_NAME}, in a directory of its own choosing.
 *
 * <pre>
 * offset  size  field
 *      0     4  magic "TSO1"
 *      4     8  high-water mark, epoch millis (big-endian)
 *     12     4  CRC32C of bytes 0..11
 * </pre>
 *
 * <p>A save writes {@value #TEMP_FILE_NAME}, fsyncs it, renames it over {@value #FILE_NAME} atomically and
 * fsyncs the directory, so after a crash the file holds either the old or the new mark, whole. A missing
 * file reads as 0 (nothing was ever saved); a file that fails its checks is {@code DATA_CORRUPTED}, never
 * 0, since reading it as 0 could let the oracle issue old timestamps again.
 *
 * <p>Thread-safe; meant for one process at a time (the process that runs the oracle).
 */
public final class FileTimestampStore implements TimestampStore {
    public static final String FILE_NAME = "tso.mark";
    static final String TEMP_FILE_NAME = FILE_NAME + ".tmp";
    private static final int MAGIC = 0x54534F31;
    private static final int LENGTH = 16;

    private final Path directory;
    private final Path file;

    /**
     * A store in {@code directory}, created if missing.
     *
     * @throws StreamingException {@code INNER} if the directory cannot be created
     */
    public FileTimestampStore(Path directory) {
        this.directory = directory;
        this.file = directory.resolve(FILE_NAME);
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw StreamingException.inner("cannot create the timestamp store directory " + directory, e);
        }
    }

    @Override
    public synchronized long load() {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            throw StreamingException.inner("cannot read the timestamp store " + file, e);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (bytes.length != LENGTH || b.getInt(0) != MAGIC || b.getInt(12) != crc(bytes) || b.getLong(4) < 0) {
            throw new StreamingException(ErrorCode.DATA_CORRUPTED, "the timestamp store " + file
                    + " is corrupted (" + bytes.length + " bytes, expected " + LENGTH
                    + " with a valid magic and checksum)");
        }
        return b.getLong(4);
    }

    @Override
    public synchronized void save(long highWaterMillis) {
        if (highWaterMillis < 0) {
            throw StreamingException.invalidArgument("a high-water mark must be >= 0, got " + highWaterMillis);
        }
        byte[] bytes = new byte[LENGTH];
        ByteBuffer b = ByteBuffer.wrap(bytes).putInt(MAGIC).putLong(highWaterMillis);
        b.putInt(crc(bytes));
        Path temp = directory.resolve(TEMP_FILE_NAME);
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer out = ByteBuffer.wrap(bytes);
                while (out.hasRemaining()) {
                    ch.write(out);
                }
                ch.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
                dir.force(true);
            }
        } catch (IOException e) {
            throw StreamingException.inner("cannot save the timestamp store " + file, e);
        }
    }

    private static int crc(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, 12);
        return (int) crc.getValue();
    }

    @Override
    public String toString() {
        return "FileTimestampStore{" + file + "}";
    }
}
