package io.tidelog.flush;

import static io.tidelog.node.testing.CollectionMessages.createCollection;
import static io.tidelog.node.testing.CollectionMessages.delete;
import static io.tidelog.node.testing.CollectionMessages.insert;
import static io.tidelog.node.testing.CollectionMessages.manualFlush;
import static io.tidelog.node.testing.CollectionMessages.rows;
import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MutableMessage;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.MetaStores;
import io.tidelog.node.AppendResult;
import io.tidelog.node.NodeConfig;
import io.tidelog.node.StreamingWal;
import io.tidelog.node.WalStatus;
import io.tidelog.node.extension.DedupConfig;
import io.tidelog.node.extension.ExtensionChain;
import io.tidelog.node.recovery.Checkpoint;
import io.tidelog.node.recovery.MetaRecoveryStore;
import io.tidelog.node.shard.GrowingSegmentBytes;
import io.tidelog.node.shard.ShardConfig;
import io.tidelog.node.txn.TxnConfig;
import io.tidelog.objectstore.ObjectStore;
import io.tidelog.objectstore.ObjectStores;
import io.tidelog.parquet.ParquetConfig;
import io.tidelog.proto.BeginTxnHeader;
import io.tidelog.proto.CommitTxnHeader;
import io.tidelog.proto.MessageType;
import io.tidelog.tso.TimestampAllocator;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.LogRecord;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalScanner;
import io.tidelog.wal.memory.MemoryStorage;
import io.tidelog.wal.memory.MemoryWalBackend;
import io.tidelog.wal.memory.MemoryWalConfig;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole recovery path of one pchannel with the node's real extensions, the embedded meta store and a
 * directory object store, over the memory WAL (which simulates a crash): a reopen replays exactly the log
 * after the last persisted checkpoint, and the rows of the segments not yet flushed at the crash still reach
 * the Parquet files, once.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class BoundedRecoveryTest {
    static final String P = "pch-1";
    static final String V = "pch-1_100v0";
    static final int ROWS_PER_INSERT = 10;

    @TempDir
    Path dir;
    final MemoryStorage storage = new MemoryStorage();
    MemoryWalBackend backend = new MemoryWalBackend(MemoryWalConfig.defaults(), storage);
    MetaStore meta;
    ObjectStore objects;
    final ScheduledExecutorService io = Executors.newScheduledThreadPool(2);
    final ExecutorService continuations = Executors.newSingleThreadExecutor();
    final TimestampAllocator tso = new io.tidelog.node.testing.WallClockTimestamps();
    ShardConfig shardConfig;
    StreamingWal wal;
    long term;
    long nextId = 1;

    @BeforeEach
    void start() {
        meta = MetaStores.create("embedded", Map.of("meta.embedded.dir", dir.resolve("meta").toString()));
        objects = ObjectStores.open("file:" + dir.resolve("objects"), Map.of());
        int oneInsert = insert(V, 100, rows(1, ROWS_PER_INSERT, 1, 8)).payload().size();
        // A segment takes three inserts: segments seal and flush all the time.
        shardConfig = ShardConfig.from(Map.of("shard.segment.max.bytes", Integer.toString(3 * oneInsert + oneInsert / 2)));
    }

    @AfterEach
    void stop() throws Exception {
        if (wal != null) {
            wal.close();
        }
        io.shutdownNow();
        continuations.shutdownNow();
        io.awaitTermination(10, TimeUnit.SECONDS);
        objects.close();
        meta.close();
    }

    FlakyObjectStore flaky;
    FlusherConfig flusherConfig = FlusherConfig.defaults();
    Flusher flusher;

    StreamingWal open() {
        term++;
        flaky = new FlakyObjectStore(objects);
        SegmentUploader uploader = new SegmentUploader(flaky, dir.resolve("scratch"), ParquetConfig.defaults());
        flusher = new Flusher(P, flusherConfig, uploader, io);
        wal = StreamingWal.start(backend.open(OpenOptions.readWrite(P, term)), tso, NodeConfig.defaults(),
                new ExtensionChain(new ExtensionChain.Shared(DedupConfig.defaults(), TxnConfig.defaults(), shardConfig, tso,
                        InstantSource.system(), new GrowingSegmentBytes(shardConfig), continuations), p -> flusher)
                        .forPchannel(P).inOrder(),
                new MetaRecoveryStore(meta));
        return wal;
    }

    /** The node dies: appends not durable are lost, nothing is closed or persisted; a new node opens the pchannel. */
    void crashAndReopen() {
        backend.crash();
        backend = new MemoryWalBackend(MemoryWalConfig.defaults(), storage);
        open();
    }

    AppendResult append(MutableMessage m) throws Exception {
        try {
            return wal.append(m).get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw StreamingException.from(e.getCause());
        }
    }

    void insertOne() throws Exception {
        append(insert(V, 100, rows(1, ROWS_PER_INSERT, nextId, 8)));
        nextId += ROWS_PER_INSERT;
    }

    /** Records of earlier terms than the one served, from {@code from} on, read straight from the backend. */
    long recordsOfEarlierTermsFrom(Checkpoint from) throws Exception {
        return recordsFrom(from, term);
    }

    @Test
    void aCrashReplaysExactlyTheLogAfterTheLastCheckpointAndEveryRowStillReachesTheParquetFilesOnce() throws Exception {
        open();
        append(createCollection(V, 100, 1));
        for (int i = 0; i < 60; i++) {
            insertOne();
            if (i % 10 == 5) {
                append(delete(V, 100, nextId - 1, nextId - 2));
            }
        }
        Checkpoint persisted = awaitCheckpointWithin(12);
        int after = 7;
        for (int i = 0; i < after; i++) {
            insertOne();
        }
        long appended = wal.status().appended();

        crashAndReopen();

        WalStatus.Replay replay = wal.status().replay();
        long expected = recordsOfEarlierTermsFrom(persisted);
        assertThat(replay.from()).isEqualTo(persisted);
        assertThat(replay.messages()).as("records replayed").isEqualTo(expected);
        // The inserts after the checkpoint, the segments they opened and sealed, and the start of the segment
        // that was growing at the checkpoint: a small part of the log.
        assertThat(replay.messages()).isLessThan(appended / 4);

        AppendResult flushed = append(manualFlush(V, 100, 0));
        assertThat(flushed.flushedSegmentIds()).isNotEmpty();
        Map<Long, Integer> copies = rowCopies();
        assertThat(copies).hasSize((int) (nextId - 1));
        assertThat(copies.values()).containsOnly(1);
        assertThat(deletedKeys()).isEqualTo(12);
    }

    @Test
    void aTransactionCommittedBeforeACrashReachesParquetWholeAndOneOpenAtTheCrashNever() throws Exception {
        open();
        append(createCollection(V, 100, 1));
        insertOne();
        awaitCheckpointWithin(5);
        long committed = append(MutableMessage.builder(MessageType.BEGIN_TXN, V)
                .header(BeginTxnHeader.newBuilder().setKeepaliveMillis(60_000).build()).build()).txnId();
        long firstInTxn = nextId;
        for (int i = 0; i < 3; i++) {
            append(insert(V, 100, rows(1, ROWS_PER_INSERT, nextId, 8)).withTxn(committed, 0));
            nextId += ROWS_PER_INSERT;
        }
        append(MutableMessage.builder(MessageType.COMMIT_TXN, V).header(CommitTxnHeader.getDefaultInstance()).build()
                .withTxn(committed, 0));
        long open = append(MutableMessage.builder(MessageType.BEGIN_TXN, V)
                .header(BeginTxnHeader.newBuilder().setKeepaliveMillis(60_000).build()).build()).txnId();
        long neverVisible = 1_000_000;
        append(insert(V, 100, rows(1, ROWS_PER_INSERT, neverVisible, 8)).withTxn(open, 0));

        crashAndReopen();
        append(manualFlush(V, 100, 0));

        Map<Long, Integer> copies = rowCopies();
        for (long id = firstInTxn; id < firstInTxn + 3 * ROWS_PER_INSERT; id++) {
            assertThat(copies.get(id)).as("row %d of the committed transaction", id).isEqualTo(1);
        }
        assertThat(copies.keySet()).as("rows of the transaction open at the crash")
                .noneMatch(id -> id >= neverVisible && id < neverVisible + ROWS_PER_INSERT);
        assertThat(copies).hasSize((int) (nextId - 1));
    }

    /** Per row id, its copies in the collection's Parquet files (DuckDB reads them). */
    Map<Long, Integer> rowCopies() throws Exception {
        Map<Long, Integer> copies = new HashMap<>();
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
             Statement s = duck.createStatement()) {
            String segments = dir.resolve("objects") + "/collections/100/segments/*/data.parquet";
            try (ResultSet r = s.executeQuery("SELECT id, count(*) FROM read_parquet('" + segments + "') GROUP BY id")) {
                while (r.next()) {
                    copies.put(r.getLong(1), r.getInt(2));
                }
            }
        }
        return copies;
    }

    long deletedKeys() throws Exception {
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
             Statement s = duck.createStatement()) {
            String deleteLogs = dir.resolve("objects") + "/collections/100/deletes/*/*.parquet";
            try (ResultSet r = s.executeQuery("SELECT count(DISTINCT pk) FROM read_parquet('" + deleteLogs + "')")) {
                r.next();
                return r.getLong(1);
            }
        }
    }

    @Test
    void whileTheObjectStoreIsDownNothingIsLostTheCheckpointWaitsAndInsertsAreRefusedOnceTooMuchWaits() throws Exception {
        int oneInsert = insert(V, 100, rows(1, ROWS_PER_INSERT, 1, 8)).payload().size();
        flusherConfig = FlusherConfig.from(Map.of("flush.retry.backoff", "5ms", "flush.retry.max.backoff", "20ms",
                "flush.pending.max.bytes", Integer.toString(5 * oneInsert)));
        open();
        append(createCollection(V, 100, 1));
        insertOne();
        Checkpoint before = awaitCheckpointWithin(5);
        flaky.down.set(true);

        StreamingException refused = null;
        for (int i = 0; i < 40 && refused == null; i++) {
            try {
                insertOne();
            } catch (StreamingException e) {
                refused = e;
            }
        }

        assertThat(refused).as("an insert refused while uploads cannot proceed").isNotNull();
        assertThat(refused.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
        assertThat(flaky.refused.get()).isPositive();
        wal.checkpointNow();
        assertThat(wal.status().checkpoint()).as("the checkpoint stays before the rows not uploaded").isEqualTo(before);

        flaky.down.set(false);
        AppendResult flushed = append(manualFlush(V, 100, 0));
        assertThat(flushed.flushedSegmentIds()).isNotEmpty();
        assertThat(flusher.pendingBytes()).isZero();
        insertOne();
        append(manualFlush(V, 100, 0));

        Map<Long, Integer> copies = rowCopies();
        assertThat(copies).hasSize((int) (nextId - 1));
        assertThat(copies.values()).containsOnly(1);
    }

    /**
     * Persists checkpoints until the checkpoint lies at most {@code maxBehind} records before the end of the log
     * (the flusher uploaded the sealed segments and released them).
     */
    Checkpoint awaitCheckpointWithin(int maxBehind) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            wal.checkpointNow();
            Checkpoint cp = wal.status().checkpoint();
            if (cp != null && recordsFrom(cp) <= maxBehind) {
                return cp;
            }
            Thread.sleep(20); // polling the flusher's uploads, with a deadline
        }
        throw new AssertionError("the checkpoint did not move within 30 s: " + wal.status().checkpoint());
    }

    long recordsFrom(Checkpoint from) throws Exception {
        return recordsFrom(from, Long.MAX_VALUE);
    }

    /** Records from {@code from} on, up to the first of term {@code stopAtTerm} or the end of the log. */
    long recordsFrom(Checkpoint from, long stopAtTerm) throws Exception {
        long n = 0;
        try (Wal reader = backend.open(OpenOptions.readOnly(P));
             WalScanner s = reader.read(DeliverPolicy.startFrom(from.messageId()))) {
            LogRecord r;
            while ((r = s.poll(Duration.ofMillis(200))) != null
                    && ImmutableMessage.decode(r.id(), r.payload()).term() < stopAtTerm) {
                n++;
            }
        }
        return n;
    }
}
