package io.tidelog.delegator;

import static io.tidelog.node.testing.CollectionMessages.createCollection;
import static io.tidelog.node.testing.CollectionMessages.delete;
import static io.tidelog.node.testing.CollectionMessages.insert;
import static io.tidelog.node.testing.CollectionMessages.manualFlush;
import static io.tidelog.node.testing.CollectionMessages.rows;
import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.common.StreamingException;
import io.tidelog.flush.Flusher;
import io.tidelog.flush.FlusherConfig;
import io.tidelog.flush.SegmentUploader;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MutableMessage;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.MetaStores;
import io.tidelog.node.NodeConfig;
import io.tidelog.node.StreamingWal;
import io.tidelog.node.extension.DedupConfig;
import io.tidelog.node.extension.ExtensionChain;
import io.tidelog.node.recovery.MetaRecoveryStore;
import io.tidelog.node.scan.MessageScanner;
import io.tidelog.node.scan.ReadOptions;
import io.tidelog.node.shard.GrowingSegmentBytes;
import io.tidelog.node.shard.ShardConfig;
import io.tidelog.node.testing.CollectionMessages;
import io.tidelog.node.txn.TxnConfig;
import io.tidelog.objectstore.ObjectStore;
import io.tidelog.objectstore.ObjectStores;
import io.tidelog.parquet.ParquetConfig;
import io.tidelog.proto.ConsistencyLevel;
import io.tidelog.proto.ShardQueryRequest;
import io.tidelog.proto.ShardQueryResponse;
import io.tidelog.proto.ShardRead;
import io.tidelog.testing.Seeds;
import io.tidelog.tso.TimestampAllocator;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.memory.MemoryStorage;
import io.tidelog.wal.memory.MemoryWalBackend;
import io.tidelog.wal.memory.MemoryWalConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pchannel's delegator through crashes, with the node's real extensions and flusher over the memory WAL (which
 * loses what was not durable), the embedded meta store and a directory object store: after each reopen a STRONG
 * query answers exactly the rows alive in the model — also when replay starts in the middle of segments flushed long
 * ago — and so does a replica fed by a reader of the vchannel.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DelegatorRecoveryTest {
    static final String P = "pch-1";
    static final String V = "pch-1_100v0";
    static final long COLLECTION = 100;

    @RegisterExtension
    final Seeds seeds = new Seeds();
    @TempDir
    Path dir;
    final MemoryStorage storage = new MemoryStorage();
    MemoryWalBackend backend = new MemoryWalBackend(MemoryWalConfig.defaults(), storage);
    MetaStore meta;
    ObjectStore objects;
    final ScheduledExecutorService io = Executors.newScheduledThreadPool(2);
    final ExecutorService continuations = Executors.newSingleThreadExecutor();
    final ExecutorService queryThreads = Executors.newFixedThreadPool(2);
    final TimestampAllocator tso = new io.tidelog.node.testing.WallClockTimestamps();
    ShardConfig shardConfig;
    GrowingSegmentBytes growing;
    Delegators delegators;
    volatile StreamingWal wal;
    long term;
    /** The primary keys alive, as the appends acknowledged so far make them. */
    final TreeSet<Long> alive = new TreeSet<>();
    long nextId = 1;

    @BeforeEach
    void start() {
        meta = MetaStores.create("embedded", Map.of("meta.embedded.dir", dir.resolve("meta").toString()));
        objects = ObjectStores.open("file:" + dir.resolve("objects"), Map.of());
        // A segment takes a few inserts: segments seal and flush all the time.
        shardConfig = ShardConfig.from(Map.of("shard.segment.max.bytes", "2000"));
        growing = new GrowingSegmentBytes(shardConfig);
    }

    @AfterEach
    void stop() throws Exception {
        if (wal != null) {
            wal.close();
        }
        io.shutdownNow();
        continuations.shutdownNow();
        queryThreads.shutdownNow();
        io.awaitTermination(10, TimeUnit.SECONDS);
        objects.close();
        meta.close();
    }

    Delegators newDelegators(String cache) {
        return new Delegators(QueryConfig.from(Map.of("query.max.wait", "20s")), queryThreads, io, io,
                InstantSource.system(), tso::next, objects, dir.resolve(cache), growing, false);
    }

    /** As a node's ticker does: a TimeTick every 50 ms, which a replica's tsafe follows. */
    void startTicker() {
        io.scheduleWithFixedDelay(() -> {
            StreamingWal w = wal;
            if (w != null) {
                w.tick();
            }
        }, 50, 50, TimeUnit.MILLISECONDS);
    }

    void open() {
        term++;
        delegators = newDelegators("cache-" + term);
        SegmentUploader uploader = new SegmentUploader(objects, dir.resolve("scratch"), ParquetConfig.defaults());
        Flusher flusher = new Flusher(P, FlusherConfig.defaults(), uploader, io);
        wal = StreamingWal.start(backend.open(OpenOptions.readWrite(P, term)), tso, NodeConfig.defaults(),
                new ExtensionChain(new ExtensionChain.Shared(DedupConfig.defaults(), TxnConfig.defaults(), shardConfig, tso,
                        InstantSource.system(), growing, continuations), p -> flusher,
                        delegators::forPchannel).forPchannel(P).inOrder(),
                new MetaRecoveryStore(meta));
    }

    void crashAndReopen() {
        backend.crash();
        backend = new MemoryWalBackend(MemoryWalConfig.defaults(), storage);
        open();
    }

    void append(MutableMessage m) throws Exception {
        try {
            wal.append(m).get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw StreamingException.from(e.getCause());
        }
    }

    void insertSome(Random random) throws Exception {
        int n = 1 + random.nextInt(8);
        append(insert(V, COLLECTION, rows(1, n, nextId, 8)));
        for (int i = 0; i < n; i++) {
            alive.add(nextId++);
        }
    }

    void deleteSome(Random random) throws Exception {
        if (alive.isEmpty()) {
            return;
        }
        List<Long> keys = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            long k = 1 + random.nextInt((int) nextId);
            keys.add(k);
        }
        append(delete(V, COLLECTION, keys.stream().mapToLong(Long::longValue).toArray()));
        alive.removeAll(keys);
    }

    /** Every alive key, by a STRONG query of {@code on}, waiting while the pchannel recovers. */
    static List<Long> answer(Delegators on) throws Exception {
        ShardQueryRequest r = ShardQueryRequest.newBuilder().setRead(ShardRead.newBuilder().setVchannel(V)
                .setCollectionId(COLLECTION).setConsistency(ConsistencyLevel.STRONG)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                ShardQueryResponse a = on.query(r, System.nanoTime() + TimeUnit.SECONDS.toNanos(20)).get(30, TimeUnit.SECONDS);
                return a.getColumns(0).getInt64S().getValuesList();
            } catch (java.util.concurrent.ExecutionException e) {
                StreamingException s = StreamingException.from(e.getCause());
                if (!s.isWrongNode() || System.nanoTime() > deadline) {
                    throw s;
                }
                Thread.onSpinWait();
            }
        }
    }

    @Test
    void afterEveryCrashAStrongQueryAnswersExactlyTheRowsAliveAndSoDoesAReplica() throws Exception {
        long seed = seeds.seed();
        Random random = seeds.random();
        open();
        startTicker();
        append(createCollection(V, COLLECTION, 1));
        for (int round = 0; round < 4; round++) {
            for (int i = 0; i < 25; i++) {
                if (random.nextInt(4) == 0) {
                    deleteSome(random);
                } else {
                    insertSome(random);
                }
                if (random.nextInt(15) == 0) {
                    append(manualFlush(V, COLLECTION, 0));
                }
                if (random.nextInt(10) == 0) {
                    wal.checkpointNow(); // replay then starts here, in the middle of what was flushed before
                }
            }
            assertThat(answer(delegators)).as("seed %d, round %d, before the crash", seed, round)
                    .containsExactlyElementsOf(alive);
            crashAndReopen();
            assertThat(answer(delegators)).as("seed %d, round %d, after the crash", seed, round)
                    .containsExactlyElementsOf(alive);
        }

        Delegators replicaNode = newDelegators("replica-cache");
        LinkedBlockingQueue<Runnable> handOvers = new LinkedBlockingQueue<>();
        try (VchannelFollower replica = replicaNode.follow(V, COLLECTION, CollectionMessages.SCHEMA, handOvers::add);
             MessageScanner reader = wal.read(new ReadOptions(DeliverPolicy.all(), V, 0, 0, Set.of()))) {
            Thread feeder = new Thread(() -> {
                replica.loadSealed();
                try {
                    while (!Thread.currentThread().isInterrupted()) {
                        ImmutableMessage m = reader.poll(Duration.ofMillis(20));
                        if (m != null) {
                            replica.accept(m);
                        }
                        for (Runnable r; (r = handOvers.poll()) != null; ) {
                            r.run();
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "replica-feeder");
            feeder.start();
            try {
                assertThat(answer(replicaNode)).as("seed %d, the replica", seed).containsExactlyElementsOf(alive);
                for (int i = 0; i < 10; i++) {
                    insertSome(random);
                    deleteSome(random);
                }
                append(manualFlush(V, COLLECTION, 0));
                assertThat(answer(replicaNode)).as("seed %d, the replica after more writes", seed)
                        .containsExactlyElementsOf(alive);
            } finally {
                feeder.interrupt();
                feeder.join(10_000);
            }
        }
    }
}
