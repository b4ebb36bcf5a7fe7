package io.tidelog.query;

import io.tidelog.proto.DataType;

/** Which {@link Column} record holds which field type. */
final class Columns {
    private Columns() {
    }

    static boolean holds(Column column, DataType type) {
        return switch (type) {
            case BOOL -> column instanceof Column.Bools;
            case INT32 -> column instanceof Column.Int32s;
            case INT64 -> column instanceof Column.Int64s;
            case FLOAT -> column instanceof Column.Floats;
            case DOUBLE -> column instanceof Column.Doubles;
            case VARCHAR -> column instanceof Column.Varchars;
            case JSON -> column instanceof Column.Jsons;
            case FLOAT_VECTOR -> column instanceof Column.FloatVectors;
            default -> false;
        };
    }
}
