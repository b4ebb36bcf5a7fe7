package io.tidelog.coord;

import java.util.List;

/**
 * The outcome of a ManualFlush of a collection.
 *
 * @param collectionId  the collection
 * @param flushTimeTick every growing segment of the collection up to this time tick was sealed
 * @param segmentIds    the segments the nodes sealed, over every vchannel, ascending and distinct
 */
public record FlushResult(long collectionId, long flushTimeTick, List<Long> segmentIds) {
    public FlushResult {
        segmentIds = List.copyOf(segmentIds);
    }
}
