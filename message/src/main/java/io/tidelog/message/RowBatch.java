package io.tidelog.message;

import com.google.protobuf.ByteString;
import io.tidelog.common.StreamingException;
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
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rows of one collection turned into the columns of an {@link InsertBody}, checked against the schema.
 *
 * <p>Each {@link #add} checks the whole row before it changes anything: a row is taken whole or not at
 * all. The checks, each failing with {@code INVALID_ARGUMENT} "row N: field 'f': ...":
 * <ul>
 *   <li>every key of the row is a field of the schema; a field missing or {@code null} is allowed only if
 *       it is nullable (the primary key never is);</li>
 *   <li>BOOL takes a boolean; INT32 and INT64 an integral number within their range (a {@code 2.0} is
 *       integral, {@code 2.5} is not); FLOAT and DOUBLE any finite number (FLOAT rounds to the nearest
 *       float); VARCHAR a string of at most {@code maxLength} bytes of UTF-8; JSON any value (stored as its
 *       JSON text); FLOAT_VECTOR a list (or {@code float[]}) of exactly {@code dim} finite numbers;</li>
 *   <li>strings (VARCHAR values, and the strings and keys of JSON values) are Unicode text: no unpaired
 *       surrogate, which UTF-8 cannot carry ({@link Rows#unpairedSurrogate}).</li>
 * </ul>
 * Row values are as {@link Rows} describes.
 *
 * <p><b>Columns.</b> One {@link Column} per schema field, in schema order. A nullable field's column has
 * {@code valid} flags only if some row lacks a value, and a placeholder value (0, {@code false}, {@code ""},
 * {@code null} JSON) in such rows, so that every column has one value per row.
 *
 * <p>Not thread-safe.
 */
public final class RowBatch {
    private final CollectionSchema schema;
    private final List<FieldSchema> fields;
    private final Map<String, Integer> indexByName = new HashMap<>();
    private final List<List<Object>> values = new ArrayList<>();
    private final List<List<Boolean>> valid = new ArrayList<>();
    private final boolean[] anyMissing;
    private int rows;

    /** An empty batch for {@code schema}, which must be {@linkplain CollectionSchemas#validate valid}. */
    public RowBatch(CollectionSchema schema) {
        this.schema = schema;
        this.fields = schema.getFieldsList();
        for (int i = 0; i < fields.size(); i++) {
            indexByName.put(fields.get(i).getName(), i);
            values.add(new ArrayList<>());
            valid.add(new ArrayList<>());
        }
        this.anyMissing = new boolean[fields.size()];
    }

    public CollectionSchema schema() {
        return schema;
    }

    /** How many rows were added. */
    public int rowCount() {
        return rows;
    }

    /**
     * Checks {@code row} and adds it; see the class comment.
     *
     * @param rowNumber the row's number as the caller counts rows (a line number, an index), for errors
     * @throws StreamingException {@code INVALID_ARGUMENT} naming the row and the field; the batch is unchanged
     */
    public void add(Map<String, ?> row, long rowNumber) {
        for (String key : row.keySet()) {
            if (!indexByName.containsKey(key)) {
                throw new StreamingException(io.tidelog.common.ErrorCode.INVALID_ARGUMENT, "row " + rowNumber
                        + ": field '" + key + "' is not in the schema (fields: " + indexByName.keySet() + ")");
            }
        }
        Object[] converted = new Object[fields.size()];
        for (int i = 0; i < fields.size(); i++) {
            converted[i] = convert(fields.get(i), row.get(fields.get(i).getName()), "row " + rowNumber);
        }
        for (int i = 0; i < fields.size(); i++) {
            values.get(i).add(converted[i]);
            valid.get(i).add(converted[i] != null);
            anyMissing[i] |= converted[i] == null;
        }
        rows++;
    }

    /**
     * The primary key of {@code row}, checked: a {@link Long} for an INT64 key, a {@link String} for a
     * VARCHAR key.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} naming the row and the field
     */
    public static Object primaryKey(CollectionSchema schema, Map<String, ?> row, long rowNumber) {
        FieldSchema pk = CollectionSchemas.primaryKey(schema);
        return convert(pk, row.get(pk.getName()), "row " + rowNumber);
    }

    /**
     * {@code value} checked as a primary key of {@code schema}: a {@link Long} or a {@link String}.
     *
     * @param what names the value in errors ("pk 3", "row 7")
     */
    public static Object primaryKeyValue(CollectionSchema schema, Object value, String what) {
        return convert(CollectionSchemas.primaryKey(schema), value, what);
    }

    /** The rows added so far as columns of one partition. */
    public InsertBody toInsertBody(long partitionId) {
        InsertBody.Builder b = InsertBody.newBuilder().setPartitionId(partitionId).setNumRows(rows);
        for (int i = 0; i < fields.size(); i++) {
            Column.Builder c = column(fields.get(i), values.get(i));
            if (anyMissing[i]) {
                c.addAllValid(valid.get(i));
            }
            b.addColumns(c);
        }
        return b.build();
    }

    private static Column.Builder column(FieldSchema f, List<Object> vs) {
        Column.Builder c = Column.newBuilder().setFieldName(f.getName());
        switch (f.getType()) {
            case BOOL: {
                BoolArray.Builder a = BoolArray.newBuilder();
                vs.forEach(v -> a.addValues(v != null && (Boolean) v));
                return c.setBools(a);
            }
            case INT32: {
                Int32Array.Builder a = Int32Array.newBuilder();
                vs.forEach(v -> a.addValues(v == null ? 0 : (Integer) v));
                return c.setInt32S(a);
            }
            case INT64: {
                Int64Array.Builder a = Int64Array.newBuilder();
                vs.forEach(v -> a.addValues(v == null ? 0 : (Long) v));
                return c.setInt64S(a);
            }
            case FLOAT: {
                FloatArray.Builder a = FloatArray.newBuilder();
                vs.forEach(v -> a.addValues(v == null ? 0 : (Float) v));
                return c.setFloats(a);
            }
            case DOUBLE: {
                DoubleArray.Builder a = DoubleArray.newBuilder();
                vs.forEach(v -> a.addValues(v == null ? 0 : (Double) v));
                return c.setDoubles(a);
            }
            case VARCHAR: {
                StringArray.Builder a = StringArray.newBuilder();
                vs.forEach(v -> a.addValues(v == null ? "" : (String) v));
                return c.setStrings(a);
            }
            case JSON: {
                JsonArray.Builder a = JsonArray.newBuilder();
                vs.forEach(v -> a.addValues(v == null ? ByteString.copyFromUtf8("null") : (ByteString) v));
                return c.setJsons(a);
            }
            case FLOAT_VECTOR: {
                FloatVectorArray.Builder a = FloatVectorArray.newBuilder().setDim(f.getDim());
                for (Object v : vs) {
                    for (float x : (float[]) v) {
                        a.addValues(x);
                    }
                }
                return c.setFloatVectors(a);
            }
            default:
                throw new IllegalStateException("field " + f.getName() + " has type " + f.getType());
        }
    }

    /** {@code v} as the column's Java type, {@code null} for a missing value of a nullable field. */
    private static Object convert(FieldSchema f, Object v, String row) {
        if (v == null) {
            if (f.getNullable()) {
                return null;
            }
            throw bad(row, f, f.getPrimaryKey() ? "is the primary key and must have a value"
                    : "is missing (or null) and not nullable");
        }
        switch (f.getType()) {
            case BOOL:
                if (v instanceof Boolean) {
                    return v;
                }
                throw expected(row, f, "true or false", v);
            case INT32:
                return (int) integral(f, v, row, Integer.MIN_VALUE, Integer.MAX_VALUE);
            case INT64:
                return integral(f, v, row, Long.MIN_VALUE, Long.MAX_VALUE);
            case FLOAT:
                return (float) finite(f, v, row);
            case DOUBLE:
                return finite(f, v, row);
            case VARCHAR: {
                if (!(v instanceof String s)) {
                    throw expected(row, f, "a string", v);
                }
                int lone = Rows.unpairedSurrogate(s);
                if (lone >= 0) {
                    throw bad(row, f, "has an unpaired surrogate at index " + lone + ": it is not Unicode text and has"
                            + " no UTF-8 form");
                }
                int bytes = s.getBytes(StandardCharsets.UTF_8).length;
                if (bytes > f.getMaxLength()) {
                    throw bad(row, f, "has " + bytes + " bytes of UTF-8, its maxLength is " + f.getMaxLength());
                }
                return s;
            }
            case JSON: {
                String json = Rows.toJson(v);
                if (Rows.unpairedSurrogate(json) >= 0) {
                    throw bad(row, f, "has a string or key with an unpaired surrogate: it is not Unicode text and has"
                            + " no UTF-8 form");
                }
                return ByteString.copyFromUtf8(json);
            }
            case FLOAT_VECTOR:
                return vector(f, v, row);
            default:
                throw bad(row, f, "has type " + f.getType() + ", which takes no values");
        }
    }

    private static long integral(FieldSchema f, Object v, String row, long min, long max) {
        BigDecimal d = decimal(v);
        if (d == null) {
            throw expected(row, f, "an integer (" + f.getType() + ")", v);
        }
        BigInteger i;
        try {
            i = d.toBigIntegerExact();
        } catch (ArithmeticException e) {
            throw expected(row, f, "an integer (" + f.getType() + ")", v);
        }
        if (i.compareTo(BigInteger.valueOf(min)) < 0 || i.compareTo(BigInteger.valueOf(max)) > 0) {
            throw bad(row, f, "value " + i + " is out of range for " + f.getType());
        }
        return i.longValue();
    }

    private static double finite(FieldSchema f, Object v, String row) {
        if (!(v instanceof Number n)) {
            throw expected(row, f, "a number (" + f.getType() + ")", v);
        }
        double d = n.doubleValue();
        if (!Double.isFinite(d) || f.getType() == DataType.FLOAT && !Float.isFinite((float) d)) {
            throw bad(row, f, "value " + v + " is not a finite " + f.getType());
        }
        return d;
    }

    private static float[] vector(FieldSchema f, Object v, String row) {
        float[] out;
        if (v instanceof float[] fs) {
            out = fs.clone();
        } else if (v instanceof List<?> l) {
            out = new float[l.size()];
            for (int i = 0; i < l.size(); i++) {
                if (!(l.get(i) instanceof Number n)) {
                    throw bad(row, f, "element " + i + " is " + describe(l.get(i)) + ", not a number");
                }
                out[i] = n.floatValue();
            }
        } else {
            throw expected(row, f, "a list of " + f.getDim() + " numbers (FLOAT_VECTOR)", v);
        }
        if (out.length != f.getDim()) {
            throw bad(row, f, "has " + out.length + " values, its dim is " + f.getDim());
        }
        for (int i = 0; i < out.length; i++) {
            if (!Float.isFinite(out[i])) {
                throw bad(row, f, "element " + i + " is not a finite float");
            }
        }
        return out;
    }

    private static BigDecimal decimal(Object v) {
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return BigDecimal.valueOf(((Number) v).longValue());
        }
        if (v instanceof BigInteger b) {
            return new BigDecimal(b);
        }
        if (v instanceof BigDecimal b) {
            return b;
        }
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            return Double.isFinite(d) ? BigDecimal.valueOf(d) : null;
        }
        return null;
    }

    private static StreamingException expected(String row, FieldSchema f, String expected, Object got) {
        return bad(row, f, "expected " + expected + ", got " + describe(got));
    }

    private static String describe(Object v) {
        if (v == null) {
            return "null";
        }
        String json = Rows.abbreviate(Rows.toJson(v));
        String kind = v instanceof String ? "a string" : v instanceof Boolean ? "a boolean" : v instanceof Number ? "a number"
                : v instanceof Map ? "an object" : v instanceof List || v instanceof float[] ? "a list" : v.getClass().getSimpleName();
        return kind + " " + json;
    }

    private static StreamingException bad(String row, FieldSchema f, String problem) {
        return StreamingException.invalidArgument(row + ": field '" + f.getName() + "' " + problem);
    }
}
