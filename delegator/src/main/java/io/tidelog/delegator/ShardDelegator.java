package io.tidelog.delegator;

import io.tidelog.message.CollectionSchemas;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DeleteBody;
import io.tidelog.proto.InsertBody;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The delegator of one vchannel (one shard of one collection): the growing segments of the shard, fed by the
 * pchannel's log, and the deletes applied to them.
 *
 * <p>Threads: every change by its pchannel's apply thread (the owner, asserted through {@link PchannelDelegator}).
 * {@link #segments()} from any thread: an immutable list, replaced by the owner.
 */
final class ShardDelegator {
    final String vchannel;
    final long collectionId;
    /** By segment id, in creation order. Owned by the apply thread. */
    private final Map<Long, GrowingSegment> growing = new LinkedHashMap<>();
    /** What readers see: {@link #growing}'s values, republished on every change of the set. */
    private volatile List<GrowingSegment> published = List.of();

    ShardDelegator(String vchannel, long collectionId) {
        this.vchannel = vchannel;
        this.collectionId = collectionId;
    }

    /** Rows of {@code segmentId} became visible at {@code timeTick}. */
    void insert(long segmentId, long partitionId, CollectionSchema schema, InsertBody body, long timeTick) {
        GrowingSegment s = growing.get(segmentId);
        if (s == null) {
            s = new GrowingSegment(segmentId, partitionId, schema, CollectionSchemas.primaryKey(schema).getName());
            growing.put(segmentId, s);
            published = List.copyOf(growing.values());
        }
        s.append(body, timeTick);
    }

    /** A delete became visible at {@code timeTick}: it hides the rows of its keys inserted before it. */
    void delete(DeleteBody body, long timeTick) {
        List<Object> keys = new ArrayList<>();
        if (body.hasIntPks()) {
            keys.addAll(body.getIntPks().getValuesList());
        } else {
            keys.addAll(body.getStringPks().getValuesList());
        }
        for (GrowingSegment s : growing.values()) {
            for (Object k : keys) {
                s.delete(k, timeTick);
            }
        }
    }

    /** The growing segments, oldest first; see {@link GrowingSegment#snapshot} for what a reader may rely on. */
    List<GrowingSegment> segments() {
        return published;
    }

    /** Bytes held by the growing segments. By the owner. */
    long bytes() {
        long b = 0;
        for (GrowingSegment s : growing.values()) {
            b += s.bytes();
        }
        return b;
    }
}
