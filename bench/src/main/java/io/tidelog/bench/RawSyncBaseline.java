package io.tidelog.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The physical limit a WAL is judged against: {@code FileChannel.write} of a buffer and
 * {@code force(false)} (fdatasync) on a preallocated file, overwritten from offset 0 and wrapping at
 * its end. This is the anchors' B_sync / L_sync, the same loop fio runs with {@code --overwrite=1}.
 *
 * <p>Why preallocated and overwritten: writing into fresh blocks makes every fdatasync also commit
 * size and extent metadata (about 1.7x dearer here), and with a {@code discard} mount the first write
 * to a block is 3-5x slower still. A WAL can avoid both by recycling preallocated segments, so the
 * baseline does what the best WAL could do. The file is created, filled with zeros and synced once,
 * before any measurement; it is reused by every baseline sample of the run.
 *
 * <p>Not thread-safe: one thread drives it.
 */
final class RawSyncBaseline implements AutoCloseable {
    private static final int FILL_CHUNK = 1 << 20;

    private final Path file;
    private final FileChannel channel;
    private final long fileBytes;
    private long offset;

    private RawSyncBaseline(Path file, FileChannel channel, long fileBytes) {
        this.file = file;
        this.channel = channel;
        this.fileBytes = fileBytes;
    }

    /**
     * Creates {@code file} (it must not exist), writes {@code fileBytes} zeros to it and syncs it with
     * its metadata once.
     */
    static RawSyncBaseline preallocate(Path file, long fileBytes) throws IOException {
        if (fileBytes <= 0) {
            throw new IllegalArgumentException("baseline file size must be positive, got " + fileBytes);
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.READ);
        try {
            ByteBuffer zeros = ByteBuffer.allocateDirect((int) Math.min(FILL_CHUNK, fileBytes));
            long pos = 0;
            while (pos < fileBytes) {
                zeros.clear().limit((int) Math.min(zeros.capacity(), fileBytes - pos));
                while (zeros.hasRemaining()) {
                    pos += ch.write(zeros, pos);
                }
            }
            ch.force(true);
            return new RawSyncBaseline(file, ch, fileBytes);
        } catch (IOException | RuntimeException e) {
            ch.close();
            Files.deleteIfExists(file);
            throw new IOException("cannot preallocate the baseline file " + file + " (" + fileBytes
                    + " bytes): " + e.getMessage(), e);
        }
    }

    /** A direct buffer of {@code bytes} random bytes, the payload both sides write. */
    static ByteBuffer randomDirect(int bytes) {
        byte[] b = new byte[bytes];
        ThreadLocalRandom.current().nextBytes(b);
        return ByteBuffer.allocateDirect(bytes).put(b).flip();
    }

    /**
     * Where a write of {@code length} bytes goes when the previous one ended at {@code offset}: right
     * there, or back at 0 when it would cross the end of the file.
     */
    static long nextOffset(long offset, long length, long fileBytes) {
        if (length > fileBytes) {
            throw new IllegalArgumentException("a write of " + length + " bytes does not fit a baseline file of "
                    + fileBytes + " bytes");
        }
        return offset + length > fileBytes ? 0 : offset;
    }

    /** Writes the buffer's remaining bytes at the current offset, then fdatasyncs; the buffer is rewound. */
    void writeAndSync(ByteBuffer src) throws IOException {
        int length = src.remaining();
        long at = nextOffset(offset, length, fileBytes);
        int start = src.position();
        while (src.hasRemaining()) {
            at += channel.write(src, at);
        }
        channel.force(false);
        offset = at;
        src.position(start);
    }

    /**
     * Repeats {@link #writeAndSync} with {@code block} for {@code nanos} and returns the bandwidth.
     *
     * @return bytes per second written and synced
     */
    double bytesPerSecond(ByteBuffer block, long nanos) throws IOException {
        long written = 0;
        long start = System.nanoTime();
        long now = start;
        while (now - start < nanos) {
            writeAndSync(block);
            written += block.remaining();
            now = System.nanoTime();
        }
        return written * 1e9 / (now - start);
    }

    long fileBytes() {
        return fileBytes;
    }

    long offset() {
        return offset;
    }

    Path file() {
        return file;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
