package io.tidelog.wal.local;

import java.util.Arrays;

/**
 * The positions of a segment's record batches, ascending: lets a scanner start at a message id
 * without walking the segment. Thread-safe; appended by the writer, read by scanners.
 */
final class BatchIndex {
    private long[] starts = new long[16];
    private int size;

    synchronized void add(long position) {
        if (size > 0 && position <= starts[size - 1]) {
            throw new IllegalStateException("batch positions must ascend: " + position + " after " + starts[size - 1]);
        }
        if (size == starts.length) {
            starts = Arrays.copyOf(starts, size * 2);
        }
        starts[size++] = position;
    }

    synchronized int size() {
        return size;
    }

    /** The position of the last batch starting at or before {@code position}; -1 if none. */
    synchronized long floor(long position) {
        int i = Arrays.binarySearch(starts, 0, size, position);
        if (i >= 0) {
            return starts[i];
        }
        int insertion = -i - 1;
        return insertion == 0 ? -1 : starts[insertion - 1];
    }
}
