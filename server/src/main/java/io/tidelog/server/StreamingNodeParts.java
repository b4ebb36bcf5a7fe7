package io.tidelog.server;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.tidelog.common.Closeables;
import io.tidelog.delegator.Delegators;
import io.tidelog.delegator.QueryConfig;
import io.tidelog.flush.Flusher;
import io.tidelog.flush.FlusherConfig;
import io.tidelog.flush.SegmentUploader;
import io.tidelog.message.MessageLimits;
import io.tidelog.meta.MetaStore;
import io.tidelog.node.NodeConfig;
import io.tidelog.node.WalExtension;
import io.tidelog.node.WalManager;
import io.tidelog.node.WalMetrics;
import io.tidelog.node.extension.DedupConfig;
import io.tidelog.node.extension.ExtensionChain;
import io.tidelog.node.recovery.MetaRecoveryStore;
import io.tidelog.node.retention.MetaSubscriptionStore;
import io.tidelog.node.retention.Retention;
import io.tidelog.node.retention.RetentionConfig;
import io.tidelog.node.shard.GrowingSegmentBytes;
import io.tidelog.node.shard.ShardConfig;
import io.tidelog.node.shard.ShardManager;
import io.tidelog.node.txn.TxnConfig;
import io.tidelog.objectstore.ObjectStore;
import io.tidelog.parquet.ParquetConfig;
import io.tidelog.tso.TimestampAllocator;
import io.tidelog.wal.WalBackend;
import java.io.IOException;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;

/**
 * The streaming node's side of a server process: the WALs of the pchannels it serves, each with the node's
 * extensions and flusher, and the node's gRPC services, started over what the process gives it.
 *
 * <p>Given, and owned by the caller, who closes them after these parts: the {@link WalBackend} (created and checked
 * against the process's meta store by the caller, whose policy that check is), the {@link MetaStore} (recovery
 * checkpoints and subscriptions), the {@link TimestampAllocator} and the {@link ObjectStore} of flushed segments.
 *
 * <p>Start order: retention, growing-segment bytes, txn continuations, segment uploader and flush threads, query
 * threads and their timer with the delegators, the {@link WalManager}, the gRPC result and consume pools; node control's call and heartbeat pools when it is
 * served ({@link #addServices(NettyServerBuilder, LongSupplier)}). {@link #close()} stops in reverse order. Thread-safe.
 */
final class StreamingNodeParts implements AutoCloseable {
    /** Backends whose logs only this process writes: STRONG queries may read at the last published time tick. */
    private static final java.util.Set<String> SOLE_WRITER_BACKENDS = java.util.Set.of("local", "memory");
    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final MessageLimits limits;
    private final int maxConsumers;
    private final Retention retention;
    /** The collection shards of every pchannel served, for segment listings. */
    private final Map<String, ShardManager> shards = new ConcurrentHashMap<>();
    /** The extensions of every pchannel served (of its latest open), for their gauges. */
    private final Map<String, List<WalExtension>> extensions = new ConcurrentHashMap<>();
    private WalManager wals;
    private ExecutorService completions;
    private ExecutorService consumers;
    private ExecutorService produceWaits;
    private Delegators delegators;
    private boolean closed;

    /** The node components' configurations, each validated once. */
    record Configs(MessageLimits limits, NodeConfig node, TxnConfig txn, DedupConfig dedup, RetentionConfig retention,
                   ShardConfig shard, FlusherConfig flusher, ParquetConfig parquet, QueryConfig query) {
        /** Each component's keys out of a process's configuration; a bad value fails with {@code INVALID_ARGUMENT}. */
        static Configs from(Map<String, String> p) {
            return new Configs(MessageLimits.from(ConfigKeys.only(p, MessageLimits.PREFIX)),
                    NodeConfig.from(ConfigKeys.only(p, NodeConfig.PREFIX)),
                    TxnConfig.from(ConfigKeys.only(p, TxnConfig.PREFIX)),
                    DedupConfig.from(ConfigKeys.only(p, DedupConfig.PREFIX)),
                    RetentionConfig.from(ConfigKeys.only(p, RetentionConfig.PREFIX)),
                    ShardConfig.from(ConfigKeys.only(p, ShardConfig.PREFIX)),
                    FlusherConfig.from(ConfigKeys.only(p, FlusherConfig.PREFIX)),
                    ParquetConfig.from(ConfigKeys.only(p, ParquetConfig.PREFIX)),
                    QueryConfig.from(ConfigKeys.only(p, QueryConfig.PREFIX)));
        }
    }

    private StreamingNodeParts(Configs configs, int maxConsumers, MetaStore meta) {
        this.limits = configs.limits();
        this.maxConsumers = maxConsumers;
        this.retention = new Retention(configs.retention(), new MetaSubscriptionStore(meta), InstantSource.system());
    }

    /**
     * Starts the node's parts in order; on a failure closes those started and rethrows.
     *
     * @param dataDir    where files being written before their upload are kept ({@code flush-scratch})
     * @param maxConsumers concurrent consume streams; beyond, {@code RESOURCE_EXHAUSTED}
     */
    static StreamingNodeParts start(WalBackend backend, MetaStore meta, TimestampAllocator tso, ObjectStore objects,
                                    Configs configs, int maxConsumers, Path dataDir) throws IOException {
        return start(backend, meta, tso, objects, configs, maxConsumers, dataDir, WalMetrics.Factory.NONE);
    }

    /** Starts the node's parts as above, each pchannel's WAL reporting its appends to {@code metrics}. */
    static StreamingNodeParts start(WalBackend backend, MetaStore meta, TimestampAllocator tso, ObjectStore objects,
                                    Configs configs, int maxConsumers, Path dataDir, WalMetrics.Factory metrics)
            throws IOException {
        StreamingNodeParts parts = new StreamingNodeParts(configs, maxConsumers, meta);
        try {
            parts.startAll(backend, meta, tso, objects, configs, dataDir, metrics);
            return parts;
        } catch (RuntimeException | IOException e) {
            Closeables.closeQuietly(parts, e);
            throw e;
        }
    }

    private synchronized void startAll(WalBackend backend, MetaStore meta, TimestampAllocator tso, ObjectStore objects,
                                       Configs configs, Path dataDir, WalMetrics.Factory metrics) throws IOException {
        GrowingSegmentBytes growing = new GrowingSegmentBytes(configs.shard());
        // Work that follows a WAL acknowledgement (a commit that waited for its bodies, rollbacks after a DDL)
        // runs here, never on a backend's writer thread; it outlives the WALs.
        ExecutorService txnContinuations = Executors.newSingleThreadExecutor(ServerExecutors.daemon("txn-continuation"));
        started.push(() -> ServerExecutors.shutdown(txnContinuations));

        FlusherConfig flusherConfig = configs.flusher();
        SegmentUploader uploader = new SegmentUploader(objects, dataDir.resolve("flush-scratch"), configs.parquet());
        // Uploads of every pchannel's flusher; they outlive the WALs (which stop handing them work first).
        ScheduledExecutorService flushThreads = Executors.newScheduledThreadPool(flusherConfig.threads(),
                ServerExecutors.daemon("flush"));
        started.push(() -> ServerExecutors.shutdown(flushThreads));
        // Queries: their threads and the timer of their deadlines outlive the WALs, whose delegators they read.
        ExecutorService queryThreads = Executors.newFixedThreadPool(configs.query().threads(),
                ServerExecutors.daemon("query"));
        started.push(() -> ServerExecutors.shutdown(queryThreads));
        ScheduledExecutorService queryTimer = Executors.newSingleThreadScheduledExecutor(ServerExecutors.daemon("query-timer"));
        started.push(() -> ServerExecutors.shutdown(queryTimer));
        // Sealed segments are read from object storage here, off every pchannel's apply thread.
        ScheduledExecutorService segmentLoaders = Executors.newScheduledThreadPool(2, ServerExecutors.daemon("segment-load"));
        started.push(() -> ServerExecutors.shutdown(segmentLoaders));
        delegators = new Delegators(configs.query(), queryThreads, queryTimer, segmentLoaders, InstantSource.system(),
                tso::next, objects, dataDir.resolve("segment-cache"), growing, SOLE_WRITER_BACKENDS.contains(backend.name()));
        // Each pchannel's WAL carries the node's extensions in their one order (ExtensionChain says why).
        ExtensionChain chain = new ExtensionChain(new ExtensionChain.Shared(configs.dedup(), configs.txn(),
                configs.shard(), tso, InstantSource.system(), growing, txnContinuations),
                pchannel -> new Flusher(pchannel, flusherConfig, uploader, flushThreads,
                        metrics.forPchannel(pchannel)::uploadRetried), delegators::forPchannel);
        wals = new WalManager(backend, tso, configs.node(), pchannel -> {
            ExtensionChain.Extensions extensions = chain.forPchannel(pchannel);
            shards.put(pchannel, extensions.shards());
            this.extensions.put(pchannel, extensions.inOrder());
            return extensions.inOrder();
        }, new MetaRecoveryStore(meta), retention, metrics);
        started.push(wals);

        completions = Executors.newFixedThreadPool(2, ServerExecutors.daemon("grpc-results"));
        started.push(() -> ServerExecutors.shutdown(completions));
        consumers = Executors.newCachedThreadPool(ServerExecutors.daemon("consume"));
        started.push(() -> ServerExecutors.shutdown(consumers));
        // At most one task per produce stream at a time (a stream reads its next request when the last is done).
        produceWaits = Executors.newCachedThreadPool(ServerExecutors.daemon("produce-waits"));
        started.push(() -> ServerExecutors.shutdown(produceWaits));
    }

    /** The WALs of the pchannels this node serves. */
    WalManager wals() {
        return wals;
    }

    /** The node's delegators: the owner's of every pchannel served, and the replicas. */
    Delegators delegators() {
        return delegators;
    }

    /** The collection shards of every pchannel served (a live, read-only view), for segment listings. */
    Map<String, ShardManager> shards() {
        return Collections.unmodifiableMap(shards);
    }

    /** The extensions of {@code pchannel}'s latest open (empty if never opened here). */
    List<WalExtension> extensions(String pchannel) {
        return extensions.getOrDefault(pchannel, List.of());
    }

    Retention retention() {
        return retention;
    }

    /** Where gRPC calls complete (two threads), for the process's other services too; lives as long as these parts. */
    Executor grpcResults() {
        return completions;
    }

    /**
     * Adds the node's services ({@code StreamingNode} with its subscriptions) to a server not yet built, and has its
     * produce calls run on their transport threads ({@link StreamingNodeService#PRODUCE_ON_TRANSPORT}).
     */
    void addServices(NettyServerBuilder server) {
        server.callExecutor(StreamingNodeService.PRODUCE_ON_TRANSPORT);
        server.addService(new StreamingNodeService(wals, limits, consumers, maxConsumers,
                new SubscriptionRpcs(wals, retention.subscriptions(), consumers), produceWaits).definition());
        server.addService(new QueryRpcs(delegators));
    }

    /**
     * Adds the node's services and {@code NodeControl}: the leader coordinator's assigns, removes and heartbeats, each
     * answered only when meant for {@code session}'s current value (0 while the node has no session). Call once; its
     * pools are the first to stop when these parts close.
     */
    synchronized void addServices(NettyServerBuilder server, LongSupplier session) {
        if (closed) {
            throw new IllegalStateException("the node's parts are closed");
        }
        addServices(server);
        // The node's calls from the coordinator run here, one thread per open, so that no recovery waits for another.
        ExecutorService calls = Executors.newCachedThreadPool(ServerExecutors.daemon("node-control"));
        started.push(() -> ServerExecutors.shutdown(calls));
        ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor(ServerExecutors.daemon("node-beats"));
        started.push(() -> ServerExecutors.shutdown(beats));
        server.addService(new NodeControlService(wals, session, calls, beats));
    }

    /**
     * Stops in reverse start order: the pools of gRPC calls, the WALs (accepted appends complete, consume streams
     * end with {@code ON_SHUTDOWN}), the flush threads, the txn continuations. Idempotent.
     */
    @Override
    public synchronized void close() {
        closed = true;
        List<AutoCloseable> order = List.copyOf(started);
        started.clear();
        Closeables.closeAll(order);
    }
}
