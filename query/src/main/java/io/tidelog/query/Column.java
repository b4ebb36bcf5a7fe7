package io.tidelog.query;

import com.google.gson.JsonElement;

/**
 * The values of one field over the rows of a {@link SegmentView}, as primitive arrays indexed by row. The arrays
 * belong to the segment and are read-only for everyone else; they may be longer than the view's row count, and
 * what lies past it is not part of the view (a growing segment keeps writing there).
 *
 * <p>Nulls: {@link #valid()} holds one bit per row in 64-bit words (row {@code r} is bit {@code r & 63} of word
 * {@code r >>> 6}); a set bit means the row has a value. {@code null} means every row has one. The value array's
 * entry of a null row is unspecified.
 */
public sealed interface Column {

    /** The validity words, or {@code null} when no row is null. */
    long[] valid();

    /** Whether {@code row} has no value. */
    default boolean isNull(int row) {
        long[] valid = valid();
        return valid != null && (valid[row >>> 6] & (1L << row)) == 0;
    }

    /** BOOL: row {@code r} is true when bit {@code r} of {@code bits} is set (same layout as validity). */
    record Bools(long[] bits, long[] valid) implements Column {
        public boolean get(int row) {
            return (bits[row >>> 6] & (1L << row)) != 0;
        }
    }

    record Int32s(int[] values, long[] valid) implements Column {
    }

    record Int64s(long[] values, long[] valid) implements Column {
    }

    record Floats(float[] values, long[] valid) implements Column {
    }

    record Doubles(double[] values, long[] valid) implements Column {
    }

    /** VARCHAR, one {@link String} per row ({@code null} for a null row). */
    record Varchars(String[] values, long[] valid) implements Column {
    }

    /** JSON, parsed: one document per row ({@code null} for a null row; a JSON null is a {@code JsonNull}). */
    record Jsons(JsonElement[] values, long[] valid) implements Column {
    }

    /**
     * FLOAT_VECTOR, row-major in one array: row {@code r} is {@code values[r * dim, (r + 1) * dim)}. Never null.
     * {@code squaredNorms[r]} is the sum of squares of row {@code r}'s components, kept for COSINE search.
     */
    record FloatVectors(int dim, float[] values, float[] squaredNorms) implements Column {
        @Override
        public long[] valid() {
            return null;
        }
    }
}
