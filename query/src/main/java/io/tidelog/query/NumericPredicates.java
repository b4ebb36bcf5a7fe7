package io.tidelog.query;

import java.util.Arrays;

/**
 * Comparisons of numeric fields with constants. Two arithmetics, chosen when binding (see the package
 * documentation): {@link LongCompare} and {@link LongIn} compare INT32 and INT64 values with integer literals
 * exactly, as 64-bit integers; {@link DoubleCompare} and {@link DoubleIn} compare as doubles, every value of the
 * column converted to double (exact for INT32 and FLOAT, rounded to nearest for INT64 beyond 2^53).
 *
 * <p>Each comparison is one of three base tests ({@code ==}, {@code <}, {@code <=}), the others being their
 * complements on non-null rows: {@code !=} is not {@code ==}, {@code >} is not {@code <=}, {@code >=} is not
 * {@code <}. With doubles that complement is also what orders NaN above every number and equal to itself (as
 * DuckDB and PostgreSQL do): NaN fails all three base tests against a (never NaN) literal, so it passes
 * {@code !=}, {@code >} and {@code >=}.
 */
final class NumericPredicates {
    private NumericPredicates() {
    }

    /** The base test of an operator, and whether the operator is its complement. */
    enum Base {
        EQ, LT, LE;

        static Base of(CompareOp op) {
            return switch (op) {
                case EQ, NE -> EQ;
                case LT, GE -> LT;
                case LE, GT -> LE;
            };
        }

        static boolean negates(CompareOp op) {
            return op == CompareOp.NE || op == CompareOp.GT || op == CompareOp.GE;
        }
    }

    /** An INT32 or INT64 field against a 64-bit integer. */
    static final class LongCompare extends ColumnPredicate {
        private final Base base;
        private final long c;

        LongCompare(String field, CompareOp op, long c) {
            super(field, Base.negates(op));
            this.base = Base.of(op);
            this.c = c;
        }

        @Override
        long matches(Column column, int from, int to, long wanted) {
            long bits = 0;
            if (column instanceof Column.Int64s longs) {
                long[] a = longs.values();
                switch (base) {
                    case EQ -> { for (int r = from; r < to; r++) { if (a[r] == c) { bits |= 1L << r; } } }
                    case LT -> { for (int r = from; r < to; r++) { if (a[r] < c) { bits |= 1L << r; } } }
                    case LE -> { for (int r = from; r < to; r++) { if (a[r] <= c) { bits |= 1L << r; } } }
                }
            } else {
                int[] a = ((Column.Int32s) column).values();
                switch (base) {
                    case EQ -> { for (int r = from; r < to; r++) { if (a[r] == c) { bits |= 1L << r; } } }
                    case LT -> { for (int r = from; r < to; r++) { if (a[r] < c) { bits |= 1L << r; } } }
                    case LE -> { for (int r = from; r < to; r++) { if (a[r] <= c) { bits |= 1L << r; } } }
                }
            }
            return bits;
        }
    }

    /** Any numeric field against a double (finite, never NaN). */
    static final class DoubleCompare extends ColumnPredicate {
        private final Base base;
        private final double c;

        DoubleCompare(String field, CompareOp op, double c) {
            super(field, Base.negates(op));
            this.base = Base.of(op);
            this.c = c;
        }

        @Override
        long matches(Column column, int from, int to, long wanted) {
            long bits = 0;
            if (column instanceof Column.Doubles doubles) {
                double[] a = doubles.values();
                switch (base) {
                    case EQ -> { for (int r = from; r < to; r++) { if (a[r] == c) { bits |= 1L << r; } } }
                    case LT -> { for (int r = from; r < to; r++) { if (a[r] < c) { bits |= 1L << r; } } }
                    case LE -> { for (int r = from; r < to; r++) { if (a[r] <= c) { bits |= 1L << r; } } }
                }
            } else if (column instanceof Column.Floats floats) {
                float[] a = floats.values();
                switch (base) {
                    case EQ -> { for (int r = from; r < to; r++) { if ((double) a[r] == c) { bits |= 1L << r; } } }
                    case LT -> { for (int r = from; r < to; r++) { if ((double) a[r] < c) { bits |= 1L << r; } } }
                    case LE -> { for (int r = from; r < to; r++) { if ((double) a[r] <= c) { bits |= 1L << r; } } }
                }
            } else if (column instanceof Column.Int64s longs) {
                long[] a = longs.values();
                switch (base) {
                    case EQ -> { for (int r = from; r < to; r++) { if ((double) a[r] == c) { bits |= 1L << r; } } }
                    case LT -> { for (int r = from; r < to; r++) { if ((double) a[r] < c) { bits |= 1L << r; } } }
                    case LE -> { for (int r = from; r < to; r++) { if ((double) a[r] <= c) { bits |= 1L << r; } } }
                }
            } else {
                int[] a = ((Column.Int32s) column).values();
                switch (base) {
                    case EQ -> { for (int r = from; r < to; r++) { if ((double) a[r] == c) { bits |= 1L << r; } } }
                    case LT -> { for (int r = from; r < to; r++) { if ((double) a[r] < c) { bits |= 1L << r; } } }
                    case LE -> { for (int r = from; r < to; r++) { if ((double) a[r] <= c) { bits |= 1L << r; } } }
                }
            }
            return bits;
        }
    }

    /** An INT32 or INT64 field in a set of 64-bit integers (sorted, distinct, not empty). */
    static final class LongIn extends ColumnPredicate {
        private final long[] sorted;

        LongIn(String field, long[] values, boolean negated) {
            super(field, negated);
            this.sorted = Arrays.stream(values).sorted().distinct().toArray();
        }

        @Override
        long matches(Column column, int from, int to, long wanted) {
            long bits = 0;
            if (column instanceof Column.Int64s longs) {
                long[] a = longs.values();
                for (int r = from; r < to; r++) {
                    if (Arrays.binarySearch(sorted, a[r]) >= 0) {
                        bits |= 1L << r;
                    }
                }
            } else {
                int[] a = ((Column.Int32s) column).values();
                for (int r = from; r < to; r++) {
                    if (Arrays.binarySearch(sorted, a[r]) >= 0) {
                        bits |= 1L << r;
                    }
                }
            }
            return bits;
        }
    }

    /**
     * Any numeric field in a set of doubles. The set is searched with {@link Arrays#binarySearch(double[], double)},
     * which tells -0.0 from 0.0: both the set and the probe are normalised ({@code + 0.0} turns -0.0 into 0.0) so
     * that they are equal, as {@code ==} says.
     */
    static final class DoubleIn extends ColumnPredicate {
        private final double[] sorted;

        DoubleIn(String field, double[] values, boolean negated) {
            super(field, negated);
            this.sorted = Arrays.stream(values).map(v -> v + 0.0).sorted().distinct().toArray();
        }

        @Override
        long matches(Column column, int from, int to, long wanted) {
            long bits = 0;
            for (int r = from; r < to; r++) {
                if (((wanted >>> r) & 1) != 0 && Arrays.binarySearch(sorted, value(column, r) + 0.0) >= 0) {
                    bits |= 1L << r;
                }
            }
            return bits;
        }

        private static double value(Column column, int r) {
            if (column instanceof Column.Doubles d) {
                return d.values()[r];
            }
            if (column instanceof Column.Floats f) {
                return f.values()[r];
            }
            if (column instanceof Column.Int64s l) {
                return l.values()[r];
            }
            return ((Column.Int32s) column).values()[r];
        }
    }
}
