package io.tidelog.query;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import com.google.gson.JsonParseException;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.FieldSchema;
import io.tidelog.proto.FloatVectorArray;
import java.util.Arrays;

/**
 * The growable arrays of one field of a {@link ColumnarSegment}. Arrays grow by doubling into new arrays, so a
 * published {@link Column} (which holds the old arrays) keeps its rows; entries past the published row count
 * are written only by the one writer. The subclass of each type appends the typed values of an insert's column
 * without a per-row object (JSON aside: its documents are parsed trees).
 */
abstract class ColumnBuilder {
    final FieldSchema field;
    final ValidityBits validity = new ValidityBits();

    ColumnBuilder(FieldSchema field) {
        this.field = field;
    }

    static ColumnBuilder of(FieldSchema field) {
        return switch (field.getType()) {
            case BOOL -> new BoolBuilder(field);
            case INT32 -> new Int32Builder(field);
            case INT64 -> new Int64Builder(field);
            case FLOAT -> new FloatBuilder(field);
            case DOUBLE -> new DoubleBuilder(field);
            case VARCHAR -> new VarcharBuilder(field);
            case JSON -> new JsonBuilder(field);
            case FLOAT_VECTOR -> new VectorBuilder(field);
            default -> throw StreamingException.invalidArgument("field '" + field.getName() + "' has no known type");
        };
    }

    /**
     * Checks that {@code column} can be appended as {@code n} rows (its values are of this field's type, one per
     * row) and returns what {@link #append} needs beyond it (parsed JSON), without changing anything.
     */
    abstract Object prepare(io.tidelog.proto.Column column, int n);

    /** Appends rows {@code [row, row + n)}; {@code column == null} appends nulls. */
    abstract void append(int row, int n, io.tidelog.proto.Column column, Object prepared);

    /** The column of the rows appended so far (valid up to the row count published with it). */
    abstract Column publish();

    /** An estimate of the heap bytes held. */
    abstract long bytes();

    final StreamingException wrongShape(String what) {
        return StreamingException.invalidArgument("field '" + field.getName() + "' (" + field.getType() + "): " + what);
    }

    final void checkCount(int count, int n) {
        if (count != n) {
            throw wrongShape(count + " values for " + n + " rows");
        }
    }

    final void checkKind(io.tidelog.proto.Column column, io.tidelog.proto.Column.ValuesCase expected) {
        if (column.getValuesCase() != expected) {
            throw wrongShape("the insert's column holds " + column.getValuesCase());
        }
    }

    static int grow(int capacity, int need) {
        return Math.max(need, Math.max(16, capacity * 2));
    }

    static final class BoolBuilder extends ColumnBuilder {
        private long[] bits = new long[1];

        BoolBuilder(FieldSchema field) {
            super(field);
        }

        @Override
        Object prepare(io.tidelog.proto.Column column, int n) {
            checkKind(column, io.tidelog.proto.Column.ValuesCase.BOOLS);
            checkCount(column.getBools().getValuesCount(), n);
            return null;
        }

        @Override
        void append(int row, int n, io.tidelog.proto.Column column, Object prepared) {
            bits = ValidityBits.ensure(bits, row + n);
            if (column != null) {
                for (int i = 0; i < n; i++) {
                    if (column.getBools().getValues(i)) {
                        bits[(row + i) >>> 6] |= 1L << (row + i);
                    }
                }
            }
            validity.append(row, n, column);
        }

        @Override
        Column publish() {
            return new Column.Bools(bits, validity.words());
        }

        @Override
        long bytes() {
            return 8L * bits.length + validity.bytes();
        }
    }

    static final class Int32Builder extends ColumnBuilder {
        private int[] values = new int[0];

        Int32Builder(FieldSchema field) {
            super(field);
        }

        @Override
        Object prepare(io.tidelog.proto.Column column, int n) {
            checkKind(column, io.tidelog.proto.Column.ValuesCase.INT32S);
            checkCount(column.getInt32S().getValuesCount(), n);
            return null;
        }

        @Override
        void append(int row, int n, io.tidelog.proto.Column column, Object prepared) {
            if (values.length < row + n) {
                values = Arrays.copyOf(values, grow(values.length, row + n));
            }
            if (column != null) {
                for (int i = 0; i < n; i++) {
                    values[row + i] = column.getInt32S().getValues(i);
                }
            }
            validity.append(row, n, column);
        }

        @Override
        Column publish() {
            return new Column.Int32s(values, validity.words());
        }

        @Override
        long bytes() {
            return 4L * values.length + validity.bytes();
        }
    }

    static final class Int64Builder extends ColumnBuilder {
        private long[] values = new long[0];

        Int64Builder(FieldSchema field) {
            super(field);
        }

        @Override
        Object prepare(io.tidelog.proto.Column column, int n) {
            checkKind(column, io.tidelog.proto.Column.ValuesCase.INT64S);
            checkCount(column.getInt64S().getValuesCount(), n);
            return null;
        }

        @Override
        void append(int row, int n, io.tidelog.proto.Column column, Object prepared) {
            if (values.length < row + n) {
                values = Arrays.copyOf(values, grow(values.length, row + n));
            }
            if (column != null) {
                for (int i = 0; i < n; i++) {
                    values[row + i] = column.getInt64S().getValues(i);
                }
            }
            validity.append(row, n, column);
        }

        @Override
        Column publish() {
            return new Column.Int64s(values, validity.words());
        }

        @Override
        long bytes() {
            return 8L * values.length + validity.bytes();
        }
    }

    static final class FloatBuilder extends ColumnBuilder {
        private float[] values = new float[0];

        FloatBuilder(FieldSchema field) {
            super(field);
        }

        @Override
        Object prepare(io.tidelog.proto.Column column, int n) {
            checkKind(column, io.tidelog.proto.Column.ValuesCase.FLOATS);
            checkCount(column.getFloats().getValuesCount(), n);
            return null;
        }

        @Override
        void append(int row, int n, io.tidelog.proto.Column column, Object prepared) {
            if (values.length < row + n) {
                values = Arrays.copyOf(values, grow(values.length, row + n));
            }
            if (column != null) {
                for (int i = 0; i < n; i++) {
                    values[row + i] = column.getFloats().getValues(i);
                }
            }
            validity.append(row, n, column);
        }

        @Override
        Column publish() {
            return new Column.Floats(values, validity.words());
        }

        @Override
        long bytes() {
            return 4L * values.length + validity.bytes();
        }
    }

    static final class DoubleBuilder extends ColumnBuilder {
        private double[] values = new double[0];

        DoubleBuilder(FieldSchema field) {
            super(field);
        }

        @Override
        Object prepare(io.tidelog.proto.Column column, int n) {
            checkKind(column, io.tidelog.proto.Column.ValuesCase.DOUBLES);
            checkCount(column.getDoubles().getValuesCount(), n);
            return null;
        }

        @Override
        void append(int row, int n, io.tidelog.proto.Column column, Object prepared) {
            if (values.length < row + n) {
                values = Arrays.copyOf(values, grow(values.length, row + n));
            }
            if (column != null) {
                for (int i = 0; i < n; i++) {
                    values[row + i] = column.getDoubles().getValues(i);
                }
            }
            validity.append(row, n, column);
        }

        @Override
        Column publish() {
            return new Column.Doubles(values, validity.words());
        }

        @Override
        long bytes() {
            return 8L * values.length + validity.bytes();
        }
    }

    /** Strings are kept as the insert's {@link String}s; a null row keeps {@code null}. */
    static final class VarcharBuilder extends ColumnBuilder {
        private String[] values = new String[0];
        private long chars;

        VarcharBuilder(FieldSchema field) {
            super(field);
        }

        @Override
        Object prepare(io.tidelog.proto.Column column, int n) {
            checkKind(column, io.tidelog.proto.Column.ValuesCase.STRINGS);
            checkCount(column.getStrings().getValuesCount(), n);
            return null;
        }

        @Override
        void append(int row, int n, io.tidelog.proto.Column column, Object prepared) {
            if (values.length < row + n) {
                values = Arrays.copyOf(values, grow(values.length, row + n));
            }
            if (column != null) {
                boolean allValid = column.getValidCount() == 0;
                for (int i = 0; i < n; i++) {
                    if (allValid || column.getValid(i)) {
                        String s = column.getStrings().getValues(i);
                        values[row + i] = s;
                        chars += s.length();
                    }
                }
            }
            validity.append(row, n, column);
        }

        @Override
        Column publish() {
            return new Column.Varchars(values, validity.words());
        }

        @Override
        long bytes() {
            // A String is about 40 bytes of headers and fields plus its characters (at most 2 bytes each).
            return 8L * values.length + 40L * values.length + 2 * chars + validity.bytes();
        }
    }

    /** Documents are parsed once, when appended; a row that is not valid JSON refuses the whole insert. */
    static final class JsonBuilder extends ColumnBuilder {
        private JsonElement[] values = new JsonElement[0];
        private long docBytes;

        JsonBuilder(FieldSchema field) {
            super(field);
        }

        @Override
        Object prepare(io.tidelog.proto.Column column, int n) {
            checkKind(column, io.tidelog.proto.Column.ValuesCase.JSONS);
            checkCount(column.getJsons().getValuesCount(), n);
            boolean allValid = column.getValidCount() == 0;
            JsonElement[] parsed = new JsonElement[n];
            for (int i = 0; i < n; i++) {
                if (allValid || column.getValid(i)) {
                    try {
                        parsed[i] = JsonParser.parseString(column.getJsons().getValues(i).toStringUtf8());
                    } catch (JsonParseException e) {
                        throw wrongShape("row " + i + " is not JSON: " + e.getMessage());
                    }
                }
            }
            return parsed;
        }

        @Override
        void append(int row, int n, io.tidelog.proto.Column column, Object prepared) {
            if (values.length < row + n) {
                values = Arrays.copyOf(values, grow(values.length, row + n));
            }
            if (column != null) {
                System.arraycopy((JsonElement[]) prepared, 0, values, row, n);
                for (int i = 0; i < n; i++) {
                    if (values[row + i] != null) {
                        docBytes += column.getJsons().getValues(i).size();
                    }
                }
            }
            validity.append(row, n, column);
        }

        @Override
        Column publish() {
            return new Column.Jsons(values, validity.words());
        }

        @Override
        long bytes() {
            // A parsed tree takes several times its text: objects per value, maps per object.
            return 8L * values.length + 8 * docBytes + validity.bytes();
        }
    }

    /** Vectors in one row-major array, with each row's squared norm beside (for COSINE). */
    static final class VectorBuilder extends ColumnBuilder {
        private final int dim;
        private float[] values = new float[0];
        private float[] squaredNorms = new float[0];

        VectorBuilder(FieldSchema field) {
            super(field);
            this.dim = field.getDim();
        }

        @Override
        Object prepare(io.tidelog.proto.Column column, int n) {
            checkKind(column, io.tidelog.proto.Column.ValuesCase.FLOAT_VECTORS);
            FloatVectorArray v = column.getFloatVectors();
            if (v.getDim() != dim) {
                throw wrongShape("vectors of dimension " + v.getDim() + ", the field's is " + dim);
            }
            checkCount(v.getValuesCount(), n * dim);
            if (column.getValidCount() != 0 && column.getValidList().contains(Boolean.FALSE)) {
                throw wrongShape("a vector cannot be null");
            }
            return null;
        }

        @Override
        void append(int row, int n, io.tidelog.proto.Column column, Object prepared) {
            if (column == null) {
                throw wrongShape("a vector cannot be null");
            }
            if (squaredNorms.length < row + n) {
                int rows = grow(squaredNorms.length, row + n);
                squaredNorms = Arrays.copyOf(squaredNorms, rows);
                values = Arrays.copyOf(values, Math.multiplyExact(rows, dim));
            }
            FloatVectorArray v = column.getFloatVectors();
            int base = row * dim;
            for (int i = 0, end = n * dim; i < end; i++) {
                values[base + i] = v.getValues(i);
            }
            for (int r = row; r < row + n; r++) {
                squaredNorms[r] = VectorKernels.dot(values, r * dim, values, r * dim, dim);
            }
        }

        @Override
        Column publish() {
            return new Column.FloatVectors(dim, values, squaredNorms);
        }

        @Override
        long bytes() {
            return 4L * values.length + 4L * squaredNorms.length;
        }
    }
}
