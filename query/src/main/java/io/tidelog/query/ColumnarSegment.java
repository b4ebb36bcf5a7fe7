package io.tidelog.query;

import io.tidelog.common.StreamingException;
import io.tidelog.message.CollectionSchemas;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.FieldSchema;
import io.tidelog.proto.InsertBody;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A growing segment's rows in memory, column by column, appended one insert at a time: typed growable arrays per
 * field (see {@link Column}), validity bits for nullable fields, and each row's insert time tick.
 *
 * <p><b>Threads.</b> One writer calls {@link #append}; any thread may call {@link #view()}, {@link #rowCount()}
 * and {@link #bytes()}. An append publishes its rows all at once, after writing them, through a volatile
 * reference to an immutable {@link SegmentView}: a reader sees whole inserts only, and a view it holds keeps its
 * row count and values for as long as it is used, while the writer appends past it. Arrays grow into copies, so
 * the arrays a view holds are never written below its row count again.
 *
 * <p>The segment keeps the schema it was created with: inserts under a newer schema version (which may only add
 * nullable fields) need a new segment, or their extra columns are refused.
 */
public final class ColumnarSegment {
    private final CollectionSchema schema;
    private final ColumnBuilder[] builders;
    private final Map<String, Integer> indexByName = new HashMap<>();
    private long[] timeTicks = new long[0];
    private int rows;
    private volatile Snapshot published;

    /** An empty segment for rows of {@code schema} (checked with {@link CollectionSchemas#validate}). */
    public ColumnarSegment(CollectionSchema schema) {
        CollectionSchemas.validate(schema);
        this.schema = schema;
        this.builders = new ColumnBuilder[schema.getFieldsCount()];
        for (int i = 0; i < builders.length; i++) {
            FieldSchema f = schema.getFields(i);
            builders[i] = ColumnBuilder.of(f);
            indexByName.put(f.getName(), i);
        }
        this.published = publish();
    }

    public CollectionSchema schema() {
        return schema;
    }

    /**
     * Appends the rows of {@code insert}, all inserted at {@code timeTick}. The insert should have passed the
     * node's {@code RowValidator}; this checks again only what would corrupt the columns (names, types, counts,
     * nulls in fields that are not nullable, JSON text), and changes nothing when it refuses. A nullable field
     * without a column gets nulls.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} naming the field, or if {@code timeTick} is below the
     *         previous append's (rows are kept in time-tick order)
     */
    public void append(InsertBody insert, long timeTick) {
        append(insert, timeTick, null);
    }

    /**
     * Appends the rows of {@code insert}, row {@code i} inserted at {@code rowTimeTicks[i]}: rows read back from a
     * sealed segment's file, which come from many inserts. Checked as {@link #append(InsertBody, long)} checks.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} also when the time ticks are not one per row, or decrease
     */
    public void append(InsertBody insert, long[] rowTimeTicks) {
        if (rowTimeTicks.length != insert.getNumRows()) {
            throw StreamingException.invalidArgument(rowTimeTicks.length + " time ticks for " + insert.getNumRows()
                    + " rows");
        }
        for (int i = 1; i < rowTimeTicks.length; i++) {
            if (rowTimeTicks[i] < rowTimeTicks[i - 1]) {
                throw StreamingException.invalidArgument("the time tick of row " + i + " is below the one before");
            }
        }
        append(insert, rowTimeTicks.length == 0 ? 0 : rowTimeTicks[0], rowTimeTicks);
    }

    private void append(InsertBody insert, long timeTick, long[] rowTimeTicks) {
        int n = insert.getNumRows();
        if (n < 1) {
            throw StreamingException.invalidArgument("an insert needs at least one row, got " + n);
        }
        if (rows > 0 && timeTick < timeTicks[rows - 1]) {
            throw StreamingException.invalidArgument("time tick " + timeTick + " is below the previous insert's "
                    + timeTicks[rows - 1]);
        }
        if ((long) rows + n > Integer.MAX_VALUE - 64) {
            throw new StreamingException(io.tidelog.common.ErrorCode.RESOURCE_EXHAUSTED,
                    "a segment holds fewer than 2^31 rows");
        }
        io.tidelog.proto.Column[] byField = new io.tidelog.proto.Column[builders.length];
        Object[] prepared = new Object[builders.length];
        for (io.tidelog.proto.Column c : insert.getColumnsList()) {
            Integer i = indexByName.get(c.getFieldName());
            if (i == null) {
                throw StreamingException.invalidArgument("field '" + c.getFieldName() + "' is not in the schema");
            }
            if (byField[i] != null) {
                throw StreamingException.invalidArgument("field '" + c.getFieldName() + "' has two columns");
            }
            checkValidity(builders[i], c, n);
            prepared[i] = builders[i].prepare(c, n);
            byField[i] = c;
        }
        for (int i = 0; i < builders.length; i++) {
            if (byField[i] == null && !builders[i].field.getNullable()) {
                throw StreamingException.invalidArgument("field '" + builders[i].field.getName()
                        + "' is not nullable and has no column");
            }
        }
        for (int i = 0; i < builders.length; i++) {
            builders[i].append(rows, n, byField[i], prepared[i]);
        }
        if (timeTicks.length < rows + n) {
            timeTicks = Arrays.copyOf(timeTicks, ColumnBuilder.grow(timeTicks.length, rows + n));
        }
        if (rowTimeTicks != null) {
            System.arraycopy(rowTimeTicks, 0, timeTicks, rows, n);
        } else {
            Arrays.fill(timeTicks, rows, rows + n, timeTick);
        }
        rows += n;
        published = publish();
    }

    private static void checkValidity(ColumnBuilder b, io.tidelog.proto.Column c, int n) {
        if (c.getValidCount() == 0) {
            return;
        }
        if (c.getValidCount() != n) {
            throw b.wrongShape(c.getValidCount() + " validity flags for " + n + " rows");
        }
        if (!b.field.getNullable() && c.getValidList().contains(Boolean.FALSE)) {
            throw b.wrongShape("a null in a field that is not nullable");
        }
    }

    private Snapshot publish() {
        Column[] columns = new Column[builders.length];
        for (int i = 0; i < builders.length; i++) {
            columns[i] = builders[i].publish();
        }
        return new Snapshot(schema, indexByName, columns, timeTicks, rows);
    }

    /** The rows appended so far, as a view that does not change (see the class comment). */
    public SegmentView view() {
        return published;
    }

    /** The number of rows published so far. */
    public int rowCount() {
        return published.rowCount();
    }

    /**
     * An estimate of the heap bytes the segment holds (array capacities, strings, parsed JSON), for memory
     * accounting. Read by any thread: it may lag the writer by one append.
     */
    public long bytes() {
        long total = 8L * timeTicks.length;
        for (ColumnBuilder b : builders) {
            total += b.bytes();
        }
        return total;
    }

    /** An immutable view of the first {@code rowCount} rows. */
    private record Snapshot(CollectionSchema schema, Map<String, Integer> indexByName, Column[] columns,
                            long[] timeTicks, int rowCount) implements SegmentView {
        @Override
        public long insertTimeTick(int row) {
            if (row < 0 || row >= rowCount) {
                throw new IndexOutOfBoundsException("row " + row + " of " + rowCount);
            }
            return timeTicks[row];
        }

        @Override
        public Column column(String field) {
            Integer i = indexByName.get(field);
            if (i == null) {
                throw StreamingException.invalidArgument("field '" + field + "' is not in the schema");
            }
            return columns[i];
        }
    }
}
