package io.tidelog.parquet;

import io.tidelog.proto.Column;
import io.tidelog.proto.FieldSchema;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link SegmentRows} in {@link Expected}'s form, row by row: field name to value (null where not valid)
 * in column order, then {@value ParquetLayout#ROW_TIME_TICK}.
 */
final class RowsRead {
    private RowsRead() {
    }

    static List<Map<String, Object>> rows(List<FieldSchema> fields, SegmentRows read) {
        List<Map<String, Object>> rows = new ArrayList<>(read.rowCount());
        for (int r = 0; r < read.rowCount(); r++) {
            Map<String, Object> row = new LinkedHashMap<>();
            for (int i = 0; i < fields.size(); i++) {
                FieldSchema f = fields.get(i);
                Column c = read.columns().get(i);
                if (!c.getFieldName().equals(f.getName())) {
                    throw new AssertionError("column " + i + " is " + c.getFieldName() + ", expected " + f.getName());
                }
                row.put(f.getName(), c.getValidCount() > 0 && !c.getValid(r) ? null : value(f, c, r));
            }
            row.put(ParquetLayout.ROW_TIME_TICK, read.rowTimeTicks()[r]);
            rows.add(row);
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
