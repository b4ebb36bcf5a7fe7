package io.tidelog.delegator;

import com.google.gson.JsonElement;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.FieldSchema;
import io.tidelog.query.Column;
import io.tidelog.query.SegmentView;
import java.util.HashSet;
import java.util.Set;

/**
 * A segment's rows under a newer schema of its collection: the fields added since the segment was made (nullable,
 * as schema changes only add nullable fields) read as null in every row, so a filter or an output of the current
 * schema runs on old segments as it does on new ones.
 */
final class WidenedView implements SegmentView {
    private final SegmentView rows;
    private final CollectionSchema schema;
    private final Set<String> own = new HashSet<>();

    private WidenedView(SegmentView rows, CollectionSchema schema) {
        this.rows = rows;
        this.schema = schema;
        rows.schema().getFieldsList().forEach(f -> own.add(f.getName()));
    }

    /** {@code rows} under {@code schema}: itself if it has every field already. */
    static SegmentView of(SegmentView rows, CollectionSchema schema) {
        if (rows.schema().getFieldsCount() == schema.getFieldsCount() || schema.getFieldsCount() == 0) {
            return rows;
        }
        return new WidenedView(rows, schema);
    }

    @Override
    public CollectionSchema schema() {
        return schema;
    }

    @Override
    public int rowCount() {
        return rows.rowCount();
    }

    @Override
    public long insertTimeTick(int row) {
        return rows.insertTimeTick(row);
    }

    @Override
    public Column column(String field) {
        if (own.contains(field)) {
            return rows.column(field);
        }
        FieldSchema f = schema.getFieldsList().stream().filter(x -> x.getName().equals(field)).findFirst()
                .orElseThrow(() -> StreamingException.invalidArgument("field '" + field + "' is not in the schema"));
        int n = rows.rowCount();
        long[] noneValid = new long[(n + 63) >>> 6];
        return switch (f.getType()) {
            case BOOL -> new Column.Bools(new long[noneValid.length], noneValid);
            case INT32 -> new Column.Int32s(new int[n], noneValid);
            case INT64 -> new Column.Int64s(new long[n], noneValid);
            case FLOAT -> new Column.Floats(new float[n], noneValid);
            case DOUBLE -> new Column.Doubles(new double[n], noneValid);
            case VARCHAR -> new Column.Varchars(new String[n], noneValid);
            case JSON -> new Column.Jsons(new JsonElement[n], noneValid);
            default -> throw new IllegalStateException("field '" + field + "' (" + f.getType()
                    + ") was added to the schema but cannot be null");
        };
    }
}
