package io.tidelog.message;

import com.google.protobuf.ByteString;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.Column;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.proto.DeleteBody;
import io.tidelog.proto.FieldSchema;
import io.tidelog.proto.InsertBody;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks insert and delete bodies against one version of a collection schema. Made once per schema
 * version ({@link #of}), immutable, thread-safe; each check walks the columns once and allocates nothing
 * per row (VARCHAR lengths are read as UTF-8 sizes of the bytes on the wire, JSON is scanned in one
 * reused buffer).
 *
 * <p>An {@link InsertBody} is valid when:
 * <ul>
 *   <li>{@code num_rows >= 1};</li>
 *   <li>every column names a field of the schema, at most once; every field that is not nullable has a
 *       column (a nullable field's column may be left out: all its rows are null);</li>
 *   <li>a column's values are of its field's type (BOOL bools, INT32 int32s, INT64 int64s, FLOAT floats,
 *       DOUBLE doubles, VARCHAR strings, JSON jsons, FLOAT_VECTOR float_vectors) and there is one value
 *       per row, null rows included (a vector column: its field's {@code dim}, and {@code num_rows * dim}
 *       floats, all finite);</li>
 *   <li>{@code valid} is empty or has one entry per row, and says false only for a nullable field (so
 *       the primary key is never null);</li>
 *   <li>every non-null VARCHAR has at most {@code max_length} UTF-8 bytes; every non-null JSON value is
 *       UTF-8 JSON text.</li>
 * </ul>
 * A {@link DeleteBody} is valid when it holds at least one primary key of the primary key's type (a
 * VARCHAR key within {@code max_length}).
 *
 * <p>Failures are {@code INVALID_ARGUMENT}; the message names the field and, for a value, the row index
 * (from 0), for example {@code field 'title' row 17: 300 UTF-8 bytes exceed max_length 256}.
 */
public final class RowValidator {
    private final CollectionSchema schema;
    private final FieldSchema[] fields;
    private final Map<String, Integer> indexByName;
    private final FieldSchema primaryKey;

    private RowValidator(CollectionSchema schema) {
        this.schema = schema;
        this.fields = schema.getFieldsList().toArray(new FieldSchema[0]);
        this.indexByName = new HashMap<>();
        for (int i = 0; i < fields.length; i++) {
            indexByName.put(fields[i].getName(), i);
        }
        this.primaryKey = CollectionSchemas.primaryKey(schema);
    }

    /**
     * The validator of {@code schema}.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} if the schema itself is not valid
     *         ({@link CollectionSchemas#validate})
     */
    public static RowValidator of(CollectionSchema schema) {
        CollectionSchemas.validate(schema);
        return new RowValidator(schema);
    }

    public CollectionSchema schema() {
        return schema;
    }

    public FieldSchema primaryKey() {
        return primaryKey;
    }

    /**
     * Checks every column of {@code body}; see the class comment.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} naming the field and row of the first problem
     */
    public void checkInsert(InsertBody body) {
        int rows = body.getNumRows();
        if (rows < 1) {
            throw StreamingException.invalidArgument("an insert needs num_rows >= 1, got " + rows);
        }
        boolean[] seen = new boolean[fields.length];
        JsonSyntax json = null;
        for (Column c : body.getColumnsList()) {
            Integer index = indexByName.get(c.getFieldName());
            if (index == null) {
                throw StreamingException.invalidArgument("field '" + c.getFieldName() + "' is not in the schema (version "
                        + schema.getVersion() + ")");
            }
            if (seen[index]) {
                throw StreamingException.invalidArgument("field '" + c.getFieldName() + "' has two columns");
            }
            seen[index] = true;
            FieldSchema f = fields[index];
            checkShape(f, c, rows);
            checkNulls(f, c, rows);
            if (f.getType() == DataType.VARCHAR) {
                checkLengths(f, c.getStrings().getValuesList().asByteStringList(), c.getValidList());
            } else if (f.getType() == DataType.JSON) {
                if (json == null) {
                    json = new JsonSyntax();
                }
                checkJson(f, c, json);
            } else if (f.getType() == DataType.FLOAT_VECTOR) {
                checkFinite(f, c);
            }
        }
        for (int i = 0; i < fields.length; i++) {
            if (!seen[i] && !fields[i].getNullable()) {
                throw StreamingException.invalidArgument("field '" + fields[i].getName() + "' is missing"
                        + (fields[i].getPrimaryKey() ? " (the primary key)" : "") + ": it is not nullable");
            }
        }
    }

    /**
     * Checks the primary keys of a delete.
     *
     * @return the number of primary keys
     * @throws StreamingException {@code INVALID_ARGUMENT} naming the primary key field and the row
     */
    public int checkDelete(DeleteBody body) {
        String name = "field '" + primaryKey.getName() + "'";
        boolean varchar = primaryKey.getType() == DataType.VARCHAR;
        switch (body.getPksCase()) {
            case INT_PKS:
                if (varchar) {
                    throw StreamingException.invalidArgument("a delete by " + name
                            + " needs string_pks: the primary key is VARCHAR");
                }
                return nonEmpty(name, body.getIntPks().getValuesCount());
            case STRING_PKS:
                if (!varchar) {
                    throw StreamingException.invalidArgument("a delete by " + name
                            + " needs int_pks: the primary key is INT64");
                }
                checkLengths(primaryKey, body.getStringPks().getValuesList().asByteStringList(), List.of());
                return nonEmpty(name, body.getStringPks().getValuesCount());
            default:
                throw StreamingException.invalidArgument("a delete needs primary keys (" + name + ")");
        }
    }

    private static int nonEmpty(String name, int count) {
        if (count == 0) {
            throw StreamingException.invalidArgument("a delete needs at least one primary key (" + name + ")");
        }
        return count;
    }

    private static void checkShape(FieldSchema f, Column c, int rows) {
        Column.ValuesCase expected = valuesCaseOf(f.getType());
        if (c.getValuesCase() != expected) {
            throw StreamingException.invalidArgument("field '" + f.getName() + "' is " + f.getType()
                    + " but its column holds " + describe(c.getValuesCase()));
        }
        long values;
        long perRow = 1;
        switch (expected) {
            case BOOLS -> values = c.getBools().getValuesCount();
            case INT32S -> values = c.getInt32S().getValuesCount();
            case INT64S -> values = c.getInt64S().getValuesCount();
            case FLOATS -> values = c.getFloats().getValuesCount();
            case DOUBLES -> values = c.getDoubles().getValuesCount();
            case STRINGS -> values = c.getStrings().getValuesCount();
            case JSONS -> values = c.getJsons().getValuesCount();
            case FLOAT_VECTORS -> {
                if (c.getFloatVectors().getDim() != f.getDim()) {
                    throw StreamingException.invalidArgument("field '" + f.getName() + "' has dimension "
                            + f.getDim() + ", the column's vectors have " + c.getFloatVectors().getDim());
                }
                values = c.getFloatVectors().getValuesCount();
                perRow = f.getDim();
            }
            default -> throw new AssertionError(expected);
        }
        if (values != rows * perRow) {
            throw StreamingException.invalidArgument("field '" + f.getName() + "' has " + values
                    + (perRow == 1 ? " values" : " floats (dimension " + perRow + ")") + " for " + rows
                    + " rows; every row needs a value, null rows a placeholder");
        }
    }

    private static void checkNulls(FieldSchema f, Column c, int rows) {
        int n = c.getValidCount();
        if (n == 0) {
            return;
        }
        if (n != rows) {
            throw StreamingException.invalidArgument("field '" + f.getName() + "' has " + n
                    + " validity flags for " + rows + " rows (leave them out when every row has a value)");
        }
        if (!f.getNullable()) {
            for (int i = 0; i < n; i++) {
                if (!c.getValid(i)) {
                    throw StreamingException.invalidArgument("field '" + f.getName() + "' row " + i
                            + " is null, but the field is not nullable"
                            + (f.getPrimaryKey() ? " (the primary key)" : ""));
                }
            }
        }
    }

    private static void checkLengths(FieldSchema f, List<ByteString> values, List<Boolean> valid) {
        int max = f.getMaxLength();
        boolean all = valid.isEmpty();
        for (int i = 0, n = values.size(); i < n; i++) {
            int bytes = values.get(i).size();
            if (bytes > max && (all || valid.get(i))) {
                throw StreamingException.invalidArgument("field '" + f.getName() + "' row " + i + ": " + bytes
                        + " UTF-8 bytes exceed max_length " + max);
            }
        }
    }

    private static void checkJson(FieldSchema f, Column c, JsonSyntax json) {
        boolean all = c.getValidCount() == 0;
        for (int i = 0, n = c.getJsons().getValuesCount(); i < n; i++) {
            if (all || c.getValid(i)) {
                String problem = json.problem(c.getJsons().getValues(i));
                if (problem != null) {
                    throw StreamingException.invalidArgument("field '" + f.getName() + "' row " + i
                            + ": not valid JSON: " + problem);
                }
            }
        }
    }

    private static void checkFinite(FieldSchema f, Column c) {
        int dim = f.getDim();
        for (int i = 0, n = c.getFloatVectors().getValuesCount(); i < n; i++) {
            if (!Float.isFinite(c.getFloatVectors().getValues(i))) {
                throw StreamingException.invalidArgument("field '" + f.getName() + "' row " + (i / dim)
                        + ": vector element " + (i % dim) + " is " + c.getFloatVectors().getValues(i));
            }
        }
    }

    private static Column.ValuesCase valuesCaseOf(DataType type) {
        return switch (type) {
            case BOOL -> Column.ValuesCase.BOOLS;
            case INT32 -> Column.ValuesCase.INT32S;
            case INT64 -> Column.ValuesCase.INT64S;
            case FLOAT -> Column.ValuesCase.FLOATS;
            case DOUBLE -> Column.ValuesCase.DOUBLES;
            case VARCHAR -> Column.ValuesCase.STRINGS;
            case JSON -> Column.ValuesCase.JSONS;
            case FLOAT_VECTOR -> Column.ValuesCase.FLOAT_VECTORS;
            default -> throw new AssertionError("schema was validated: " + type);
        };
    }

    private static String describe(Column.ValuesCase c) {
        return c == Column.ValuesCase.VALUES_NOT_SET ? "no values" : c.name().toLowerCase(java.util.Locale.ROOT);
    }
}
