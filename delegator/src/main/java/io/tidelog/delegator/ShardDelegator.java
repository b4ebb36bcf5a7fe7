package io.tidelog.delegator;

import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DeleteBody;
import io.tidelog.proto.InsertBody;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.tidelog.node.shard.GrowingSegmentBytes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The delegator of one vchannel (one shard of one collection): its segments, growing ones fed by the pchannel's
 * log and sealed ones read back from object storage, and the deletes applied to them.
 *
 * <p><b>Growing to sealed.</b> A growing segment keeps serving after its Flush until its file is in object storage
 * and read back; then the sealed form replaces it in one step (one published list to the next), taking over the
 * deletes the growing form had: no query sees a row missing or twice.
 *
 * <p><b>After a restart</b> the log's replay rebuilds the growing segments (and those flushed since the point it
 * starts from), and the sealed segments are read from object storage with the delete logs of the vchannel. Until
 * that first load is done ({@link #loaded}), every delete is also kept in a history, applied to each sealed segment
 * read: a delete replayed from the log may not be in any delete log yet.
 *
 * <p><b>Memory.</b> The bytes of its growing segments count in the node's growing-data budget
 * ({@link GrowingSegmentBytes#putHeld}) until their sealed forms replace them or the shard is released, so the node's
 * high-water mark seals segments sooner when delegators hold much. A sealed segment keeps in memory only its key
 * filter and deletes; its rows are in the node's {@link SealedSegmentCache}, bounded by {@code query.sealed.cache.bytes}.
 *
 * <p>Threads: every change by its pchannel's apply thread (the owner). {@link #segments()} from any thread: an
 * immutable list, replaced by the owner.
 */
final class ShardDelegator {
    private static final Logger LOG = LoggerFactory.getLogger(ShardDelegator.class);

    final String vchannel;
    final long collectionId;
    /** By segment id, in the order they came. Owned by the apply thread. */
    private final Map<Long, HeldSegment> segments = new LinkedHashMap<>();
    /** What readers see: {@link #segments}'s values, republished on every change of the set. */
    private volatile List<HeldSegment> published = List.of();
    /** Every delete until the first load from object storage is done; null after. */
    private List<Delete> history = new ArrayList<>();

    private record Delete(DeleteBody keys, long timeTick) {
    }

    /** Where the bytes of the growing segments held here are counted (the node's growing-data budget). */
    private final GrowingSegmentBytes held;

    ShardDelegator(String vchannel, long collectionId, GrowingSegmentBytes held) {
        this.vchannel = vchannel;
        this.collectionId = collectionId;
        this.held = held;
    }

    /** Rows of growing segment {@code segmentId} became visible at {@code timeTick}. */
    void insert(long segmentId, long partitionId, CollectionSchema schema, InsertBody body, long timeTick) {
        HeldSegment s = segments.get(segmentId);
        if (s == null) {
            s = ShardSegment.growing(segmentId, partitionId, schema);
            segments.put(segmentId, s);
            publish();
        }
        if (!(s instanceof ShardSegment growing)) {
            return; // replayed rows of a segment already read back from its file
        }
        growing.append(body, timeTick);
        held.putHeld(segmentId, growing.bytes());
    }

    /** A delete became visible at {@code timeTick}: it hides the rows of its keys inserted before it. */
    void delete(DeleteBody body, long timeTick) {
        if (history != null) {
            history.add(new Delete(body, timeTick));
        }
        for (HeldSegment s : segments.values()) {
            apply(s, body, timeTick);
        }
    }

    private static void apply(HeldSegment s, DeleteBody body, long timeTick) {
        if (body.hasIntPks()) {
            for (long k : body.getIntPks().getValuesList()) {
                s.delete(k, timeTick);
            }
        } else {
            for (String k : body.getStringPks().getValuesList()) {
                s.delete(k, timeTick);
            }
        }
    }

    /**
     * The sealed form of a segment was read back from object storage: it replaces the growing form, taking over its
     * deletes, or joins the segments if there is none.
     */
    void sealed(SealedSegment sealed) {
        HeldSegment before = segments.get(sealed.id());
        if (before != null && before.isSealed()) {
            sealed.release();
            return;
        }
        // Before the first load is done, a growing form may hold only the rows replay saw (it may start in the middle
        // of a segment flushed long ago): the history has every delete since, and the delete logs the rest.
        if (before != null && history == null && !sealed.takeDeletesOf((ShardSegment) before)) {
            LOG.error("{}: segment {} has {} rows in object storage and {} growing here; the growing form keeps serving",
                    vchannel, sealed.id(), sealed.rowCount(), before.rowCount());
            sealed.release();
            return;
        }
        if (history != null) {
            for (Delete d : history) {
                apply(sealed, d.keys(), d.timeTick());
            }
        }
        segments.put(sealed.id(), sealed);
        held.removeHeld(sealed.id());
        publish();
    }

    /**
     * The shard is no longer served here (dropped, or its pchannel or replica closed): its growing bytes go, and its
     * sealed rows leave the node's cache.
     */
    void release() {
        for (HeldSegment s : segments.values()) {
            if (s instanceof SealedSegment sealed) {
                sealed.release();
            } else {
                held.removeHeld(s.id());
            }
        }
    }

    /** A delete log read back from object storage: its deletes hide rows of every segment held. */
    void deleteLog(DeleteBody keys, long[] timeTicks) {
        for (HeldSegment s : segments.values()) {
            for (int i = 0; i < timeTicks.length; i++) {
                s.delete(keys.hasIntPks() ? keys.getIntPks().getValues(i) : keys.getStringPks().getValues(i),
                        timeTicks[i]);
            }
        }
    }

    /** The first load from object storage is done: deletes are no longer kept for segments read later. */
    void loaded() {
        history = null;
    }

    /** Whether segment {@code id} is held in its sealed form. */
    boolean isSealed(long id) {
        HeldSegment s = segments.get(id);
        return s != null && s.isSealed();
    }

    private void publish() {
        published = List.copyOf(segments.values());
    }

    /** The segments, oldest first; see {@link HeldSegment#source} for what a reader may rely on. */
    List<HeldSegment> segments() {
        return published;
    }
}
