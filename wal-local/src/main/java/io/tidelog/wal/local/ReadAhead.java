package io.tidelog.wal.local;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A window over a {@link ByteSource} that turns many small reads (batch headers, small batches) into
 * few large ones. Slices it returns stay valid only until the next call. Single-threaded.
 */
final class ReadAhead {
    private final ByteSource source;
    private final int windowBytes;
    private ByteBuffer window = ByteBuffer.allocate(0);
    private long windowStart;

    ReadAhead(ByteSource source, int windowBytes) {
        this.source = source;
        this.windowBytes = windowBytes;
    }

    /**
     * {@code length} bytes from {@code position} as a buffer whose position 0 is {@code position}; reads
     * ahead up to {@code limit} (the end of readable data). Throws {@link java.io.EOFException} past
     * the source's end.
     */
    ByteBuffer slice(long position, int length, long limit) throws IOException {
        if (position < windowStart || position + length > windowStart + window.limit()) {
            long want = Math.max(length, Math.min(windowBytes, limit - position));
            if (window.capacity() < want) {
                window = ByteBuffer.allocate((int) Math.max(want, windowBytes));
            }
            window.clear().limit((int) want);
            source.readFully(window, position);
            window.flip();
            windowStart = position;
        }
        ByteBuffer s = window.duplicate();
        int from = (int) (position - windowStart);
        s.position(from).limit(from + length);
        return s.slice();
    }

    /** Forgets the window, so the next slice reads the source again (after it may have changed). */
    void invalidate() {
        window.clear().limit(0);
        windowStart = 0;
    }
}
