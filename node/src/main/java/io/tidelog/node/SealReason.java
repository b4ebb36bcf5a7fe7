package io.tidelog.node;

/** Why a growing segment was sealed; logged with its Flush. */
public enum SealReason {
    /** The next insert would take it over {@link ShardConfig#segmentMaxBytes()}, or it reached it. */
    SIZE,
    /** The same for {@link ShardConfig#segmentMaxRows()}. */
    ROWS,
    /** Older than {@link ShardConfig#segmentLifetime()}. */
    LIFETIME,
    /** No insert for {@link ShardConfig#segmentIdleTime()} and at least {@link ShardConfig#segmentIdleMinBytes()}. */
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
