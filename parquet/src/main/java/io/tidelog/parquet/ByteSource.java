package io.tidelog.parquet;

import io.tidelog.common.StreamingException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The bytes of one file to read by position: a local file (through positional reads of a
 * {@link FileChannel}, which move no shared position) or an array in memory. Reading past the end is
 * {@code DATA_CORRUPTED}: every range read comes from the file's own metadata, so such a range means the
 * file is not what its footer says.
 */
abstract class ByteSource implements AutoCloseable {
    /** The object store key of the file, for messages. */
    final String key;

    private ByteSource(String key) {
        this.key = key;
    }

    /** The file at {@code file}, open until {@link #close()}; {@code INNER} if it cannot be opened. */
    static ByteSource of(Path file, String key) {
        try {
            return new Channel(FileChannel.open(file, StandardOpenOption.READ), key);
        } catch (IOException e) {
            throw StreamingException.inner("cannot open Parquet file " + key + " at " + file + ": " + e, e);
        }
    }

    /** The file whose bytes are {@code bytes} (not copied: the caller does not change them). */
    static ByteSource of(byte[] bytes, String key) {
        return new Array(bytes, key);
    }

    /** The size of the file in bytes. */
    abstract long size();

    /**
     * The {@code length} bytes from {@code position}.
     *
     * @throws StreamingException {@code DATA_CORRUPTED} if the range is not inside the file, {@code INNER} if
     *         reading fails
     */
    final byte[] read(long position, long length) {
        if (position < 0 || length < 0 || length > Integer.MAX_VALUE - 8 || position > size() - length) {
            throw StreamingException.corrupted("Parquet file " + key + " (" + size() + " bytes) has no bytes ["
                    + position + ", " + position + " + " + length + "): its metadata points outside the file");
        }
        byte[] out = new byte[(int) length];
        readFully(position, out);
        return out;
    }

    abstract void readFully(long position, byte[] into);

    @Override
    public abstract void close();

    private static final class Channel extends ByteSource {
        private final FileChannel channel;
        private final long size;

        Channel(FileChannel channel, String key) throws IOException {
            super(key);
            this.channel = channel;
            try {
                this.size = channel.size();
            } catch (IOException e) {
                channel.close();
                throw e;
            }
        }

        @Override
        long size() {
            return size;
        }

        @Override
        void readFully(long position, byte[] into) {
            ByteBuffer buffer = ByteBuffer.wrap(into);
            try {
                while (buffer.hasRemaining()) {
                    int n = channel.read(buffer, position + buffer.position());
                    if (n < 0) {
                        throw StreamingException.corrupted("Parquet file " + key + " ended at "
                                + (position + buffer.position()) + " bytes while its size was " + size
                                + ": it changed while being read");
                    }
                }
            } catch (IOException e) {
                throw StreamingException.inner("reading Parquet file " + key + " failed: " + e, e);
            }
        }

        @Override
        public void close() {
            try {
                channel.close();
            } catch (IOException e) {
                throw StreamingException.inner("closing Parquet file " + key + " failed: " + e, e);
            }
        }
    }

    private static final class Array extends ByteSource {
        private final byte[] bytes;

        Array(byte[] bytes, String key) {
            super(key);
            this.bytes = bytes;
        }

        @Override
        long size() {
            return bytes.length;
        }

        @Override
        void readFully(long position, byte[] into) {
            System.arraycopy(bytes, (int) position, into, 0, into.length);
        }

        @Override
        public void close() {
        }
    }
}
