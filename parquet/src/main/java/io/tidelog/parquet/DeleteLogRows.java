package io.tidelog.parquet;

import io.tidelog.proto.DeleteBody;

/**
 * The rows of a delete log: the deleted primary keys in log order, in the wire form of a delete
 * ({@code int_pks} or {@code string_pks}, the collection's key type), and the time tick of each delete.
 *
 * @param keys       the deleted keys
 * @param timeTicks  the {@value ParquetLayout#DELETE_TIME_TICK} of each key, never decreasing; the
 *                   caller's array
 */
public record DeleteLogRows(DeleteBody keys, long[] timeTicks) {
    /** The number of deleted keys. */
    public int size() {
        return timeTicks.length;
    }
}
