package io.tidelog.query;

import io.tidelog.common.StreamingException;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import java.util.BitSet;
import java.util.Map;
import java.util.Objects;

/**
 * A filter expression parsed, checked against a collection schema and compiled: the {@code filter} of a query or
 * a search. The language and its semantics are in the package documentation.
 *
 * <p>{@link #select} evaluates the filter over a range of a segment's rows a column at a time: each comparison
 * is one loop over a primitive array into 64-bit masks (TRUE and UNKNOWN), and {@code and}/{@code or}/{@code not}
 * combine masks a word at a time. A row is selected when the filter is TRUE for it (not FALSE, not UNKNOWN).
 * Immutable; one filter may run on many views from many threads at once.
 */
public final class Filter {
    /** The longest expression accepted, in chars. */
    public static final int MAX_EXPRESSION_LENGTH = 64 * 1024;
    /** How deep parentheses may nest. */
    public static final int MAX_NESTING_DEPTH = 128;
    /** The most values an {@code in} list may hold. */
    public static final int MAX_IN_LIST = 16 * 1024;
    /** The most steps a JSON path may have. */
    public static final int MAX_PATH_LENGTH = 32;

    private final String expression;
    private final Node root;
    private final Map<String, DataType> fields;

    private Filter(String expression, Node root, Map<String, DataType> fields) {
        this.expression = expression;
        this.root = root;
        this.fields = fields;
    }

    /**
     * Parses {@code expression} and binds it to {@code schema}.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} for a syntax error, an unknown field, a type mismatch or
     *         an expression beyond the limits, naming the field (if any) and the position ({@code line:column},
     *         from 1, in code points)
     */
    public static Filter parse(String expression, CollectionSchema schema) {
        Objects.requireNonNull(expression, "expression");
        FilterBinder.Bound bound = FilterBinder.bind(FilterSyntax.parse(expression), schema);
        return new Filter(expression, bound.root(), bound.fields());
    }

    public String expression() {
        return expression;
    }

    /** The fields the filter reads, with the types it was bound to. */
    public Map<String, DataType> fields() {
        return fields;
    }

    /**
     * The rows of {@code [fromRow, toRow)} of {@code view} that are in {@code candidates} (all rows when
     * {@code null}) and for which the filter is TRUE, as absolute row numbers.
     *
     * @param candidates the rows the caller may see (for example inserted at or before the query's time tick and
     *                   not deleted), or {@code null}; not modified
     * @throws StreamingException {@code INVALID_ARGUMENT} if the range is not within the view, or the view lacks a
     *         field the filter reads or has it with another type
     */
    public BitSet select(SegmentView view, int fromRow, int toRow, BitSet candidates) {
        if (fromRow < 0 || fromRow > toRow || toRow > view.rowCount()) {
            throw StreamingException.invalidArgument("rows [" + fromRow + ", " + toRow + ") are not within the "
                    + view.rowCount() + " rows of the segment");
        }
        checkColumns(view);
        if (fromRow == toRow) {
            return new BitSet();
        }
        int base = fromRow >>> 6;
        int words = Node.words(fromRow, toRow);
        long[] care = null;
        if (candidates != null) {
            care = new long[words];
            long[] c = candidates.toLongArray();
            for (int i = 0; i < words && base + i < c.length; i++) {
                care[i] = c[base + i];
            }
        }
        long[] t = new long[words];
        long[] n = new long[words];
        root.eval(view, fromRow, toRow, care, t, n);
        long[] selected = new long[base + words];
        for (int i = 0; i < words; i++) {
            int lo = Math.max(fromRow, (base + i) << 6);
            int hi = Math.min(toRow, (base + i + 1) << 6);
            selected[base + i] = t[i] & Bits.mask(lo, hi) & (care == null ? -1L : care[i]);
        }
        return BitSet.valueOf(selected);
    }

    /** {@link #select(SegmentView, int, int, BitSet)} over every row of {@code view}. */
    public BitSet select(SegmentView view, BitSet candidates) {
        return select(view, 0, view.rowCount(), candidates);
    }

    private void checkColumns(SegmentView view) {
        for (Map.Entry<String, DataType> e : fields.entrySet()) {
            Column c = view.column(e.getKey());
            if (!Columns.holds(c, e.getValue())) {
                throw StreamingException.invalidArgument("field '" + e.getKey() + "' of the segment is not "
                        + e.getValue() + " as in the filter's schema");
            }
        }
    }

    @Override
    public String toString() {
        return expression;
    }
}
