package io.tidelog.parquet;

import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.Column;
import io.tidelog.proto.FieldSchema;
import io.tidelog.proto.InsertBody;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a reader must find for the rows of inserts: per row, field name to value in schema order, then
 * {@value ParquetLayout#ROW_TIME_TICK}. A missing column or a row that is not valid is {@code null};
 * VARCHAR and JSON values are text; a vector is a list of {@link Float}.
 */
final class Expected {
    private Expected() {
    }

    static List<Map<String, Object>> rows(CollectionSchema schema, List<InsertedRows> inserts) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (InsertedRows insert : inserts) {
            InsertBody body = insert.body();
            for (int r = 0; r < body.getNumRows(); r++) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (FieldSchema f : schema.getFieldsList()) {
                    Column c = body.getColumnsList().stream().filter(x -> x.getFieldName().equals(f.getName()))
                            .findFirst().orElse(null);
                    row.put(f.getName(), c == null || c.getValidCount() > 0 && !c.getValid(r) ? null : value(f, c, r));
                }
                row.put(ParquetLayout.ROW_TIME_TICK, insert.timeTick());
                rows.add(row);
            }
        }
        return rows;
    }

    private static Object value(FieldSchema f, Column c, int r) {
        return switch (f.getType()) {
            case BOOL -> c.getBools().getValues(r);
            case INT32 -> c.getInt32S().getValues(r);
            case INT64 -> c.getInt64S().getValues(r);
            case FLOAT -> c.getFloats().getValues(r);
            case DOUBLE -> c.getDoubles().getValues(r);
            case VARCHAR -> c.getStrings().getValues(r);
            case JSON -> c.getJsons().getValues(r).toStringUtf8();
            case FLOAT_VECTOR -> List.copyOf(c.getFloatVectors().getValuesList().subList(r * f.getDim(), (r + 1) * f.getDim()));
            default -> throw new AssertionError(f.getType());
        };
    }
}
