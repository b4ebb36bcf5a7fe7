package io.tidelog.node.shard;

import io.tidelog.node.state.PchannelState;
import io.tidelog.node.state.SealReason;
import io.tidelog.node.state.SegmentSpec;
import io.tidelog.node.state.ShardSnapshot;
import io.tidelog.tso.HybridTimestamps;
import java.util.concurrent.CompletableFuture;

/**
 * One growing segment on the append side: what the log does not say yet — the inserts assigned to it and in
 * flight, whether it is sealed, and the progress of its CreateSegment and Flush. What the log says about it (its
 * CreateSegment's time tick, the rows published into it, the transactions with inserts in it) is in the
 * {@link PchannelState}. Guarded by its {@link ShardManager}'s monitor.
 *
 * <pre>
 *   open (CreateSegment appended) ──▶ taking inserts ──seal(reason)──▶ sealed ──no insert in flight──▶
 *   Flush appended ──Flush published──▶ gone (no longer growing)
 * </pre>
 *
 * <p>{@link #rows} and {@link #bytes} count every insert assigned to the segment: those in the log when it was
 * taken from the state at bind, then each as it is assigned (taken back if the append fails), so an insert in
 * flight already counts against the limits.
 */
final class GrowingSegment {
    final SegmentSpec spec;
    long rows;
    long bytes;
    /** Inserts assigned and not yet completed. */
    int inFlight;
    /** Null while the segment takes inserts. */
    SealReason sealedBy;
    /** Completes when its CreateSegment is durable (at once for a replayed segment). */
    final CompletableFuture<Void> created;
    /** Null until its Flush is appended; completes when that is durable. */
    CompletableFuture<Void> flush;

    GrowingSegment(SegmentSpec spec, CompletableFuture<Void> created) {
        this.spec = spec;
        this.created = created;
    }

    /** Whether an insert of {@code r} rows and {@code b} bytes fits; otherwise why not. */
    SealReason overflowBy(long r, long b) {
        if (bytes + b > spec.maxBytes()) {
            return SealReason.SIZE;
        }
        if (spec.maxRows() != 0 && rows + r > spec.maxRows()) {
            return SealReason.ROWS;
        }
        return null;
    }

    /**
     * The time-driven policy that seals it at {@code nowMillis}, or null (size, rows, lifetime, idle).
     *
     * @param logged what the log says of it; null while its CreateSegment is not published
     */
    SealReason due(long nowMillis, ShardConfig config, ShardSnapshot.Segment logged) {
        if (bytes >= spec.maxBytes()) {
            return SealReason.SIZE;
        }
        if (spec.maxRows() != 0 && rows >= spec.maxRows()) {
            return SealReason.ROWS;
        }
        if (logged == null || logged.createTimeTick() == 0) {
            return null;
        }
        long created = HybridTimestamps.physicalMillis(logged.createTimeTick());
        if (nowMillis - created >= config.segmentLifetime().toMillis()) {
            return SealReason.LIFETIME;
        }
        long lastWrite = HybridTimestamps.physicalMillis(logged.lastInsertTimeTick() != 0 ? logged.lastInsertTimeTick()
                : logged.createTimeTick());
        if (bytes >= config.segmentIdleMinBytes() && nowMillis - lastWrite >= config.segmentIdleTime().toMillis()) {
            return SealReason.IDLE;
        }
        return null;
    }

    /**
     * Sealed, no insert in flight, Flush not yet appended, CreateSegment durable. (The shard manager also waits for
     * the transactions with inserts in it, which the pchannel state knows.)
     */
    boolean readyToFlush() {
        return sealedBy != null && inFlight == 0 && flush == null && created.isDone()
                && !created.isCompletedExceptionally();
    }
}
