package io.tidelog.wal.local;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Positional reads of a segment's bytes: a file in production, a buffer in property tests. */
interface ByteSource {

    /** Fills {@code dst} from {@code position}; {@link EOFException} if the source ends first. */
    void readFully(ByteBuffer dst, long position) throws IOException;

    static ByteSource of(FileChannel channel) {
        return (dst, position) -> {
            long at = position;
            while (dst.hasRemaining()) {
                int n = channel.read(dst, at);
                if (n < 0) {
                    throw new EOFException("end of file at " + at);
                }
                at += n;
            }
        };
    }

    static ByteSource of(ByteBuffer image) {
        return (dst, position) -> {
            if (position + dst.remaining() > image.limit()) {
                throw new EOFException("end of image at " + image.limit());
            }
            ByteBuffer src = image.duplicate();
            src.position((int) position).limit((int) position + dst.remaining());
            dst.put(src);
        };
    }
}
