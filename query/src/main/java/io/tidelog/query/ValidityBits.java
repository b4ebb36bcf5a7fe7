package io.tidelog.query;

import java.util.Arrays;

/**
 * The growable validity words of one column (see {@link Column#valid()}). Stays {@code null} (every row valid)
 * until the first null row arrives. Single writer; the bits of rows already published are never changed again,
 * only later bits of the same word, so a reader of a published prefix sees the same bits whichever version of a
 * word it reads.
 */
final class ValidityBits {
    private long[] words;

    /** The words to publish, or {@code null} while no row is null. */
    long[] words() {
        return words;
    }

    /**
     * Appends the validity of rows {@code [row, row + n)} from a column of an insert: {@code column == null} (the
     * insert has no column for this nullable field) means all null, an empty {@code valid} list all valid.
     */
    void append(int row, int n, io.tidelog.proto.Column column) {
        boolean allValid = column != null && column.getValidCount() == 0;
        if (allValid && words == null) {
            return;
        }
        if (words == null) {
            words = new long[Math.max(4, wordsFor(row + n) * 2)];
            Bits.setRange(words, 0, row);
        }
        words = ensure(words, row + n);
        for (int i = 0; i < n; i++) {
            if (allValid || (column != null && column.getValid(i))) {
                words[(row + i) >>> 6] |= 1L << (row + i);
            }
        }
    }

    long bytes() {
        return words == null ? 0 : 8L * words.length;
    }

    static int wordsFor(int bits) {
        return (bits + 63) >>> 6;
    }

    /** {@code words}, or a copy at least twice as long if it cannot hold {@code bits} bits. */
    static long[] ensure(long[] words, int bits) {
        int need = wordsFor(bits);
        return need <= words.length ? words : Arrays.copyOf(words, Math.max(need, words.length * 2));
    }
}
