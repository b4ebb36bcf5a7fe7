package io.tidelog.query;

/**
 * A condition on one field's value, UNKNOWN where the field is null: the frame of every leaf of a compiled
 * filter. It walks the range a word (64 rows) at a time, asks {@link #matches} for the rows that hold a value
 * and that the caller cares about, and derives the masks: {@code t = matches (or its complement when negated)
 * & valid}, {@code n = ~valid}. A subclass's {@code matches} is one tight loop over a primitive array.
 */
abstract class ColumnPredicate implements Node {
    final String field;
    final boolean negated;

    /** @param negated whether the predicate is the complement of {@link #matches} on non-null rows */
    ColumnPredicate(String field, boolean negated) {
        this.field = field;
        this.negated = negated;
    }

    @Override
    public final void eval(SegmentView view, int from, int to, long[] care, long[] t, long[] n) {
        Column column = view.column(field);
        long[] valid = column.valid();
        int base = from >>> 6;
        for (int r = from; r < to; ) {
            int w = r >>> 6;
            int end = Math.min(to, (w + 1) << 6);
            long v = valid == null ? -1L : valid[w];
            long wanted = v & (care == null ? -1L : care[w - base]);
            long bits = wanted == 0 ? 0L : matches(column, r, end, wanted);
            t[w - base] = (negated ? ~bits : bits) & v;
            n[w - base] = ~v;
            r = end;
        }
    }

    /**
     * The rows of {@code [from, to)} (all in one word) whose value satisfies the predicate, as bits
     * {@code row & 63}. Only rows set in {@code wanted} must be right; the others may be anything, and a
     * subclass whose test is costly per row skips them.
     */
    abstract long matches(Column column, int from, int to, long wanted);
}
