package io.tidelog.coord;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaStore;
import io.tidelog.objectstore.ObjectInfo;
import io.tidelog.objectstore.ObjectStore;
import io.tidelog.state.proto.DroppedCollectionMeta;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The garbage collector of historical data: removes the files of a dropped collection (Parquet segments, delete
 * logs, their manifests) from object storage once the drop is {@code gc.dropped.retention} old.
 *
 * <p><b>Owner.</b> The coordinator knows drops: the catalog writes a {@link DroppedCollectionMeta} record in the
 * transaction that finishes a DropCollection broadcast (when the collection leaves the catalog), with the time.
 * In a cluster the coordinator leader runs the collector; it needs the object store SPI alone (list by prefix,
 * delete) and the {@link CollectionObjectLayout}.
 *
 * <pre>
 * coord/catalog/dropped/&lt;id&gt;:  dropped ──(retention)──▶ sweep; collected ──(retention)──▶ last sweep; record deleted
 *
 * a sweep of collection C, repeated while the prefix lists anything (at most {@value #MAX_PASSES} passes):
 *   list &lt;prefix of C&gt;  ──▶  delete every manifest  ──▶  delete every other object
 * </pre>
 *
 * <p><b>Order and crashes.</b> Manifests go first: a manifest never outlives a data file it names, so no segment
 * or delete log is ever visible with missing files; a crash between the two steps leaves data files without
 * manifests, which nothing reads. A sweep is idempotent (a delete of a missing object is no error), and the record
 * says "collected" only once a sweep has seen the prefix empty, so a collector that crashes, or fails on object
 * storage, sweeps again in a later round and completes the job. Records change by compare-and-put on their mod
 * revision: two collectors (around a leader change) never undo each other's work.
 *
 * <p><b>Late files.</b> The DropCollection seals the collection's growing segments and follows their Flushes in the
 * log, but the node uploads those segments (and the last delete logs) after it, retrying until object storage takes
 * them, also across node restarts. The retention is the practical guard: nothing is removed until a day after the
 * drop. A file that still arrives after the sweep (object storage unreachable for longer than the retention) is
 * removed by the last sweep, one retention later, and logged; only then is the record forgotten.
 *
 * <p><b>Threads.</b> {@link #collect} runs one round on the caller's thread; after {@link #start}, the collector's
 * own thread runs a round every {@code gc.interval}. Rounds never overlap.
 */
public final class DroppedCollectionCollector implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DroppedCollectionCollector.class);
    static final String DROPPED_KEYS = "coord/catalog/dropped/";
    /** Sweeps of one collection in one round before it is left for the next round (files keep arriving). */
    static final int MAX_PASSES = 3;

    private final MetaStore meta;
    private final ObjectStore objects;
    private final CollectionObjectLayout layout;
    private final GcConfig config;
    private final InstantSource clock;
    private final ScheduledThreadPoolExecutor thread;

    /** What one round did: collections swept for the first time, records forgotten, objects removed. */
    public record Round(List<Long> collected, List<Long> forgotten, long objectsRemoved) {
    }

    public DroppedCollectionCollector(MetaStore meta, ObjectStore objects, CollectionObjectLayout layout,
                                      GcConfig config, InstantSource clock) {
        this.meta = meta;
        this.objects = objects;
        this.layout = layout;
        this.config = config;
        this.clock = clock;
        this.thread = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "tidelog-gc");
            t.setDaemon(true);
            return t;
        });
        thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /** The key of the record of dropped collection {@code collectionId}. */
    static String droppedKey(long collectionId) {
        return DROPPED_KEYS + String.format(Locale.ROOT, "%020d", collectionId);
    }

    /** Runs a round every {@code gc.interval}, the first one interval from now. */
    public void start() {
        long every = config.interval().toMillis();
        thread.scheduleWithFixedDelay(this::collectLogged, every, every, TimeUnit.MILLISECONDS);
    }

    private void collectLogged() {
        try {
            collect();
        } catch (RuntimeException e) {
            LOG.warn("garbage collection of dropped collections failed; next round in {}: {}", config.interval(),
                    e.toString());
        }
    }

    /**
     * One round: sweeps every dropped collection whose retention is over and forgets every collected one whose
     * second retention is over. A collection whose sweep fails (object storage) is left for the next round.
     */
    public synchronized Round collect() {
        long now = clock.millis();
        long retention = config.droppedRetention().toMillis();
        List<Long> collected = new ArrayList<>();
        List<Long> forgotten = new ArrayList<>();
        long removed = 0;
        for (KeyValue kv : meta.scan(DROPPED_KEYS)) {
            try {
                DroppedCollectionMeta d = parse(kv);
                boolean swept = d.getCollectedMillis() != 0;
                if (now - (swept ? d.getCollectedMillis() : d.getDroppedMillis()) < retention) {
                    continue;
                }
                long n = sweep(d);
                removed += n;
                if (swept && forget(kv, d, n)) {
                    forgotten.add(d.getCollectionId());
                } else if (!swept && markCollected(kv, d, now, n)) {
                    collected.add(d.getCollectionId());
                }
            } catch (RuntimeException e) {
                LOG.warn("{}: removing a dropped collection's files from {} failed, next round in {}: {}", kv.key(),
                        objects.describe(), config.interval(), e.toString());
            }
        }
        return new Round(collected, forgotten, removed);
    }

    /**
     * Deletes every object under the collection's prefix, manifests first, until a listing finds none.
     *
     * @return the objects deleted
     * @throws StreamingException {@code INNER} if objects keep appearing after {@value #MAX_PASSES} passes, or what
     *         the object store failed with
     */
    private long sweep(DroppedCollectionMeta d) {
        String prefix = layout.collectionPrefix(d.getCollectionId());
        long removed = 0;
        for (int pass = 0; pass < MAX_PASSES; pass++) {
            List<ObjectInfo> listed = objects.list(prefix);
            if (listed.isEmpty()) {
                return removed;
            }
            for (ObjectInfo o : listed) {
                if (layout.isManifest(o.key()) && objects.delete(o.key())) {
                    removed++;
                }
            }
            for (ObjectInfo o : listed) {
                if (!layout.isManifest(o.key()) && objects.delete(o.key())) {
                    removed++;
                }
            }
        }
        if (objects.list(prefix).isEmpty()) {
            return removed;
        }
        throw new StreamingException(ErrorCode.INNER, "objects under " + prefix + " kept appearing during "
                + MAX_PASSES + " passes (a node still uploading?)");
    }

    /** Records the sweep; false if another collector changed the record meanwhile. */
    private boolean markCollected(KeyValue kv, DroppedCollectionMeta d, long now, long removed) {
        byte[] marked = d.toBuilder().setCollectedMillis(now).build().toByteArray();
        if (!meta.compareAndPut(kv.key(), kv.modRevision(), marked)) {
            return false;
        }
        LOG.info("collection {} (id {}), dropped {}: removed its {} objects from {}", d.getName(),
                d.getCollectionId(), Instant.ofEpochMilli(d.getDroppedMillis()), removed, objects.describe());
        return true;
    }

    /** Deletes the record after the last sweep; false if another collector changed it meanwhile. */
    private boolean forget(KeyValue kv, DroppedCollectionMeta d, long removed) {
        if (removed > 0) {
            LOG.warn("collection {} (id {}): {} objects arrived after its files were removed {} (uploads later than {}"
                    + " after the drop); removed them too", d.getName(), d.getCollectionId(), removed,
                    Instant.ofEpochMilli(d.getCollectedMillis()), config.droppedRetention());
        }
        return meta.compareAndDelete(kv.key(), kv.modRevision());
    }

    private static DroppedCollectionMeta parse(KeyValue kv) {
        try {
            return DroppedCollectionMeta.parseFrom(kv.value());
        } catch (InvalidProtocolBufferException e) {
            throw new StreamingException(ErrorCode.DATA_CORRUPTED, "meta key " + kv.key()
                    + " does not hold a dropped collection", e);
        }
    }

    /** Stops the rounds; a round in progress finishes first (up to 10 s). Idempotent. */
    @Override
    public void close() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
