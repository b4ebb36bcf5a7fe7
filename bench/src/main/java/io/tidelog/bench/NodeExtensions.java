package io.tidelog.bench;

import io.tidelog.common.Closeables;
import io.tidelog.flush.Flusher;
import io.tidelog.flush.FlusherConfig;
import io.tidelog.flush.SegmentUploader;
import io.tidelog.node.WalExtension;
import io.tidelog.node.extension.DedupConfig;
import io.tidelog.node.extension.ExtensionChain;
import io.tidelog.node.shard.GrowingSegmentBytes;
import io.tidelog.node.shard.ShardConfig;
import io.tidelog.node.txn.TxnConfig;
import io.tidelog.objectstore.ObjectStore;
import io.tidelog.objectstore.ObjectStores;
import io.tidelog.parquet.ParquetConfig;
import io.tidelog.tso.FileTimestampStore;
import io.tidelog.tso.TimestampAllocator;
import io.tidelog.tso.TimestampOracle;
import io.tidelog.tso.TsoConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What a streaming node gives each pchannel's WAL, built as the standalone server builds it: the extensions in
 * the order {@link ExtensionChain} writes down (dedup window, flusher, vchannel locks, transactions, shards), the
 * flusher uploading to a directory object store ({@code ROOT/objects}, scratch files in {@code ROOT/flush-scratch}),
 * and the threads they share (one flush thread, one for transaction continuations). Closing stops the threads,
 * then closes the store; the WALs that used the extensions must be closed first.
 */
final class NodeExtensions implements AutoCloseable {
    private final ObjectStore objects;
    private final ScheduledExecutorService flushThreads;
    private final ExecutorService txnThread;
    private final ExtensionChain chain;

    NodeExtensions(Path root, TimestampAllocator tso, ShardConfig shards) {
        objects = ObjectStores.open("file:" + root.resolve("objects").toAbsolutePath(), Map.of());
        flushThreads = Executors.newScheduledThreadPool(1);
        txnThread = Executors.newSingleThreadExecutor();
        FlusherConfig flusher = FlusherConfig.defaults();
        SegmentUploader uploader = new SegmentUploader(objects, root.resolve("flush-scratch"), ParquetConfig.defaults());
        chain = new ExtensionChain(new ExtensionChain.Shared(DedupConfig.defaults(), TxnConfig.defaults(), shards, tso,
                InstantSource.system(), new GrowingSegmentBytes(shards), txnThread),
                p -> new Flusher(p, flusher, uploader, flushThreads));
    }

    /** A TSO with the node's defaults, its high-water mark kept in the new directory {@code dir}. */
    static TimestampAllocator tso(Path dir) throws IOException {
        return new TimestampOracle(new FileTimestampStore(Files.createDirectory(dir)), InstantSource.system(),
                TsoConfig.defaults());
    }

    /** Fresh extensions for one open of {@code pchannel}, in order. */
    List<WalExtension> forPchannel(String pchannel) {
        return chain.forPchannel(pchannel).inOrder();
    }

    @Override
    public void close() {
        Closeables.closeAll(() -> {
            flushThreads.shutdownNow();
            txnThread.shutdownNow();
            flushThreads.awaitTermination(10, TimeUnit.SECONDS);
            txnThread.awaitTermination(10, TimeUnit.SECONDS);
        }, objects);
    }
}
