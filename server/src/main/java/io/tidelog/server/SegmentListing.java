package io.tidelog.server;

import io.tidelog.node.shard.ShardManager;
import io.tidelog.node.state.ShardSnapshot;
import io.tidelog.objectstore.ObjectInfo;
import io.tidelog.objectstore.ObjectStore;
import io.tidelog.parquet.SegmentKeys;
import io.tidelog.parquet.SegmentManifest;
import io.tidelog.proto.SegmentInfo;
import io.tidelog.proto.SegmentState;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The segments of a collection as an operator sees them: growing segments from the collection shards of every
 * pchannel served here, flushed segments and delete logs from their manifests in object storage. A segment
 * whose manifest exists is listed as flushed even while its node still counts it as growing.
 *
 * <p>A process that serves no pchannel (a cluster's coordinator: {@link #manifestsOnly}) lists what the manifests
 * say and nothing more: growing segments live on the streaming nodes, and the coordinator does not ask them yet.
 * Without an object store it lists nothing.
 */
final class SegmentListing {
    private final Map<String, ShardManager> shards;
    private final Optional<ObjectStore> objects;

    SegmentListing(Map<String, ShardManager> shards, ObjectStore objects) {
        this(shards, Optional.of(objects));
    }

    private SegmentListing(Map<String, ShardManager> shards, Optional<ObjectStore> objects) {
        this.shards = shards;
        this.objects = objects;
    }

    /** A listing without shards: flushed segments and delete logs from the manifests in {@code objects}, if any. */
    static SegmentListing manifestsOnly(Optional<ObjectStore> objects) {
        return new SegmentListing(Map.of(), objects);
    }

    List<SegmentInfo> of(long collectionId) {
        List<SegmentInfo> out = new ArrayList<>();
        Set<Long> flushed = new HashSet<>();
        objects.ifPresent(o -> addManifests(o, collectionId, out, flushed));
        for (ShardManager s : shards.values()) {
            for (ShardSnapshot.Collection c : s.snapshot().collections().values()) {
                if (c.collectionId() != collectionId) {
                    continue;
                }
                for (ShardSnapshot.Segment g : c.segments()) {
                    if (!flushed.contains(g.id())) {
                        out.add(SegmentInfo.newBuilder().setSegmentId(g.id()).setPartitionId(g.partitionId())
                                .setVchannel(c.vchannel()).setState(SegmentState.SEGMENT_GROWING).setRows(g.rows())
                                .setMinTimeTick(g.createTimeTick())
                                .setMaxTimeTick(Math.max(g.createTimeTick(), g.lastInsertTimeTick())).build());
                    }
                }
            }
        }
        out.sort(Comparator.comparing(SegmentInfo::getState).thenComparing(SegmentInfo::getVchannel)
                .thenComparingLong(SegmentInfo::getMinTimeTick).thenComparingLong(SegmentInfo::getSegmentId));
        return out;
    }

    /** The flushed segments and delete logs of the collection's manifests; the flushed segments' ids to {@code flushed}. */
    private static void addManifests(ObjectStore objects, long collectionId, List<SegmentInfo> out, Set<Long> flushed) {
        for (ObjectInfo o : objects.list(SegmentKeys.collectionPrefix(collectionId))) {
            if (!SegmentKeys.isManifest(o.key())) {
                continue;
            }
            byte[] json = objects.get(o.key()).orElse(null);
            if (json == null) {
                continue;
            }
            SegmentManifest m = SegmentManifest.fromJson(new String(json, StandardCharsets.UTF_8));
            SegmentInfo.Builder b = SegmentInfo.newBuilder().setSegmentId(m.segmentId()).setPartitionId(m.partitionId())
                    .setVchannel(m.vchannel()).setRows(m.rows()).setMinTimeTick(m.minTimeTick())
                    .setMaxTimeTick(m.maxTimeTick()).addObjectKeys(o.key())
                    .setState(m.kind() == SegmentManifest.Kind.SEGMENT ? SegmentState.SEGMENT_FLUSHED
                            : SegmentState.SEGMENT_DELETE_LOG);
            m.files().forEach(f -> b.addObjectKeys(f.key()));
            out.add(b.build());
            if (m.kind() == SegmentManifest.Kind.SEGMENT) {
                flushed.add(m.segmentId());
            }
        }
    }
}
