package io.tidelog.parquet;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;

/**
 * A local file for parquet-java to write, which counts and CRC32C-checksums the bytes as they go out, so
 * that the {@link FileSummary} needs no second read of the file. Like parquet-java's
 * {@code LocalOutputFile}, but with that checksum and a larger buffer.
 *
 * <p>One stream per instance; {@link #bytes()} and {@link #crc32c()} describe what was written once it is
 * closed. Nothing is synced to disk: the durability point of a flushed file is its upload to the object
 * store, not the local copy.
 */
final class ChecksummingOutputFile implements OutputFile {
    private static final int BUFFER_BYTES = 256 << 10;

    private final Path path;
    private final CRC32C crc = new CRC32C();
    private long position;

    ChecksummingOutputFile(Path path) {
        this.path = path;
    }

    /** The number of bytes written. */
    long bytes() {
        return position;
    }

    /** The CRC32C of the bytes written. */
    int crc32c() {
        return (int) crc.getValue();
    }

    @Override
    public PositionOutputStream create(long blockSizeHint) throws IOException {
        return open(StandardOpenOption.CREATE_NEW);
    }

    @Override
    public PositionOutputStream createOrOverwrite(long blockSizeHint) throws IOException {
        return open(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
    }

    private PositionOutputStream open(StandardOpenOption... options) throws IOException {
        OutputStream out = new BufferedOutputStream(Files.newOutputStream(path, options), BUFFER_BYTES);
        return new PositionOutputStream() {
            @Override
            public long getPos() {
                return position;
            }

            @Override
            public void write(int b) throws IOException {
                out.write(b);
                crc.update(b);
                position++;
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
                crc.update(b, off, len);
                position += len;
            }

            @Override
            public void flush() throws IOException {
                out.flush();
            }

            @Override
            public void close() throws IOException {
                out.close();
            }
        };
    }

    @Override
    public boolean supportsBlockSize() {
        return false;
    }

    @Override
    public long defaultBlockSize() {
        return -1;
    }

    @Override
    public String getPath() {
        return path.toString();
    }
}
