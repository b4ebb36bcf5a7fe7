package io.tidelog.wal.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spare segment files, preallocated (every block written once and synced) so that appends overwrite
 * allocated blocks: on this kind of storage the first write into fresh blocks is several times slower,
 * and an fdatasync that must also commit size and extent changes costs more. Truncated segments come
 * back here instead of being deleted.
 *
 * <p>Threads: one daemon thread ({@code wal-local-preallocate}) fills the pool in the background; a
 * writer that finds the pool empty preallocates on its own thread. Files live in {@code <dir>/.spare}.
 */
final class SegmentPool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentPool.class);
    static final String DIR = ".spare";
    private static final long PREALLOCATION_SYNC_BYTES = 4 << 20;

    private final Path dir;
    private final long segmentBytes;
    private final int target;
    private final Deque<Path> ready = new ArrayDeque<>();
    private final AtomicLong names = new AtomicLong();
    private final ExecutorService preallocator;
    private int preparing;
    private boolean closed;

    SegmentPool(Path root, long segmentBytes, int target) throws IOException {
        this.dir = root.resolve(DIR);
        this.segmentBytes = segmentBytes;
        this.target = target;
        Files.createDirectories(dir);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                // A spare of another size (configuration changed) or a half-written one (crash) is dropped.
                if (f.getFileName().toString().endsWith(".seg") && Files.size(f) == segmentBytes) {
                    ready.add(f);
                } else {
                    Files.deleteIfExists(f);
                }
            }
        }
        this.preallocator = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "wal-local-preallocate");
            t.setDaemon(true);
            return t;
        });
    }

    /** A preallocated file taken out of the pool, or null if none is ready. Starts refilling. */
    Path take() {
        Path p;
        synchronized (this) {
            p = ready.poll();
        }
        replenish();
        return p;
    }

    /** Takes back a segment file no longer needed; deletes it if the pool is full. */
    void recycle(Path file) throws IOException {
        synchronized (this) {
            if (!closed && ready.size() + preparing < target * 2 && Files.size(file) == segmentBytes) {
                Path spare = dir.resolve("spare-" + System.nanoTime() + "-" + names.incrementAndGet() + ".seg");
                Files.move(file, spare, StandardCopyOption.ATOMIC_MOVE);
                ready.add(spare);
                return;
            }
        }
        Files.deleteIfExists(file);
    }

    /** Starts preparing spares in the background until {@code target} are ready. */
    void replenish() {
        int toStart;
        synchronized (this) {
            if (closed) {
                return;
            }
            toStart = Math.max(0, target - ready.size() - preparing);
            preparing += toStart;
        }
        for (int i = 0; i < toStart; i++) {
            preallocator.execute(this::prepareOne);
        }
    }

    private void prepareOne() {
        Path tmp = dir.resolve("prep-" + names.incrementAndGet() + ".tmp");
        try {
            preallocate(tmp, segmentBytes);
            Path spare = dir.resolve("spare-" + System.nanoTime() + "-" + names.incrementAndGet() + ".seg");
            Files.move(tmp, spare, StandardCopyOption.ATOMIC_MOVE);
            Fsync.directory(dir);
            synchronized (this) {
                if (!closed) {
                    ready.add(spare);
                    return;
                }
            }
            Files.deleteIfExists(spare);
        } catch (IOException e) {
            if (!isClosed()) {
                LOG.warn("could not preallocate a spare segment in {}: {}", dir, e.toString());
            }
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
        } finally {
            synchronized (this) {
                preparing--;
            }
        }
    }

    private synchronized boolean isClosed() {
        return closed;
    }

    synchronized int readyCount() {
        return ready.size();
    }

    /**
     * Writes zeros over {@code bytes} of a new file and syncs data and size. It syncs every few MiB
     * as it goes: one sync of a whole dirty segment at the end would queue the WAL's own fdatasyncs
     * behind tens of MiB of writeback (seen as 100+ ms append latency right after a pchannel opens).
     */
    static void preallocate(Path file, long bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
            long at = 0;
            long syncedAt = 0;
            while (at < bytes) {
                zeros.clear().limit((int) Math.min(zeros.capacity(), bytes - at));
                while (zeros.hasRemaining()) {
                    at += ch.write(zeros, at);
                }
                if (at - syncedAt >= PREALLOCATION_SYNC_BYTES) {
                    ch.force(false);
                    syncedAt = at;
                }
            }
            ch.force(true);
        }
    }

    /** A file of {@code bytes} whose blocks are not allocated yet (reads as zeros); size synced. */
    static void createSparse(Path file, long bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(1), bytes - 1);
            ch.force(true);
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        preallocator.shutdownNow();
        try {
            preallocator.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
