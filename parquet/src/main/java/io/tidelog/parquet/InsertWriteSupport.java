package io.tidelog.parquet;

import com.google.protobuf.ByteString;
import io.tidelog.proto.BoolArray;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.Column;
import io.tidelog.proto.DoubleArray;
import io.tidelog.proto.FieldSchema;
import io.tidelog.proto.FloatArray;
import io.tidelog.proto.FloatVectorArray;
import io.tidelog.proto.Int32Array;
import io.tidelog.proto.Int64Array;
import io.tidelog.proto.JsonArray;
import io.tidelog.proto.StringArray;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;

/**
 * Feeds the rows of {@link InsertedRows} to parquet-java straight from their protobuf columns, with no row
 * objects in between: {@link #bind} selects an insert, then each {@code write(cursor)} writes the row at the
 * cursor, every value read from its column by index. Columns are laid out as {@link ParquetLayout} says.
 *
 * <p>The inserts must have been checked against the schema ({@code RowValidator}): this class trusts
 * their shape. Owned by one writer on one thread.
 */
final class InsertWriteSupport extends RowCursorWriteSupport {
    /** Writes the value of one row of a bound column, which is known to be valid there. */
    private interface ValueWriter {
        void write(RecordConsumer out, int row);
    }

    private final FieldSchema[] fields;
    private final Map<String, Integer> indexByName = new HashMap<>();
    private final Column[] columns;
    private final ValueWriter[] writers;
    private long timeTick;

    InsertWriteSupport(CollectionSchema schema, Map<String, String> footer) {
        super(ParquetLayout.segmentSchema(schema), footer);
        this.fields = schema.getFieldsList().toArray(new FieldSchema[0]);
        for (int i = 0; i < fields.length; i++) {
            indexByName.put(fields[i].getName(), i);
        }
        this.columns = new Column[fields.length];
        this.writers = new ValueWriter[fields.length];
    }

    /** Makes {@code insert} the one whose rows the cursor indexes. */
    void bind(InsertedRows insert) {
        Arrays.fill(columns, null);
        Arrays.fill(writers, null);
        for (Column c : insert.body().getColumnsList()) {
            int i = indexByName.get(c.getFieldName());
            columns[i] = c;
            writers[i] = writer(fields[i], c);
        }
        timeTick = insert.timeTick();
    }

    @Override
    public void write(RowCursor cursor) {
        int row = cursor.row();
        out.startMessage();
        for (int i = 0; i < fields.length; i++) {
            Column c = columns[i];
            if (c == null || c.getValidCount() != 0 && !c.getValid(row)) {
                continue;
            }
            String name = fields[i].getName();
            out.startField(name, i);
            writers[i].write(out, row);
            out.endField(name, i);
        }
        out.startField(ParquetLayout.ROW_TIME_TICK, fields.length);
        out.addLong(timeTick);
        out.endField(ParquetLayout.ROW_TIME_TICK, fields.length);
        out.endMessage();
    }

    private static ValueWriter writer(FieldSchema f, Column c) {
        switch (f.getType()) {
            case BOOL: {
                BoolArray a = c.getBools();
                return (out, row) -> out.addBoolean(a.getValues(row));
            }
            case INT32: {
                Int32Array a = c.getInt32S();
                return (out, row) -> out.addInteger(a.getValues(row));
            }
            case INT64: {
                Int64Array a = c.getInt64S();
                return (out, row) -> out.addLong(a.getValues(row));
            }
            case FLOAT: {
                FloatArray a = c.getFloats();
                return (out, row) -> out.addFloat(a.getValues(row));
            }
            case DOUBLE: {
                DoubleArray a = c.getDoubles();
                return (out, row) -> out.addDouble(a.getValues(row));
            }
            case VARCHAR: {
                StringArray a = c.getStrings();
                return (out, row) -> out.addBinary(binary(a.getValuesBytes(row)));
            }
            case JSON: {
                JsonArray a = c.getJsons();
                return (out, row) -> out.addBinary(binary(a.getValues(row)));
            }
            case FLOAT_VECTOR:
                return vectorWriter(c.getFloatVectors(), f.getDim());
            default:
                throw new IllegalStateException("field " + f.getName() + " has type " + f.getType());
        }
    }

    private static Binary binary(ByteString bytes) {
        return Binary.fromConstantByteArray(bytes.toByteArray());
    }

    /** Row {@code row} of a vector column as the three-level LIST of {@link ParquetLayout}. */
    private static ValueWriter vectorWriter(FloatVectorArray a, int dim) {
        return (out, row) -> {
            out.startGroup();
            out.startField(ParquetLayout.LIST_GROUP, 0);
            for (int i = row * dim, end = i + dim; i < end; i++) {
                out.startGroup();
                out.startField(ParquetLayout.LIST_ELEMENT, 0);
                out.addFloat(a.getValues(i));
                out.endField(ParquetLayout.LIST_ELEMENT, 0);
                out.endGroup();
            }
            out.endField(ParquetLayout.LIST_GROUP, 0);
            out.endGroup();
        };
    }
}
