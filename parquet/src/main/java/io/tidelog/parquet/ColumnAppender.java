package io.tidelog.parquet;

import com.google.protobuf.ByteString;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.BoolArray;
import io.tidelog.proto.Column;
import io.tidelog.proto.DataType;
import io.tidelog.proto.DoubleArray;
import io.tidelog.proto.FieldSchema;
import io.tidelog.proto.FloatArray;
import io.tidelog.proto.FloatVectorArray;
import io.tidelog.proto.Int32Array;
import io.tidelog.proto.Int64Array;
import io.tidelog.proto.JsonArray;
import io.tidelog.proto.StringArray;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.io.api.Binary;

/**
 * Builds the protobuf {@link Column} of one field, row group after row group, from parquet-java's
 * {@link ColumnReader} (levels and values of one column chunk, {@link ParquetLayout}'s columns), in the
 * wire form of {@code InsertBody}: one value per row, a placeholder (false, 0, empty, {@code dim} zeros)
 * where the row is null, and {@code valid} for a field whose column is optional or absent. A field
 * absent from the file ({@link #appendNulls}) is null in every row.
 *
 * <p>One instance per field and read, on one thread.
 */
final class ColumnAppender {
    private final FieldSchema field;
    private final boolean withValidity;
    private final Column.Builder column;
    private final BoolArray.Builder bools;
    private final Int32Array.Builder ints;
    private final Int64Array.Builder longs;
    private final FloatArray.Builder floats;
    private final DoubleArray.Builder doubles;
    private final StringArray.Builder strings;
    private final JsonArray.Builder jsons;
    private final FloatVectorArray.Builder vectors;

    /**
     * @param field        the field, under the name the output column takes
     * @param withValidity whether the column gets {@code valid} (the file's column is optional, or absent)
     */
    ColumnAppender(FieldSchema field, boolean withValidity) {
        this.field = field;
        this.withValidity = withValidity;
        this.column = Column.newBuilder().setFieldName(field.getName());
        this.bools = field.getType() == DataType.BOOL ? column.getBoolsBuilder() : null;
        this.ints = field.getType() == DataType.INT32 ? column.getInt32SBuilder() : null;
        this.longs = field.getType() == DataType.INT64 ? column.getInt64SBuilder() : null;
        this.floats = field.getType() == DataType.FLOAT ? column.getFloatsBuilder() : null;
        this.doubles = field.getType() == DataType.DOUBLE ? column.getDoublesBuilder() : null;
        this.strings = field.getType() == DataType.VARCHAR ? column.getStringsBuilder() : null;
        this.jsons = field.getType() == DataType.JSON ? column.getJsonsBuilder() : null;
        this.vectors = field.getType() == DataType.FLOAT_VECTOR
                ? column.getFloatVectorsBuilder().setDim(field.getDim()) : null;
    }

    /** The column built so far. */
    Column build() {
        return column.build();
    }

    /** Appends {@code rows} null rows: the field has no column in the file. */
    void appendNulls(int rows) {
        for (int r = 0; r < rows; r++) {
            placeholder();
            column.addValid(false);
        }
    }

    /**
     * Appends the {@code rows} rows of the field's column chunk in row group {@code group} of {@code file}.
     *
     * @throws StreamingException {@code DATA_CORRUPTED} (through {@code file}) if the chunk does not hold
     *         exactly {@code rows} rows, or a vector row does not have {@code dim} elements
     */
    void append(ParquetFileColumns file, int group, ColumnDescriptor descriptor, int rows) {
        ColumnReader reader = file.column(group, descriptor);
        if (vectors != null) {
            appendVectors(reader, descriptor, rows, file.valueCount(group, descriptor), file);
            return;
        }
        int max = descriptor.getMaxDefinitionLevel();
        for (int r = 0; r < rows; r++) {
            boolean present = reader.getCurrentDefinitionLevel() == max;
            if (present) {
                value(reader);
            } else {
                placeholder();
            }
            if (withValidity) {
                column.addValid(present);
            }
            reader.consume();
        }
    }

    /**
     * A vector column is a LIST: a row starts at repetition level 0; definition levels below the field's
     * own (only if it is optional) are a null row, up to the maximum an empty list, at the maximum an element.
     */
    private void appendVectors(ColumnReader reader, ColumnDescriptor descriptor, int rows, long total,
                               ParquetFileColumns file) {
        int dim = field.getDim();
        int max = descriptor.getMaxDefinitionLevel();
        int defined = max - 1;
        long read = 0;
        for (int r = 0; r < rows; r++) {
            if (read >= total || reader.getCurrentRepetitionLevel() != 0) {
                throw file.corrupted("vector column " + field.getName() + " ends or continues a list where row "
                        + r + " of " + rows + " should start");
            }
            if (reader.getCurrentDefinitionLevel() < defined) {
                placeholder();
                reader.consume();
                read++;
                if (withValidity) {
                    column.addValid(false);
                }
                continue;
            }
            int n = 0;
            if (reader.getCurrentDefinitionLevel() < max) {
                reader.consume();
                read++;
            } else {
                do {
                    vectors.addValues(reader.getFloat());
                    n++;
                    reader.consume();
                    read++;
                } while (read < total && reader.getCurrentRepetitionLevel() == 1
                        && reader.getCurrentDefinitionLevel() == max && n <= dim);
            }
            if (n != dim) {
                throw file.corrupted("vector column " + field.getName() + " has a row of " + n
                        + " or more elements, its dim is " + dim);
            }
            if (withValidity) {
                column.addValid(true);
            }
        }
        if (read != total) {
            throw file.corrupted("vector column " + field.getName() + " has " + total + " values, "
                    + read + " make its " + rows + " rows");
        }
    }

    private void value(ColumnReader reader) {
        switch (field.getType()) {
            case BOOL -> bools.addValues(reader.getBoolean());
            case INT32 -> ints.addValues(reader.getInteger());
            case INT64 -> longs.addValues(reader.getLong());
            case FLOAT -> floats.addValues(reader.getFloat());
            case DOUBLE -> doubles.addValues(reader.getDouble());
            case VARCHAR -> strings.addValuesBytes(bytes(reader.getBinary()));
            case JSON -> jsons.addValues(bytes(reader.getBinary()));
            default -> throw new IllegalStateException("field " + field.getName() + " has type " + field.getType());
        }
    }

    private void placeholder() {
        switch (field.getType()) {
            case BOOL -> bools.addValues(false);
            case INT32 -> ints.addValues(0);
            case INT64 -> longs.addValues(0);
            case FLOAT -> floats.addValues(0);
            case DOUBLE -> doubles.addValues(0);
            case VARCHAR -> strings.addValuesBytes(ByteString.EMPTY);
            case JSON -> jsons.addValues(ByteString.EMPTY);
            case FLOAT_VECTOR -> {
                for (int i = 0; i < field.getDim(); i++) {
                    vectors.addValues(0);
                }
            }
            default -> throw new IllegalStateException("field " + field.getName() + " has type " + field.getType());
        }
    }

    private static ByteString bytes(Binary binary) {
        return ByteString.copyFrom(binary.toByteBuffer());
    }
}
