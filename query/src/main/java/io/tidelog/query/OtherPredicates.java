package io.tidelog.query;

import java.util.Set;

/** The leaves of compiled filters on BOOL and VARCHAR fields, and {@code is null} on any field. */
final class OtherPredicates {
    private OtherPredicates() {
    }

    /** {@code flag == value} (and {@code !=} when negated): whole words of the bit column at once. */
    static final class BoolEquals extends ColumnPredicate {
        private final boolean value;

        BoolEquals(String field, boolean value, boolean negated) {
            super(field, negated);
            this.value = value;
        }

        @Override
        long matches(Column column, int from, int to, long wanted) {
            long word = ((Column.Bools) column).bits()[from >>> 6];
            return value ? word : ~word;
        }
    }

    /** Every non-null row (a BOOL field in a list holding both {@code true} and {@code false}). */
    static final class AnyValue extends ColumnPredicate {
        AnyValue(String field, boolean negated) {
            super(field, negated);
        }

        @Override
        long matches(Column column, int from, int to, long wanted) {
            return -1L;
        }
    }

    /** A VARCHAR field against a string, by code point ({@link Utf8Order}); same base tests as numbers. */
    static final class VarcharCompare extends ColumnPredicate {
        private final NumericPredicates.Base base;
        private final String c;

        VarcharCompare(String field, CompareOp op, String c) {
            super(field, NumericPredicates.Base.negates(op));
            this.base = NumericPredicates.Base.of(op);
            this.c = c;
        }

        @Override
        long matches(Column column, int from, int to, long wanted) {
            String[] a = ((Column.Varchars) column).values();
            long bits = 0;
            for (int r = from; r < to; r++) {
                if (((wanted >>> r) & 1) != 0 && test(a[r])) {
                    bits |= 1L << r;
                }
            }
            return bits;
        }

        private boolean test(String s) {
            return switch (base) {
                case EQ -> s.equals(c);
                case LT -> Utf8Order.compare(s, c) < 0;
                case LE -> Utf8Order.compare(s, c) <= 0;
            };
        }
    }

    static final class VarcharIn extends ColumnPredicate {
        private final Set<String> values;

        VarcharIn(String field, Set<String> values, boolean negated) {
            super(field, negated);
            this.values = Set.copyOf(values);
        }

        @Override
        long matches(Column column, int from, int to, long wanted) {
            String[] a = ((Column.Varchars) column).values();
            long bits = 0;
            for (int r = from; r < to; r++) {
                if (((wanted >>> r) & 1) != 0 && values.contains(a[r])) {
                    bits |= 1L << r;
                }
            }
            return bits;
        }
    }

    static final class VarcharLike extends ColumnPredicate {
        private final LikePattern pattern;

        VarcharLike(String field, LikePattern pattern, boolean negated) {
            super(field, negated);
            this.pattern = pattern;
        }

        @Override
        long matches(Column column, int from, int to, long wanted) {
            String[] a = ((Column.Varchars) column).values();
            long bits = 0;
            for (int r = from; r < to; r++) {
                if (((wanted >>> r) & 1) != 0 && pattern.matches(a[r])) {
                    bits |= 1L << r;
                }
            }
            return bits;
        }
    }

    /** {@code field is null} ({@code is not null} when negated): TRUE or FALSE, never UNKNOWN. */
    record IsNull(String field, boolean negated) implements Node {
        @Override
        public void eval(SegmentView view, int from, int to, long[] care, long[] t, long[] n) {
            long[] valid = view.column(field).valid();
            int base = from >>> 6;
            for (int i = 0, words = Node.words(from, to); i < words; i++) {
                long v = valid == null ? -1L : valid[base + i];
                t[i] = negated ? v : ~v;
                n[i] = 0L;
            }
        }
    }
}
