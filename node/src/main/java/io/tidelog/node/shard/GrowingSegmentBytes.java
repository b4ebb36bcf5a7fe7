package io.tidelog.node.shard;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The bytes of growing data the node holds (all pchannels), for the node memory high-water mark policy: once they
 * exceed {@link ShardConfig#growingHighBytes()}, the largest growing segments are sealed until at most
 * {@link ShardConfig#growingLowBytes()} remain. Two kinds are counted: each growing segment's payload bytes (its
 * shard manager's, {@link #put}), and the bytes readers of growing data hold in their own form for a segment
 * ({@link #putHeld}: the delegators' columnar rows, kept until the segment's sealed form replaces them, so also for
 * a while after it was sealed). A segment's size for the choice is both; only growing segments can be chosen.
 *
 * <p>One per node, shared by the {@link ShardManager}s of all its pchannels; each reports its segments
 * (keyed by segment id, unique in the cluster) and removes them when they are sealed or it closes.
 * Thread-safe; a leaf lock (it calls nothing while holding its monitor). Its size is the number of
 * growing segments.
 */
public final class GrowingSegmentBytes {
    private final long highBytes;
    private final long lowBytes;
    private final Map<Long, Long> bytesBySegment = new HashMap<>();
    private final Map<Long, Long> heldBySegment = new HashMap<>();
    private long total;
    /** Set when the total passes the high-water mark, cleared when it is back at the low-water mark. */
    private boolean draining;

    public GrowingSegmentBytes(ShardConfig config) {
        this.highBytes = config.growingHighBytes();
        this.lowBytes = config.growingLowBytes();
    }

    /** Sets a growing segment's bytes. */
    synchronized void put(long segmentId, long bytes) {
        Long before = bytesBySegment.put(segmentId, bytes);
        total += bytes - (before == null ? 0 : before);
    }

    /** The segment is no longer growing (sealed, or its WAL closed); no-op if unknown. */
    synchronized void remove(long segmentId) {
        Long before = bytesBySegment.remove(segmentId);
        if (before != null) {
            total -= before;
        }
    }

    /** Sets the bytes a reader of growing data holds for segment {@code segmentId}. */
    public synchronized void putHeld(long segmentId, long bytes) {
        Long before = heldBySegment.put(segmentId, bytes);
        total += bytes - (before == null ? 0 : before);
    }

    /** The reader of growing data no longer holds segment {@code segmentId}; no-op if unknown. */
    public synchronized void removeHeld(long segmentId) {
        Long before = heldBySegment.remove(segmentId);
        if (before != null) {
            total -= before;
        }
    }

    /** The bytes of growing data the node holds (see the class comment). */
    public synchronized long total() {
        return total;
    }

    /**
     * The segments to seal now. Once the total passes the high-water mark, and until it is back at the
     * low-water mark: the largest (the older of two equal ones), then the next largest, until the rest
     * hold at most the low-water mark. Otherwise none. Every pchannel's manager asks at its time tick
     * and seals the chosen segments it owns; the others are chosen again when their owners ask.
     */
    synchronized Set<Long> overHighWater() {
        if (total > highBytes) {
            draining = true;
        } else if (total <= lowBytes) {
            draining = false;
        }
        if (!draining) {
            return Set.of();
        }
        List<Map.Entry<Long, Long>> bySize = new ArrayList<>();
        for (Map.Entry<Long, Long> e : bytesBySegment.entrySet()) {
            bySize.add(Map.entry(e.getKey(), e.getValue() + heldBySegment.getOrDefault(e.getKey(), 0L)));
        }
        bySize.sort((a, b) -> a.getValue().equals(b.getValue()) ? Long.compare(a.getKey(), b.getKey())
                : Long.compare(b.getValue(), a.getValue()));
        Set<Long> chosen = new HashSet<>();
        long rest = total;
        for (Map.Entry<Long, Long> e : bySize) {
            if (rest <= lowBytes) {
                break;
            }
            chosen.add(e.getKey());
            rest -= e.getValue();
        }
        return chosen;
    }
}
