package io.tidelog.node.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MutableMessage;
import io.tidelog.node.AppendResult;
import io.tidelog.node.NodeConfig;
import io.tidelog.node.StreamingWal;
import io.tidelog.node.extension.VchannelLocks;
import io.tidelog.node.recovery.RecoveryStore;
import io.tidelog.node.scan.MessageScanner;
import io.tidelog.node.scan.ReadOptions;
import io.tidelog.node.testing.CollectionMessages;
import io.tidelog.proto.AlterCollectionBody;
import io.tidelog.proto.AlterCollectionHeader;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.Column;
import io.tidelog.proto.CreateCollectionBody;
import io.tidelog.proto.CreateCollectionHeader;
import io.tidelog.proto.CreatePartitionBody;
import io.tidelog.proto.CreatePartitionHeader;
import io.tidelog.proto.DataType;
import io.tidelog.proto.DeleteBody;
import io.tidelog.proto.DeleteHeader;
import io.tidelog.proto.DropCollectionHeader;
import io.tidelog.proto.DropPartitionHeader;
import io.tidelog.proto.FieldSchema;
import io.tidelog.proto.FloatVectorArray;
import io.tidelog.proto.InsertBody;
import io.tidelog.proto.InsertHeader;
import io.tidelog.proto.Int64Array;
import io.tidelog.proto.ManualFlushHeader;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.Partition;
import io.tidelog.proto.RawHeader;
import io.tidelog.proto.StringArray;
import io.tidelog.tso.HybridTimestamps;
import io.tidelog.tso.TimestampAllocator;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.memory.MemoryStorage;
import io.tidelog.wal.memory.MemoryWalBackend;
import io.tidelog.wal.memory.MemoryWalConfig;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Streaming WALs over the memory backend with {@link VchannelLocks} and a {@link ShardManager} (as the
 * standalone server chains them), a clock the test moves, a TSO that follows it, and message builders
 * for a small schema: {@code id} INT64 primary key, {@code title} VARCHAR(64), {@code emb} FLOAT_VECTOR(2).
 */
final class ShardFixture implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(10);
    static final CollectionSchema SCHEMA = CollectionMessages.SCHEMA;

    /** A clock that moves only when told. */
    static final class ManualClock implements InstantSource {
        private final AtomicLong millis;

        ManualClock(Instant start) {
            millis = new AtomicLong(start.toEpochMilli());
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.get());
        }

        @Override
        public long millis() {
            return millis.get();
        }

        void advance(Duration d) {
            millis.addAndGet(d.toMillis());
        }
    }

    /** Hybrid timestamps on the manual clock, strictly increasing: the physical part is the clock's time. */
    static final class ClockTso implements TimestampAllocator {
        private final InstantSource clock;
        private long last;

        ClockTso(InstantSource clock) {
            this.clock = clock;
        }

        @Override
        public synchronized long allocate(int count) {
            long first = Math.max(last + 1, HybridTimestamps.compose(clock.millis(), 0));
            last = first + count - 1;
            return first;
        }
    }

    final MemoryStorage storage = new MemoryStorage();
    MemoryWalBackend backend = new MemoryWalBackend(MemoryWalConfig.defaults(), storage);
    final ManualClock clock = new ManualClock(Instant.parse("2030-01-01T00:00:00Z"));
    final ClockTso tso = new ClockTso(clock);
    final ShardConfig config;
    /** The node's growing bytes: a new node (after a crash) starts a new one. */
    GrowingSegmentBytes nodeBytes;
    /** Where the WALs persist their checkpoints: none unless a test sets one. */
    RecoveryStore recovery = RecoveryStore.NONE;
    private final Map<String, Long> terms = new HashMap<>();
    private final Map<String, StreamingWal> wals = new HashMap<>();
    private final Map<String, ShardManager> shards = new HashMap<>();

    ShardFixture(Map<String, String> shardProperties) {
        config = ShardConfig.from(shardProperties);
        nodeBytes = new GrowingSegmentBytes(config);
    }

    ShardFixture() {
        this(Map.of());
    }

    /** Opens (or reopens, at the next term) {@code pchannel}: replay, then serve. */
    StreamingWal open(String pchannel) {
        StreamingWal old = wals.remove(pchannel);
        if (old != null) {
            old.close();
        }
        long term = terms.merge(pchannel, 1L, Long::sum);
        ShardManager s = new ShardManager(pchannel, config, tso, clock, nodeBytes);
        StreamingWal w = StreamingWal.start(backend.open(OpenOptions.readWrite(pchannel, term)), tso,
                NodeConfig.defaults(), List.of(new VchannelLocks(), s), recovery);
        wals.put(pchannel, w);
        shards.put(pchannel, s);
        return w;
    }

    /** Opens {@code pchannel} at the next term without any extension: appends go to the log unchecked. */
    StreamingWal openWithoutExtensions(String pchannel) {
        StreamingWal old = wals.remove(pchannel);
        if (old != null) {
            old.close();
        }
        long term = terms.merge(pchannel, 1L, Long::sum);
        StreamingWal w = StreamingWal.start(backend.open(OpenOptions.readWrite(pchannel, term)), tso,
                NodeConfig.defaults(), List.of());
        wals.put(pchannel, w);
        shards.remove(pchannel);
        return w;
    }

    /**
     * Simulates a crash of the node (appends not yet durable are lost, nothing is closed) and starts a
     * new one over the same storage, with a new account of growing bytes; reopens every pchannel.
     */
    void crashAndRestart() {
        backend.crash();
        backend = new MemoryWalBackend(MemoryWalConfig.defaults(), storage);
        nodeBytes = new GrowingSegmentBytes(config);
        List<String> open = new ArrayList<>(wals.keySet());
        wals.clear();
        shards.clear();
        open.forEach(this::open);
    }

    StreamingWal wal(String pchannel) {
        return wals.get(pchannel);
    }

    ShardManager shards(String pchannel) {
        return shards.get(pchannel);
    }

    @Override
    public void close() {
        wals.values().forEach(StreamingWal::close);
        backend.close();
    }

    // ---- appending ----

    static AppendResult await(CompletableFuture<AppendResult> f) {
        try {
            return f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw StreamingException.from(e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("append did not complete in " + WAIT, e);
        }
    }

    AppendResult append(MutableMessage m) {
        return await(wal(m.pchannel()).append(m));
    }

    /** Appends {@code m} expecting INVALID_ARGUMENT with a message containing every part. */
    void rejected(MutableMessage m, String... parts) {
        assertThatThrownBy(() -> append(m)).isInstanceOfSatisfying(StreamingException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT)).hasMessageContainingAll(parts);
    }

    /**
     * Every message of {@code pchannel} but TimeTicks, in log order, up to now: appends a marker (Raw,
     * vchannel {@code <pchannel>_marker}) and reads until it. Once the marker is acknowledged, every
     * message before it has been published, and observed by the extensions.
     */
    List<ImmutableMessage> log(String pchannel) {
        AppendResult marker = append(raw(pchannel + "_marker", "marker"));
        List<ImmutableMessage> out = new ArrayList<>();
        try (MessageScanner s = wal(pchannel).read(ReadOptions.from(DeliverPolicy.all()))) {
            while (true) {
                ImmutableMessage m = s.poll(WAIT);
                if (m == null) {
                    throw new AssertionError("the marker " + marker.id() + " was not read within " + WAIT);
                }
                if (m.id().equals(marker.id())) {
                    return out;
                }
                if (m.type() != MessageType.TIME_TICK && !m.vchannel().endsWith("_marker")) {
                    out.add(m);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The log of the vchannel's pchannel, only this vchannel's messages, as "TYPE" strings. */
    List<String> types(String vchannel) {
        return log(vchannel.substring(0, vchannel.indexOf('_'))).stream().filter(m -> m.vchannel().equals(vchannel))
                .map(m -> m.type().name()).toList();
    }

    List<ImmutableMessage> messages(String vchannel, Predicate<ImmutableMessage> which) {
        return log(vchannel.substring(0, vchannel.indexOf('_'))).stream()
                .filter(m -> m.vchannel().equals(vchannel) && which.test(m)).toList();
    }

    /** Emits a TimeTick on {@code pchannel} now: the seal policies run. */
    void tick(String pchannel) {
        wal(pchannel).tick();
    }

    // ---- messages (see CollectionMessages) ----

    static MutableMessage raw(String vchannel, String text) {
        return CollectionMessages.raw(vchannel, text);
    }

    static MutableMessage createCollection(String vchannel, long collection, CollectionSchema schema, long... partitions) {
        return CollectionMessages.createCollection(vchannel, collection, schema, partitions);
    }

    static MutableMessage createCollection(String vchannel, long collection, long... partitions) {
        return CollectionMessages.createCollection(vchannel, collection, partitions);
    }

    static MutableMessage dropCollection(String vchannel, long collection) {
        return CollectionMessages.dropCollection(vchannel, collection);
    }

    static MutableMessage createPartition(String vchannel, long collection, long partition) {
        return CollectionMessages.createPartition(vchannel, collection, partition);
    }

    static MutableMessage dropPartition(String vchannel, long collection, long partition) {
        return CollectionMessages.dropPartition(vchannel, collection, partition);
    }

    static MutableMessage alterCollection(String vchannel, long collection, CollectionSchema schema) {
        return CollectionMessages.alterCollection(vchannel, collection, schema);
    }

    static MutableMessage manualFlush(String vchannel, long collection, long flushTimeTick) {
        return CollectionMessages.manualFlush(vchannel, collection, flushTimeTick);
    }

    static MutableMessage delete(String vchannel, long collection, long... keys) {
        return CollectionMessages.delete(vchannel, collection, keys);
    }

    static InsertBody rows(long partition, int rows, long firstId, int titleBytes) {
        return CollectionMessages.rows(partition, rows, firstId, titleBytes);
    }

    static MutableMessage insert(String vchannel, long collection, InsertBody body) {
        return CollectionMessages.insert(vchannel, collection, body);
    }

    static MutableMessage insert(String vchannel, long collection, long partition, int rows) {
        return CollectionMessages.insert(vchannel, collection, partition, rows);
    }
}
