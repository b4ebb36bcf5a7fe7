package io.tidelog.delegator;

import com.google.protobuf.ByteString;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.BoolArray;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DoubleArray;
import io.tidelog.proto.FieldSchema;
import io.tidelog.proto.FloatArray;
import io.tidelog.proto.FloatVectorArray;
import io.tidelog.proto.Int32Array;
import io.tidelog.proto.Int64Array;
import io.tidelog.proto.JsonArray;
import io.tidelog.proto.StringArray;
import io.tidelog.query.Column;
import io.tidelog.query.SegmentView;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The columns of an answer: the primary key, then the output fields asked for, each as a wire {@code Column} of
 * the answer's rows, which may come from several segments.
 */
final class OutputColumns {
    /** Asks for every field. */
    static final String ALL = "*";

    private OutputColumns() {
    }

    /**
     * The fields of an answer: the primary key first, then those asked for, in the order asked (every field in
     * schema order for {@code *}), each once.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} naming an output field the schema does not have
     */
    static List<FieldSchema> fields(CollectionSchema schema, List<String> asked) {
        Set<FieldSchema> out = new LinkedHashSet<>();
        FieldSchema pk = io.tidelog.message.CollectionSchemas.primaryKey(schema);
        out.add(pk);
        for (String name : asked) {
            if (name.equals(ALL)) {
                out.addAll(schema.getFieldsList());
                continue;
            }
            FieldSchema f = schema.getFieldsList().stream().filter(x -> x.getName().equals(name)).findFirst()
                    .orElseThrow(() -> StreamingException.invalidArgument("output field '" + name
                            + "' is not a field of the collection (fields: " + schema.getFieldsList().stream()
                            .map(FieldSchema::getName).toList() + ")"));
            out.add(f);
        }
        return new ArrayList<>(out);
    }

    /** A row of an answer: which segment view, which row. */
    record Row(SegmentView view, int row) {
    }

    /** The wire column of {@code field} over {@code rows}; a field a segment does not have is null there. */
    static io.tidelog.proto.Column column(FieldSchema field, List<Row> rows) {
        io.tidelog.proto.Column.Builder c = io.tidelog.proto.Column.newBuilder().setFieldName(field.getName());
        boolean anyNull = false;
        List<Boolean> valid = new ArrayList<>(rows.size());
        switch (field.getType()) {
            case BOOL -> {
                BoolArray.Builder b = BoolArray.newBuilder();
                for (Row r : rows) {
                    Column col = columnOf(r.view(), field);
                    boolean ok = col != null && !col.isNull(r.row());
                    b.addValues(ok && ((Column.Bools) col).get(r.row()));
                    valid.add(ok);
                }
                c.setBools(b);
            }
            case INT32 -> {
                Int32Array.Builder b = Int32Array.newBuilder();
                for (Row r : rows) {
                    Column col = columnOf(r.view(), field);
                    boolean ok = col != null && !col.isNull(r.row());
                    b.addValues(ok ? ((Column.Int32s) col).values()[r.row()] : 0);
                    valid.add(ok);
                }
                c.setInt32S(b);
            }
            case INT64 -> {
                Int64Array.Builder b = Int64Array.newBuilder();
                for (Row r : rows) {
                    Column col = columnOf(r.view(), field);
                    boolean ok = col != null && !col.isNull(r.row());
                    b.addValues(ok ? ((Column.Int64s) col).values()[r.row()] : 0);
                    valid.add(ok);
                }
                c.setInt64S(b);
            }
            case FLOAT -> {
                FloatArray.Builder b = FloatArray.newBuilder();
                for (Row r : rows) {
                    Column col = columnOf(r.view(), field);
                    boolean ok = col != null && !col.isNull(r.row());
                    b.addValues(ok ? ((Column.Floats) col).values()[r.row()] : 0);
                    valid.add(ok);
                }
                c.setFloats(b);
            }
            case DOUBLE -> {
                DoubleArray.Builder b = DoubleArray.newBuilder();
                for (Row r : rows) {
                    Column col = columnOf(r.view(), field);
                    boolean ok = col != null && !col.isNull(r.row());
                    b.addValues(ok ? ((Column.Doubles) col).values()[r.row()] : 0);
                    valid.add(ok);
                }
                c.setDoubles(b);
            }
            case VARCHAR -> {
                StringArray.Builder b = StringArray.newBuilder();
                for (Row r : rows) {
                    Column col = columnOf(r.view(), field);
                    boolean ok = col != null && !col.isNull(r.row());
                    b.addValues(ok ? ((Column.Varchars) col).values()[r.row()] : "");
                    valid.add(ok);
                }
                c.setStrings(b);
            }
            case JSON -> {
                JsonArray.Builder b = JsonArray.newBuilder();
                for (Row r : rows) {
                    Column col = columnOf(r.view(), field);
                    boolean ok = col != null && !col.isNull(r.row());
                    b.addValues(ok ? ByteString.copyFrom(((Column.Jsons) col).values()[r.row()].toString(),
                            StandardCharsets.UTF_8) : ByteString.copyFromUtf8("null"));
                    valid.add(ok);
                }
                c.setJsons(b);
            }
            case FLOAT_VECTOR -> {
                FloatVectorArray.Builder b = FloatVectorArray.newBuilder().setDim(field.getDim());
                for (Row r : rows) {
                    Column.FloatVectors col = (Column.FloatVectors) columnOf(r.view(), field);
                    int from = r.row() * col.dim();
                    for (int i = 0; i < col.dim(); i++) {
                        b.addValues(col.values()[from + i]);
                    }
                    valid.add(true);
                }
                c.setFloatVectors(b);
            }
            default -> throw new IllegalStateException("field '" + field.getName() + "' has type " + field.getType());
        }
        for (boolean v : valid) {
            anyNull |= !v;
        }
        if (anyNull) {
            c.addAllValid(valid);
        }
        return c.build();
    }

    /** The column of {@code field} in {@code view}, or null if the view's schema predates the field. */
    private static Column columnOf(SegmentView view, FieldSchema field) {
        for (FieldSchema f : view.schema().getFieldsList()) {
            if (f.getName().equals(field.getName())) {
                return view.column(field.getName());
            }
        }
        return null;
    }
}
