package io.tidelog.node;

import io.tidelog.tso.HybridTimestamps;
import java.util.concurrent.CompletableFuture;

/**
 * One growing segment of a collection shard: what the log says about it (its CreateSegment and the
 * inserts assigned to it) and, while the node appends, the inserts in flight and the progress of its
 * CreateSegment and Flush. Guarded by its {@link ShardManager}'s monitor.
 *
 * <pre>
 *   open (CreateSegment appended) ──▶ taking inserts ──seal(reason)──▶ sealed ──no insert in flight──▶
 *   Flush appended ──Flush published──▶ gone (no longer growing)
 * </pre>
 *
 * <p>{@link #rows} and {@link #bytes} count every insert assigned to the segment: on replay as the
 * inserts are observed, live as they are assigned (taken back if the append fails), so an insert in
 * flight already counts against the limits.
 */
final class GrowingSegment {
    final long id;
    final long collectionId;
    final long partitionId;
    final String vchannel;
    final int schemaVersion;
    final long maxBytes;
    /** 0: unlimited. */
    final long maxRows;

    /** The time tick of its CreateSegment; 0 until that is published. */
    long createTimeTick;
    long rows;
    long bytes;
    /** The time tick of the last insert published into it; 0 if none. */
    long lastInsertTimeTick;
    /**
     * Transactions with inserts published into it and no CommitTxn or RollbackTxn yet: its Flush waits for them,
     * or a commit after the Flush would add rows to a segment already written out.
     */
    final java.util.Set<Long> openTxns = new java.util.HashSet<>();
    /** Rows and bytes of the inserts published into it (what a checkpoint records; rows/bytes count more). */
    long loggedRows;
    long loggedBytes;

    /** Inserts assigned and not yet completed. */
    int inFlight;
    /** Null while the segment takes inserts. */
    SealReason sealedBy;
    /** Completes when its CreateSegment is durable (at once for a replayed segment). */
    final CompletableFuture<Void> created;
    /** Null until its Flush is appended; completes when that is durable. */
    CompletableFuture<Void> flush;

    GrowingSegment(long id, long collectionId, long partitionId, String vchannel, int schemaVersion, long maxBytes,
                   long maxRows, CompletableFuture<Void> created) {
        this.id = id;
        this.collectionId = collectionId;
        this.partitionId = partitionId;
        this.vchannel = vchannel;
        this.schemaVersion = schemaVersion;
        this.maxBytes = maxBytes;
        this.maxRows = maxRows;
        this.created = created;
    }

    /** Whether an insert of {@code r} rows and {@code b} bytes fits; otherwise why not. */
    SealReason overflowBy(long r, long b) {
        if (bytes + b > maxBytes) {
            return SealReason.SIZE;
        }
        if (maxRows != 0 && rows + r > maxRows) {
            return SealReason.ROWS;
        }
        return null;
    }

    /** The time-driven policy that seals it at {@code nowMillis}, or null (size, rows, lifetime, idle). */
    SealReason due(long nowMillis, ShardConfig config) {
        if (bytes >= maxBytes) {
            return SealReason.SIZE;
        }
        if (maxRows != 0 && rows >= maxRows) {
            return SealReason.ROWS;
        }
        if (createTimeTick == 0) {
            return null;
        }
        long created = HybridTimestamps.physicalMillis(createTimeTick);
        if (nowMillis - created >= config.segmentLifetime().toMillis()) {
            return SealReason.LIFETIME;
        }
        long lastWrite = HybridTimestamps.physicalMillis(lastInsertTimeTick != 0 ? lastInsertTimeTick : createTimeTick);
        if (bytes >= config.segmentIdleMinBytes() && nowMillis - lastWrite >= config.segmentIdleTime().toMillis()) {
            return SealReason.IDLE;
        }
        return null;
    }

    /** Sealed, no insert in flight, no transaction with inserts in it open, Flush not yet appended, CreateSegment durable. */
    boolean readyToFlush() {
        return sealedBy != null && inFlight == 0 && openTxns.isEmpty() && flush == null && created.isDone()
                && !created.isCompletedExceptionally();
    }

    ShardSnapshot.Segment snapshot() {
        return new ShardSnapshot.Segment(id, partitionId, schemaVersion, maxBytes, maxRows, createTimeTick, rows, bytes,
                lastInsertTimeTick);
    }
}
