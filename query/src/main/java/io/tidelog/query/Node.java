package io.tidelog.query;

/**
 * One compiled part of a filter, evaluated a range of rows at a time into two bit masks, for SQL's three truth
 * values: {@code t} (TRUE) and {@code n} (UNKNOWN); a row in neither is FALSE.
 *
 * <p>Masks are 64-bit words aligned to absolute row numbers: word {@code i} of a mask holds rows
 * {@code [(base + i) * 64, (base + i + 1) * 64)} with {@code base = from >>> 6}, row {@code r} at bit
 * {@code r & 63}. Bits of rows outside {@code [from, to)}, and of rows whose {@code care} bit is clear, may hold
 * anything: callers mask them off ({@code care == null} means every row). That is what lets {@code and} skip the
 * rows its first term already made FALSE.
 */
interface Node {

    /** Fills {@code t[0, words)} and {@code n[0, words)} for rows {@code [from, to)} of {@code view}. */
    void eval(SegmentView view, int from, int to, long[] care, long[] t, long[] n);

    /** The number of words of a mask over {@code [from, to)}, {@code from < to}. */
    static int words(int from, int to) {
        return ((to - 1) >>> 6) - (from >>> 6) + 1;
    }
}
