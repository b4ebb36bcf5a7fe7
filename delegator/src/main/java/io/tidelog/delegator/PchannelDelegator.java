package io.tidelog.delegator;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MutableMessage;
import io.tidelog.node.StreamingWal;
import io.tidelog.node.WalExtension;
import io.tidelog.node.state.CollectionShard;
import io.tidelog.node.state.PchannelState;
import io.tidelog.proto.DeleteBody;
import io.tidelog.proto.InsertBody;
import io.tidelog.proto.MessageType;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The delegators of one pchannel's vchannels at one term: a WAL extension that takes what the log makes visible
 * (from the {@link PchannelState}: inserts and deletes as they become visible, also while the log is replayed) and
 * applies it to the vchannels' {@link ShardDelegator}s, and the pchannel's {@link Tsafe}.
 *
 * <p><b>Off the write path.</b> The WAL's publishing thread only queues what it hands over (references to
 * payloads the log keeps anyway) and notes each message's time tick; one apply thread per pchannel
 * ({@code delegator-<pchannel>}, the only writer of the delegators' data) decodes and applies it in log order.
 * Nothing of this is on the produce path of messages that are not collection DML, and decoding rows never delays
 * an acknowledgement.
 *
 * <p><b>tsafe.</b> The apply thread moves tsafe to the time tick of the last message whose visible effects it has
 * applied: it reads the last time tick published ({@link #lastPublished}) before it finds its queue empty, and the
 * publishing thread queues a message's effects before it writes its time tick there, so everything at or below the
 * value read is applied. Under a steady stream the queue may never be empty: before it applies an effect that
 * became visible at {@code t}, everything below {@code t} is applied (time ticks increase from message to message,
 * and the bodies of one commit, which share its time tick, are queued together), so tsafe moves to {@code t - 1}. A waiting query wakes the thread ({@link #wake}), and so does every message published while
 * someone waits.
 *
 * <p>Plain for every append ({@link #isPlain}): it intercepts nothing.
 */
final class PchannelDelegator implements WalExtension, PchannelState.Observer {
    private static final Logger LOG = LoggerFactory.getLogger(PchannelDelegator.class);
    private static final Runnable WAKE = () -> { };

    private final String pchannel;
    private final Delegators registry;
    private final Tsafe tsafe = new Tsafe();
    private final LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
    /** By vchannel. Written by the apply thread, read by queries. */
    private final Map<String, ShardDelegator> shards = new ConcurrentHashMap<>();
    private final Thread applier;
    private final SegmentFiles files;
    /** Reads sealed segments from object storage, off the apply thread; shared by the node. */
    private final ScheduledExecutorService loaders;
    private volatile long lastPublished;
    /** The first load from object storage was handed over. Owned by the apply thread. */
    private boolean loaded;
    private volatile boolean closed;
    private PchannelState state;
    private volatile StreamingWal wal;

    PchannelDelegator(String pchannel, Delegators registry, SegmentFiles files, ScheduledExecutorService loaders) {
        this.pchannel = pchannel;
        this.registry = registry;
        this.files = files;
        this.loaders = loaders;
        this.applier = new Thread(this::applyLoop, "delegator-" + pchannel);
        applier.setDaemon(true);
    }

    // ---- the log (publishing thread) ----

    @Override
    public void attach(PchannelState s) {
        this.state = s;
        s.addObserver(this);
        applier.start();
    }

    @Override
    public void inserted(PchannelState.Inserted i) {
        if (i.schema() == null) {
            return;
        }
        queue.add(() -> applyInsert(i));
    }

    @Override
    public void deleted(PchannelState.Deleted d) {
        queue.add(() -> applyDelete(d));
    }

    @Override
    public void segmentFlushed(PchannelState.FlushedSegment f) {
        loadWhenFlushed(f.collectionId(), f.vchannel(), f.segmentId());
    }

    @Override
    public void observe(ImmutableMessage m, boolean replay) {
        if (m.type() == MessageType.DROP_COLLECTION) {
            String vchannel = m.vchannel();
            queue.add(() -> {
                ShardDelegator gone = shards.remove(vchannel);
                if (gone != null) {
                    gone.release();
                }
            });
        }
        lastPublished = m.timeTick();
        if (tsafe.hasWaiters()) {
            queue.add(WAKE);
        }
    }

    @Override
    public boolean isPlain(MutableMessage message) {
        return true;
    }

    /**
     * Once replay is over: reads the sealed segments and delete logs of every live collection of the pchannel from
     * object storage, hands them to the apply thread, and only then serves queries (before, they get
     * {@code CHANNEL_NOT_EXIST} and are retried by the client). Retried with backoff while object storage fails.
     */
    @Override
    public void bind(StreamingWal w) {
        this.wal = w;
        loadAll(0);
    }

    private void loadAll(int attempt) {
        Map<String, Long> live = new java.util.LinkedHashMap<>();
        state.snapshot().collections().forEach((v, c) -> {
            if (c.state() != io.tidelog.node.state.ShardSnapshot.CollectionState.DROPPED) {
                live.put(v, c.collectionId());
            }
        });
        loaders.execute(() -> {
            if (closed) {
                return;
            }
            List<Runnable> handOver = new java.util.ArrayList<>();
            try {
                for (Map.Entry<String, Long> e : live.entrySet()) {
                    String v = e.getKey();
                    long collectionId = e.getValue();
                    CollectionShard c = state.collection(v);
                    if (c == null || c.collectionId() != collectionId) {
                        continue;
                    }
                    List<SealedSegment> sealed = new java.util.ArrayList<>();
                    List<io.tidelog.parquet.DeleteLogRows> deletes = new java.util.ArrayList<>();
                    for (io.tidelog.parquet.SegmentManifest m : files.manifests(collectionId, v)) {
                        if (m.kind() == io.tidelog.parquet.SegmentManifest.Kind.SEGMENT) {
                            sealed.add(files.segment(m, c.schema(c.schemaVersion())));
                        } else {
                            deletes.addAll(files.deletes(m));
                        }
                    }
                    handOver.add(() -> {
                        ShardDelegator shard = shards.computeIfAbsent(v, x -> newShard(x, collectionId));
                        if (shard.collectionId != collectionId) {
                            sealed.forEach(SealedSegment::release);
                            return;
                        }
                        sealed.forEach(shard::sealed);
                        deletes.forEach(d -> shard.deleteLog(d.keys(), d.timeTicks()));
                        shard.loaded();
                    });
                }
            } catch (RuntimeException e) {
                LOG.warn("pchannel {}: reading sealed segments from object storage failed (attempt {}); retrying: {}",
                        pchannel, attempt + 1, e.toString());
                loaders.schedule(() -> loadAll(attempt + 1), SegmentFiles.backoffMillis(attempt), TimeUnit.MILLISECONDS);
                return;
            }
            queue.add(() -> {
                handOver.forEach(Runnable::run);
                shards.values().forEach(ShardDelegator::loaded);
                loaded = true;
                registry.serve(pchannel, this);
            });
        });
    }

    /** Hands the sealed form of a flushed segment to the apply thread once it is read from object storage. */
    private void loadWhenFlushed(long collectionId, String vchannel, long segmentId) {
        files.whenFlushed(loaders, collectionId, segmentId, () -> {
            CollectionShard c = state.collection(vchannel);
            return c.schema(c.schemaVersion());
        }, () -> {
            CollectionShard c = state.collection(vchannel);
            return !closed && c != null && c.collectionId() == collectionId && !c.isDropped();
        }, sealed -> queue.add(() -> {
            ShardDelegator shard = shards.get(vchannel);
            if (shard != null && shard.collectionId == collectionId) {
                shard.sealed(sealed);
            } else {
                sealed.release();
            }
        }));
    }

    @Override
    public void close() {
        registry.forget(pchannel, this);
        closed = true;
        tsafe.close(new StreamingException(ErrorCode.CHANNEL_NOT_EXIST, "pchannel " + pchannel + " is no longer served here"));
        applier.interrupt();
    }

    // ---- the apply thread ----

    private void applyLoop() {
        try {
            while (!closed) {
                long published = lastPublished; // before the poll: see the class comment
                Runnable next = queue.poll();
                if (next == null) {
                    tsafe.advance(published);
                    next = queue.take();
                }
                try {
                    next.run();
                } catch (RuntimeException e) {
                    LOG.error("pchannel {}: a delegator could not apply the log; queries of it may miss rows", pchannel, e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            shards.values().forEach(ShardDelegator::release); // by the owner, after its last change
        }
    }

    /** A delegator for a vchannel; one made after the first load keeps no delete history. By the apply thread. */
    private ShardDelegator newShard(String vchannel, long collectionId) {
        ShardDelegator shard = new ShardDelegator(vchannel, collectionId, registry.held());
        if (loaded) {
            shard.loaded();
        }
        return shard;
    }

    private void applyInsert(PchannelState.Inserted i) {
        ShardDelegator shard = shards.computeIfAbsent(i.vchannel(), v -> newShard(v, i.collectionId()));
        if (shard.collectionId != i.collectionId()) {
            return;
        }
        InsertBody body;
        try {
            body = InsertBody.parseFrom(i.payload());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("insert " + i.id() + " of " + i.vchannel() + " does not parse", e);
        }
        tsafe.advance(i.timeTick() - 1); // everything before this message is applied: see the class comment
        shard.insert(i.segmentId(), i.partitionId(), i.schema(), body, i.timeTick());
    }

    private void applyDelete(PchannelState.Deleted d) {
        // A vchannel whose rows are all in sealed segments has no delegator yet on a replay: the delete must still be
        // kept for the segments read later.
        ShardDelegator shard = shards.computeIfAbsent(d.vchannel(), v -> newShard(v, d.collectionId()));
        if (shard.collectionId != d.collectionId()) {
            return;
        }
        DeleteBody body;
        try {
            body = DeleteBody.parseFrom(d.payload());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("delete " + d.piece().id() + " of " + d.vchannel() + " does not parse", e);
        }
        tsafe.advance(d.piece().timeTick() - 1);
        shard.delete(body, d.piece().timeTick());
    }

    // ---- queries (any thread) ----

    String pchannel() {
        return pchannel;
    }

    Tsafe tsafe() {
        return tsafe;
    }

    /** The collection of {@code vchannel} as the log says, or null. */
    CollectionShard collection(String vchannel) {
        return state.collection(vchannel);
    }

    /** The delegator of {@code vchannel}, or null while it has no rows. */
    ShardDelegator shard(String vchannel) {
        return shards.get(vchannel);
    }

    /** The time tick of the last message the WAL published: every write acknowledged so far is at or below it. */
    long lastTimeTick() {
        StreamingWal w = wal;
        return w == null ? 0 : w.lastTimeTick();
    }

    /** Makes the apply thread look at tsafe again (a query started waiting). */
    void wake() {
        queue.add(WAKE);
    }

    List<String> vchannels() {
        return List.copyOf(shards.keySet());
    }
}
