package io.tidelog.query;

import io.tidelog.common.StreamingException;
import io.tidelog.proto.CollectionSchema;

/**
 * A fixed number of rows of one segment, column by column: what filters ({@link Filter}) and vector search
 * ({@link VectorSearch}) read. Growing segments ({@link ColumnarSegment#view()}) and sealed segments loaded from
 * their files both present their rows this way.
 *
 * <p>A view never changes: its {@link #rowCount()} is fixed when it is taken and the values of those rows stay
 * as they are, even while the segment it came from goes on appending. A view is safe to read from any number of
 * threads.
 */
public interface SegmentView {

    /** The schema the rows were written under. */
    CollectionSchema schema();

    /** The number of rows; rows are numbered from 0. */
    int rowCount();

    /** The time tick of the insert message that brought {@code row}; non-decreasing with the row number. */
    long insertTimeTick(int row);

    /**
     * The values of a field of the schema.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} if the schema has no such field
     */
    Column column(String field);

    /**
     * The number of rows inserted at or before {@code timeTick}: since insert time ticks do not decrease, those
     * rows are exactly {@code [0, result)}.
     */
    default int rowsInsertedAtOrBefore(long timeTick) {
        int lo = 0;
        int hi = rowCount();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (insertTimeTick(mid) <= timeTick) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
