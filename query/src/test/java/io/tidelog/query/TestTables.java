package io.tidelog.query;

import com.google.protobuf.ByteString;
import io.tidelog.proto.BoolArray;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.Column;
import io.tidelog.proto.DataType;
import io.tidelog.proto.DoubleArray;
import io.tidelog.proto.FieldSchema;
import io.tidelog.proto.FloatArray;
import io.tidelog.proto.FloatVectorArray;
import io.tidelog.proto.InsertBody;
import io.tidelog.proto.Int32Array;
import io.tidelog.proto.Int64Array;
import io.tidelog.proto.JsonArray;
import io.tidelog.proto.StringArray;
import java.util.List;
import java.util.Set;

/**
 * Schemas and insert bodies for tests. A row is an {@code Object[]} with one entry per field of the schema, in
 * order: Boolean, Integer, Long, Float, Double, String (VARCHAR and JSON text) or float[], {@code null} for null.
 */
final class TestTables {
    private TestTables() {
    }

    static FieldSchema field(String name, DataType type, boolean nullable) {
        FieldSchema.Builder b = FieldSchema.newBuilder().setName(name).setType(type).setNullable(nullable);
        if (type == DataType.VARCHAR) {
            b.setMaxLength(1024);
        }
        return b.build();
    }

    static FieldSchema primaryKey(String name, DataType type) {
        FieldSchema.Builder b = FieldSchema.newBuilder().setName(name).setType(type).setPrimaryKey(true);
        if (type == DataType.VARCHAR) {
            b.setMaxLength(1024);
        }
        return b.build();
    }

    static FieldSchema vector(String name, int dim) {
        return FieldSchema.newBuilder().setName(name).setType(DataType.FLOAT_VECTOR).setDim(dim).build();
    }

    static CollectionSchema schema(FieldSchema... fields) {
        return CollectionSchema.newBuilder().addAllFields(List.of(fields)).setVersion(1).build();
    }

    /** An insert of {@code rows}; the fields named in {@code omitted} (nullable) get no column at all. */
    static InsertBody insert(CollectionSchema schema, List<Object[]> rows, Set<String> omitted) {
        InsertBody.Builder body = InsertBody.newBuilder().setNumRows(rows.size()).setPartitionId(1);
        for (int f = 0; f < schema.getFieldsCount(); f++) {
            FieldSchema field = schema.getFields(f);
            if (!omitted.contains(field.getName())) {
                body.addColumns(column(field, f, rows));
            }
        }
        return body.build();
    }

    private static Column column(FieldSchema field, int f, List<Object[]> rows) {
        Column.Builder c = Column.newBuilder().setFieldName(field.getName());
        boolean anyNull = rows.stream().anyMatch(r -> r[f] == null);
        if (anyNull) {
            rows.forEach(r -> c.addValid(r[f] != null));
        }
        switch (field.getType()) {
            case BOOL -> {
                BoolArray.Builder a = BoolArray.newBuilder();
                rows.forEach(r -> a.addValues(r[f] != null && (Boolean) r[f]));
                c.setBools(a);
            }
            case INT32 -> {
                Int32Array.Builder a = Int32Array.newBuilder();
                rows.forEach(r -> a.addValues(r[f] == null ? 0 : (Integer) r[f]));
                c.setInt32S(a);
            }
            case INT64 -> {
                Int64Array.Builder a = Int64Array.newBuilder();
                rows.forEach(r -> a.addValues(r[f] == null ? 0 : (Long) r[f]));
                c.setInt64S(a);
            }
            case FLOAT -> {
                FloatArray.Builder a = FloatArray.newBuilder();
                rows.forEach(r -> a.addValues(r[f] == null ? 0 : (Float) r[f]));
                c.setFloats(a);
            }
            case DOUBLE -> {
                DoubleArray.Builder a = DoubleArray.newBuilder();
                rows.forEach(r -> a.addValues(r[f] == null ? 0 : (Double) r[f]));
                c.setDoubles(a);
            }
            case VARCHAR -> {
                StringArray.Builder a = StringArray.newBuilder();
                rows.forEach(r -> a.addValues(r[f] == null ? "" : (String) r[f]));
                c.setStrings(a);
            }
            case JSON -> {
                JsonArray.Builder a = JsonArray.newBuilder();
                rows.forEach(r -> a.addValues(ByteString.copyFromUtf8(r[f] == null ? "" : (String) r[f])));
                c.setJsons(a);
            }
            case FLOAT_VECTOR -> {
                FloatVectorArray.Builder a = FloatVectorArray.newBuilder().setDim(field.getDim());
                for (Object[] r : rows) {
                    for (float x : (float[]) r[f]) {
                        a.addValues(x);
                    }
                }
                c.setFloatVectors(a);
            }
            default -> throw new IllegalArgumentException(field.toString());
        }
        return c.build();
    }
}
