package io.tidelog.delegator;

import io.tidelog.proto.CollectionSchema;

/**
 * A segment a {@link ShardDelegator} holds: growing ({@link ShardSegment}, its rows in memory) or sealed
 * ({@link SealedSegment}, its rows read from its file when a query needs them).
 *
 * <p>Threads: {@link #delete} by the delegator's owner only; {@link #source} from any thread, under the rule of
 * {@link ShardSegment}: a source made after the reader saw tsafe reach {@code t} holds every delete at or below
 * {@code t}.
 */
sealed interface HeldSegment permits ShardSegment, SealedSegment {
    long id();

    /** Read back from its file: its rows do not change. */
    boolean isSealed();

    int rowCount();

    /** A delete of {@code key} at {@code timeTick}: hides the rows of the key inserted before it. */
    void delete(Object key, long timeTick);

    /**
     * What a query sees of the segment, widened to {@code schema} (fields added since read as null). For a sealed
     * segment this may read its file (from the node's cache of files, or object storage).
     */
    ShardReader.Source source(CollectionSchema schema);
}
