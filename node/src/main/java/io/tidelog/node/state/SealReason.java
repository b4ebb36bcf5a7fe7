package io.tidelog.node.state;


/** Why a growing segment was sealed; logged with its Flush. */
public enum SealReason {
    /** The next insert would take it over {@code ShardConfig.segmentMaxBytes()}, or it reached it. */
    SIZE,
    /** The same for {@code ShardConfig.segmentMaxRows()}. */
    ROWS,
    /** Older than {@code ShardConfig.segmentLifetime()}. */
    LIFETIME,
    /** No insert for {@code ShardConfig.segmentIdleTime()} and at least {@code ShardConfig.segmentIdleMinBytes()}. */
    IDLE,
    /** Among the largest while the node's growing bytes exceed the high-water mark. */
    GROWING_BYTES_HIGH_WATER,
    /** A ManualFlush of its collection. */
    MANUAL_FLUSH,
    /** An AlterCollection: a segment holds rows of one schema version. */
    SCHEMA_CHANGE,
    /** A DropCollection of its collection. */
    COLLECTION_DROPPED,
    /** A DropPartition of its partition. */
    PARTITION_DROPPED,
    /** Replay found a newer segment of its partition: it had been sealed, its Flush never written. */
    RECOVERED
}
