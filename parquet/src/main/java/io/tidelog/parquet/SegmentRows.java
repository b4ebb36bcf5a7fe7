package io.tidelog.parquet;

import io.tidelog.proto.Column;
import java.util.List;
import java.util.Set;

/**
 * Rows read from a segment file, columnar in the wire form of {@code InsertBody}: one {@link Column} per
 * projected field, in schema order, each with one value per row (a placeholder where the row is null) and
 * {@code valid} where the field is nullable in the file or absent from it; and the time tick of each row.
 *
 * <p>The arrays are the caller's; a record of arrays compares them by identity.
 *
 * @param rowCount     the rows
 * @param columns      the projected fields' columns, in the schema's field order
 * @param rowTimeTicks the {@value ParquetLayout#ROW_TIME_TICK} of each row, never decreasing
 * @param absentFields the projected fields the file has no column for (nullable fields added after it was
 *                     written): their columns are null in every row
 */
public record SegmentRows(int rowCount, List<Column> columns, long[] rowTimeTicks, Set<String> absentFields) {
    public SegmentRows {
        columns = List.copyOf(columns);
        absentFields = Set.copyOf(absentFields);
    }
}
