package io.tidelog.query;

/**
 * {@code and}, {@code or} and {@code not} over the masks of their terms, in SQL's three-valued logic:
 *
 * <pre>
 *   and: TRUE if all TRUE, FALSE if any FALSE, else UNKNOWN     t = ta & tb, n = (na | nb) & (ta | na) & (tb | nb)
 *   or:  TRUE if any TRUE, FALSE if all FALSE, else UNKNOWN     t = ta | tb, n = (na | nb) & ~ta & ~tb
 *   not: TRUE and FALSE swap, UNKNOWN stays                     t = ~ta & ~na, n = na
 * </pre>
 *
 * A later term of {@code and} is evaluated only on the rows no earlier term made FALSE, a later term of
 * {@code or} only on the rows no earlier term made TRUE (through the care mask): what the others skip, the
 * formula above does not read.
 */
final class Logic {
    private Logic() {
    }

    record And(Node[] terms) implements Node {
        @Override
        public void eval(SegmentView view, int from, int to, long[] care, long[] t, long[] n) {
            int words = Node.words(from, to);
            terms[0].eval(view, from, to, care, t, n);
            long[] tb = new long[words];
            long[] nb = new long[words];
            long[] stillCare = new long[words];
            for (int k = 1; k < terms.length; k++) {
                boolean any = false;
                for (int i = 0; i < words; i++) {
                    stillCare[i] = (care == null ? -1L : care[i]) & (t[i] | n[i]);
                    any |= stillCare[i] != 0;
                }
                if (!any) {
                    return;
                }
                terms[k].eval(view, from, to, stillCare, tb, nb);
                for (int i = 0; i < words; i++) {
                    long ta = t[i];
                    long na = n[i];
                    t[i] = ta & tb[i];
                    n[i] = (na | nb[i]) & (ta | na) & (tb[i] | nb[i]);
                }
            }
        }
    }

    record Or(Node[] terms) implements Node {
        @Override
        public void eval(SegmentView view, int from, int to, long[] care, long[] t, long[] n) {
            int words = Node.words(from, to);
            terms[0].eval(view, from, to, care, t, n);
            long[] tb = new long[words];
            long[] nb = new long[words];
            long[] stillCare = new long[words];
            for (int k = 1; k < terms.length; k++) {
                boolean any = false;
                for (int i = 0; i < words; i++) {
                    stillCare[i] = (care == null ? -1L : care[i]) & ~t[i];
                    any |= stillCare[i] != 0;
                }
                if (!any) {
                    return;
                }
                terms[k].eval(view, from, to, stillCare, tb, nb);
                for (int i = 0; i < words; i++) {
                    long ta = t[i];
                    t[i] = ta | tb[i];
                    n[i] = (n[i] | nb[i]) & ~ta & ~tb[i];
                }
            }
        }
    }

    record Not(Node term) implements Node {
        @Override
        public void eval(SegmentView view, int from, int to, long[] care, long[] t, long[] n) {
            term.eval(view, from, to, care, t, n);
            for (int i = 0, words = Node.words(from, to); i < words; i++) {
                t[i] = ~t[i] & ~n[i];
            }
        }
    }

    /** The same truth value for every row (an empty {@code in} list: FALSE, the empty disjunction). */
    record Constant(boolean value) implements Node {
        @Override
        public void eval(SegmentView view, int from, int to, long[] care, long[] t, long[] n) {
            for (int i = 0, words = Node.words(from, to); i < words; i++) {
                t[i] = value ? -1L : 0L;
                n[i] = 0L;
            }
        }
    }
}
