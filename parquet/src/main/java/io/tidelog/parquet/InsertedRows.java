package io.tidelog.parquet;

import io.tidelog.proto.InsertBody;
import java.util.Objects;

/**
 * The rows of one insert message of a segment, as the WAL holds them: columnar, under the schema version
 * the insert was made with (a column of a nullable field added later is absent: its rows are null).
 *
 * @param body     the insert's columns
 * @param timeTick the insert's time tick, shared by all its rows
 */
public record InsertedRows(InsertBody body, long timeTick) {
    public InsertedRows {
        Objects.requireNonNull(body, "body");
    }
}
