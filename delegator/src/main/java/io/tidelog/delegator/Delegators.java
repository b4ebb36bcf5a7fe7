package io.tidelog.delegator;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.CollectionSchemas;
import io.tidelog.message.Vchannels;
import io.tidelog.node.WalExtension;
import io.tidelog.node.shard.GrowingSegmentBytes;
import io.tidelog.node.state.CollectionShard;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.ConsistencyLevel;
import io.tidelog.proto.DataType;
import io.tidelog.proto.ShardQueryRequest;
import io.tidelog.proto.ShardQueryResponse;
import io.tidelog.proto.ShardRead;
import io.tidelog.proto.ShardSearchRequest;
import io.tidelog.proto.ShardSearchResponse;
import io.tidelog.tso.HybridTimestamps;
import io.tidelog.objectstore.ObjectStore;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;

/**
 * The query side of a streaming node: the delegators of every pchannel it serves ({@link #forPchannel} makes the WAL
 * extension that feeds them), and the entry of its queries.
 *
 * <p><b>Freshness.</b> A query names a consistency level; it becomes a guarantee time tick, and the query is answered
 * once the pchannel's tsafe reaches it, at the tsafe of that moment (never older than the guarantee):
 * <ul>
 *   <li>{@code STRONG}: a fresh timestamp of the cluster's oracle, so the answer waits for the next TimeTick (at most
 *       {@code node.timetick.interval}). On a log only this process writes ({@code local}, {@code memory}): the last
 *       time tick the pchannel's WAL published when the query arrived instead. Every write acknowledged before it was
 *       published at or below it (an append is acknowledged after it is published), and the delegators are on the
 *       node that publishes, so a query after an acknowledged write sees it without waiting for a TimeTick. On a
 *       shared log that shortcut would let a node that lost the pchannel without knowing it yet answer from what it
 *       had. A fresh timestamp narrows this to an idle pchannel: a TimeTick written to the log is fenced there, but
 *       one that stays in the buffer (nothing was appended since the last) is not, so such a node may still answer
 *       until its session ends. Closing that needs a fenced write (a persisted barrier) per STRONG query;</li>
 *   <li>{@code BOUNDED}: the present minus {@code query.bounded.staleness}, as a hybrid timestamp;</li>
 *   <li>{@code SESSION}: the request's guarantee (the client's last write on the vchannel);</li>
 *   <li>{@code EVENTUALLY}: none.</li>
 * </ul>
 * A query waits at most its deadline and {@code query.max.wait}, then fails with {@code TIMEOUT}.
 *
 * <p>Threads: thread-safe. Answers are computed on the query executor, never on the caller's or an apply thread.
 */
public final class Delegators {
    private final QueryConfig config;
    private final Executor queries;
    private final ScheduledExecutorService timer;
    private final InstantSource clock;
    private final Map<String, PchannelDelegator> serving = new ConcurrentHashMap<>();
    private final Map<String, VchannelFollower> followers = new ConcurrentHashMap<>();
    private final SegmentFiles files;
    private final SealedSegmentCache sealedRows;
    private final ScheduledExecutorService loaders;
    private final LongSupplier timestamps;
    private final GrowingSegmentBytes held;
    private final boolean soleWriter;

    /**
     * @param queries where answers are computed (the node's query threads)
     * @param timer   deadlines of waiting queries
     * @param loaders the threads that read sealed segments from object storage
     * @param timestamps fresh timestamps of the cluster's oracle (a replica's STRONG guarantee)
     * @param objects where flushed segments and delete logs are
     * @param cache   a directory of this node for the files read from object storage
     * @param held    the node's growing-data budget, where the delegators count the growing rows they hold
     * @param soleWriter whether only this process can write the pchannels' logs (the {@code local} backend): STRONG
     *                   then reads at the last published time tick (see the class comment)
     */
    public Delegators(QueryConfig config, Executor queries, ScheduledExecutorService timer,
                      ScheduledExecutorService loaders, InstantSource clock, LongSupplier timestamps, ObjectStore objects,
                      Path cache, GrowingSegmentBytes held, boolean soleWriter) {
        this.timestamps = timestamps;
        this.soleWriter = soleWriter;
        this.held = held;
        this.config = config;
        this.queries = queries;
        this.timer = timer;
        this.clock = clock;
        this.loaders = loaders;
        this.sealedRows = new SealedSegmentCache(config.sealedCacheBytes());
        this.files = new SegmentFiles(objects, new LocalFileCache(cache, config.fileCacheBytes()), sealedRows);
    }

    /**
     * A fresh extension of {@code pchannel}'s WAL that feeds its delegators; it serves queries once the WAL serves and
     * the sealed segments are read.
     */
    public WalExtension forPchannel(String pchannel) {
        return new PchannelDelegator(pchannel, this, files, loaders);
    }

    /**
     * Starts a replica of {@code vchannel} on this node: a delegator fed by whoever reads the vchannel and hands its
     * messages to the returned follower (after {@link VchannelFollower#loadSealed}), in order, on one thread; it
     * answers queries of the vchannel when this node does not own its pchannel. {@code handOver} runs a task on that
     * thread, between two messages.
     */
    public VchannelFollower follow(String vchannel, long collectionId, CollectionSchema schema,
                                   java.util.function.Consumer<Runnable> handOver) {
        VchannelFollower[] made = new VchannelFollower[1];
        made[0] = new VchannelFollower(vchannel, collectionId, schema, files, loaders, handOver,
                () -> followers.remove(vchannel, made[0]), held);
        VchannelFollower before = followers.put(vchannel, made[0]);
        if (before != null) {
            before.close();
        }
        return made[0];
    }

    GrowingSegmentBytes held() {
        return held;
    }

    void serve(String pchannel, PchannelDelegator d) {
        serving.put(pchannel, d);
    }

    void forget(String pchannel, PchannelDelegator d) {
        serving.remove(pchannel, d);
    }

    /**
     * Answers a query of one vchannel.
     *
     * @param deadlineNanos the caller's deadline ({@link System#nanoTime()} based)
     */
    public CompletableFuture<ShardQueryResponse> query(ShardQueryRequest request, long deadlineNanos) {
        Target t;
        try {
            t = target(request.getRead());
            if (request.getPksCase() == ShardQueryRequest.PksCase.INT_PKS && t.keyType != DataType.INT64
                    || request.getPksCase() == ShardQueryRequest.PksCase.STRING_PKS && t.keyType != DataType.VARCHAR) {
                throw StreamingException.invalidArgument("the primary key of collection " + t.collectionId()
                        + " is " + t.keyType + ": give keys of that type");
            }
        } catch (StreamingException e) {
            return CompletableFuture.failedFuture(e);
        }
        return fresh(t, request.getRead(), deadlineNanos).thenApplyAsync(readAt -> ShardReader.query(request, t.schema,
                sources(t), readAt, config.maxRows()), queries);
    }

    /** Answers a vector search of one vchannel; see {@link #query}. */
    public CompletableFuture<ShardSearchResponse> search(ShardSearchRequest request, long deadlineNanos) {
        Target t;
        try {
            t = target(request.getRead());
        } catch (StreamingException e) {
            return CompletableFuture.failedFuture(e);
        }
        return fresh(t, request.getRead(), deadlineNanos).thenApplyAsync(readAt -> ShardReader.search(request, t.schema,
                sources(t), readAt, config.maxTopK()), queries);
    }

    /**
     * What a query reads: the vchannel's delegator (the owner's, else a replica's), its tsafe and how to wake what
     * advances it, the STRONG guarantee as of the query's arrival, the collection's current schema.
     *
     * @param delegator finds the delegator once the data is fresh enough, not before: the owner's makes a vchannel's
     *                  delegator when it applies the vchannel's first rows, which may come after the query arrived
     */
    record Target(java.util.function.Supplier<ShardDelegator> delegator, Tsafe tsafe, Runnable wake, long strong,
                  long collectionId, CollectionSchema schema, DataType keyType, String vchannel) {
    }

    Target target(ShardRead read) {
        String vchannel = read.getVchannel();
        Vchannels.validateVchannel(vchannel);
        PchannelDelegator p = serving.get(Vchannels.pchannelOf(vchannel));
        if (p == null) {
            VchannelFollower f = followers.get(vchannel);
            if (f != null) {
                return replicaTarget(f, read);
            }
            throw new StreamingException(ErrorCode.CHANNEL_NOT_EXIST, "pchannel " + Vchannels.pchannelOf(vchannel)
                    + " is not served here (or is still recovering), nor is a replica of " + vchannel);
        }
        long strong = strongGuarantee(p, read); // before anything else: see the class comment
        CollectionShard c = p.collection(vchannel);
        if (c == null || c.collectionId() != read.getCollectionId() || c.isDropped()) {
            throw new StreamingException(ErrorCode.NOT_FOUND, "collection " + read.getCollectionId()
                    + " has no shard on vchannel " + vchannel + (c != null && c.isDropped() ? " (dropped)" : ""));
        }
        CollectionSchema schema = c.schema(c.schemaVersion());
        long collectionId = c.collectionId();
        return new Target(() -> {
            ShardDelegator shard = p.shard(vchannel);
            return shard != null && shard.collectionId == collectionId ? shard : null;
        }, p.tsafe(), p::wake, strong, collectionId, schema, CollectionSchemas.primaryKey(schema).getType(), vchannel);
    }

    private long strongGuarantee(PchannelDelegator p, ShardRead read) {
        if (read.getConsistency() != ConsistencyLevel.STRONG
                && read.getConsistency() != ConsistencyLevel.CONSISTENCY_LEVEL_UNSPECIFIED) {
            return 0;
        }
        return soleWriter ? p.lastTimeTick() : timestamps.getAsLong();
    }

    /** A replica's STRONG guarantee is a fresh timestamp: the owner may have acknowledged anything before it. */
    private Target replicaTarget(VchannelFollower f, ShardRead read) {
        if (f.collectionId != read.getCollectionId() || f.isDropped()) {
            throw new StreamingException(ErrorCode.NOT_FOUND, "collection " + read.getCollectionId()
                    + " has no shard on vchannel " + f.vchannel + (f.isDropped() ? " (dropped)" : ""));
        }
        if (!f.isLoaded()) {
            throw new StreamingException(ErrorCode.CHANNEL_NOT_EXIST, "the replica of " + f.vchannel
                    + " here is still reading its sealed segments");
        }
        long strong = read.getConsistency() == ConsistencyLevel.STRONG
                || read.getConsistency() == ConsistencyLevel.CONSISTENCY_LEVEL_UNSPECIFIED ? timestamps.getAsLong() : 0;
        CollectionSchema schema = f.schema();
        return new Target(() -> f.shard, f.tsafe, () -> { }, strong, f.collectionId, schema,
                CollectionSchemas.primaryKey(schema).getType(), f.vchannel);
    }

    /** Completes with the time tick to read at, once the data is as fresh as {@code read} asks. */
    CompletableFuture<Long> fresh(Target t, ShardRead read, long deadlineNanos) {
        long guarantee = switch (read.getConsistency()) {
            case EVENTUALLY -> 0;
            case SESSION -> read.getGuaranteeTimeTick();
            case BOUNDED -> HybridTimestamps.compose(Math.max(0, clock.millis() - config.boundedStaleness().toMillis()), 0);
            case STRONG, CONSISTENCY_LEVEL_UNSPECIFIED, UNRECOGNIZED -> t.strong;
        };
        long wait = Math.min(deadlineNanos - System.nanoTime(), config.maxWait().toNanos());
        Tsafe tsafe = t.tsafe;
        if (tsafe.get() >= guarantee) {
            return CompletableFuture.completedFuture(tsafe.get());
        }
        if (wait <= 0) {
            return CompletableFuture.failedFuture(new StreamingException(ErrorCode.TIMEOUT, "vchannel " + t.vchannel + ": no time left to"
                    + " wait for time tick " + guarantee + " (" + read.getConsistency() + ")"));
        }
        CompletableFuture<Long> reached = tsafe.await(guarantee, wait, timer, "vchannel " + t.vchannel + " ("
                + read.getConsistency() + ")");
        t.wake.run();
        return reached.thenApply(x -> tsafe.get());
    }


    /** Snapshots of the vchannel's segments; taken after tsafe was read, as {@link HeldSegment} requires. */
    static List<ShardReader.Source> sources(Target t) {
        ShardDelegator delegator = t.delegator.get();
        if (delegator == null) {
            return List.of();
        }
        List<ShardReader.Source> out = new ArrayList<>();
        for (HeldSegment s : delegator.segments()) {
            out.add(s.source(t.schema));
        }
        return out;
    }
}
