package io.tidelog.query;

/** Helpers on bit sets held as 64-bit words (bit {@code i} is bit {@code i & 63} of word {@code i >>> 6}). */
final class Bits {
    private Bits() {
    }

    /** Sets bits {@code [from, to)}. */
    static void setRange(long[] words, int from, int to) {
        for (int i = from; i < to; ) {
            int w = i >>> 6;
            int end = Math.min(to, (w + 1) << 6);
            words[w] |= mask(i, end);
            i = end;
        }
    }

    /** The bits {@code [from & 63, ((to - 1) & 63) + 1)} of one word; {@code from} and {@code to - 1} in one word. */
    static long mask(int from, int to) {
        int lo = from & 63;
        int n = to - from;
        long m = n == 64 ? -1L : ((1L << n) - 1);
        return m << lo;
    }
}
