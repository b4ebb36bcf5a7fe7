package io.tidelog.delegator;

import java.util.BitSet;

/**
 * When the rows of one segment were deleted, as one reader sees them: per row the time tick of the earliest delete
 * that hides it ({@link Long#MAX_VALUE} while none). Dense for a growing segment (an array the owner fills as
 * deletes come), sparse for a sealed one (only its deleted rows). Immutable once handed to a reader.
 */
final class RowDeletes {
    private final long[] dense;
    /** Ascending; {@link #ticks} beside them. Null when dense. */
    private final int[] rows;
    private final long[] ticks;

    private RowDeletes(long[] dense, int[] rows, long[] ticks) {
        this.dense = dense;
        this.rows = rows;
        this.ticks = ticks;
    }

    /** @param deletedAt per row, the earliest delete's time tick; at least as long as the rows a reader reads */
    static RowDeletes dense(long[] deletedAt) {
        return new RowDeletes(deletedAt, null, null);
    }

    /** @param rows ascending, the rows hidden by a delete at {@code ticks[i]} */
    static RowDeletes sparse(int[] rows, long[] ticks) {
        return new RowDeletes(null, rows, ticks);
    }

    /** The time tick of the earliest delete of {@code row}, or {@link Long#MAX_VALUE}. */
    long at(int row) {
        if (dense != null) {
            return dense[row];
        }
        int i = java.util.Arrays.binarySearch(rows, row);
        return i >= 0 ? ticks[i] : Long.MAX_VALUE;
    }

    /** Clears, among the first {@code n} rows, those deleted at or before {@code timeTick}. */
    void hide(BitSet visible, int n, long timeTick) {
        if (dense != null) {
            for (int r = 0; r < n; r++) {
                if (dense[r] <= timeTick) {
                    visible.clear(r);
                }
            }
            return;
        }
        for (int i = 0; i < rows.length && rows[i] < n; i++) {
            if (ticks[i] <= timeTick) {
                visible.clear(rows[i]);
            }
        }
    }

    /** How many rows have a delete. */
    int count() {
        if (rows != null) {
            return rows.length;
        }
        int c = 0;
        for (long d : dense) {
            if (d != Long.MAX_VALUE) {
                c++;
            }
        }
        return c;
    }
}
