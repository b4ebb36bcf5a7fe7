package io.tidelog.wal.local;

import io.tidelog.common.DiskSpace;
import io.tidelog.common.Fsync;
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
 * <p>Spares never fill the disk: one is preallocated only while the disk keeps at least
 * {@code wal.local.disk.reserve.bytes} usable after it, and a truncated segment is kept as one only while the
 * disk keeps the reserve usable. Short of that the pool stays smaller (or empty, and new segments start
 * sparse); a stop of preallocation is logged when it happens (at most every
 * {@value #NO_ROOM_LOG_INTERVAL_MINUTES} minutes) and when preallocation resumes.
 *
 * <p>Threads: one daemon thread ({@code wal-local-preallocate}) fills the pool in the background. Files
 * live in {@code <dir>/.spare}.
 */
final class SegmentPool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentPool.class);
    static final String DIR = ".spare";
    private static final long PREALLOCATION_SYNC_BYTES = 4 << 20;
    static final int NO_ROOM_LOG_INTERVAL_MINUTES = 10;

    private final Path dir;
    private final long segmentBytes;
    private final int target;
    private final long reserveBytes;
    private final Deque<Path> ready = new ArrayDeque<>();
    private final AtomicLong names = new AtomicLong();
    private final ExecutorService preallocator;
    private int preparing;
    private boolean closed;
    /** Preallocation stopped for lack of room; guarded by this. */
    private boolean outOfRoom;
    /** When a stop was last logged (System.nanoTime), or 0, and whether the current stop was; guarded by this. */
    private long stopLoggedAt;
    private boolean stopLogged;

    SegmentPool(Path root, long segmentBytes, int target, long reserveBytes) throws IOException {
        this.dir = root.resolve(DIR);
        this.segmentBytes = segmentBytes;
        this.target = target;
        this.reserveBytes = reserveBytes;
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

    /**
     * Takes back a segment file no longer needed; deletes it if the pool is full, or if the disk keeps less
     * than the reserve usable (a spare would hold room that appends need).
     */
    void recycle(Path file) throws IOException {
        long usable = DiskSpace.usableBytes(dir);
        boolean room = usable < 0 || usable >= reserveBytes;
        synchronized (this) {
            if (!closed && room && ready.size() + preparing < target * 2 && Files.size(file) == segmentBytes) {
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
            long usable = DiskSpace.usableBytes(dir);
            if (usable >= 0 && usable - segmentBytes < reserveBytes) {
                noteRoom(false, usable);
                return;
            }
            preallocate(tmp, segmentBytes);
            noteRoom(true, usable);
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
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
            if (DiskSpace.isNoSpace(e, dir)) {
                noteRoom(false, DiskSpace.usableBytes(dir));
            } else if (!isClosed()) {
                LOG.warn("could not preallocate a spare segment in {}: {}", dir, e.toString());
            }
        } finally {
            synchronized (this) {
                preparing--;
            }
        }
    }

    /** Logs when preallocation stops for lack of room (at most every few minutes) and when it resumes. */
    private void noteRoom(boolean room, long usable) {
        boolean log;
        synchronized (this) {
            if (room != outOfRoom) {
                return;
            }
            outOfRoom = !room;
            long now = System.nanoTime();
            if (room) {
                log = stopLogged;
                stopLogged = false;
            } else {
                log = stopLoggedAt == 0 || now - stopLoggedAt >= TimeUnit.MINUTES.toNanos(NO_ROOM_LOG_INTERVAL_MINUTES);
                stopLogged = log;
                stopLoggedAt = log ? now : stopLoggedAt;
            }
        }
        if (!log) {
            return;
        }
        if (room) {
            LOG.info("preallocating spare WAL segments in {} again: the disk {} has {} bytes usable", dir,
                    DiskSpace.diskOf(dir), usable);
        } else {
            LOG.warn("stopped preallocating spare WAL segments in {}: the disk {} has {} bytes usable, less than a "
                    + "segment ({} bytes) plus the reserve {} ({} bytes); new segments start sparse and take room "
                    + "as they are written", dir, DiskSpace.diskOf(dir), usable, segmentBytes,
                    LocalWalConfig.DISK_RESERVE_BYTES, reserveBytes);
        }
    }

    private synchronized boolean isClosed() {
        return closed;
    }

    /** Whether preallocation stopped for lack of room (test support). */
    synchronized boolean isOutOfRoom() {
        return outOfRoom;
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
