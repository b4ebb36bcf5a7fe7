package io.tidelog.client;

import java.util.List;

/**
 * The outcome of a flush of a collection.
 *
 * @param collectionId  the collection
 * @param flushTimeTick every growing segment of the collection up to this time tick was sealed
 * @param segmentIds    the sealed segments over every vchannel, ascending
 */
public record Flushed(long collectionId, long flushTimeTick, List<Long> segmentIds) {
    public Flushed {
        segmentIds = List.copyOf(segmentIds);
    }
}
