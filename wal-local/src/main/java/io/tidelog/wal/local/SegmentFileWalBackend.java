package io.tidelog.wal.local;

import io.tidelog.common.Closeables;
import io.tidelog.common.DiskSpace;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.AccessMode;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalBackend;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The embedded default WAL: segment files on the local disk with group commit and fdatasync before
 * the acknowledgement (see {@link SegmentFormat} for the layout, {@link SegmentLog} for fencing and
 * recovery, {@link GroupCommitWriter} for the write path).
 *
 * <p>One process owns a data directory: the backend holds an exclusive lock on {@code <dir>/.lock}
 * for its lifetime, and a second process (or backend) on the same directory fails with
 * {@code INVALID_ARGUMENT}. Within the process, every pchannel's state is shared by all its open logs.
 *
 * <p>Threads: two writer threads per read-write log, taking turns (see {@code GroupCommitWriter}), and one
 * background thread preallocating spare segments.
 */
public final class SegmentFileWalBackend implements WalBackend {
    public static final String NAME = "local";

    private final LocalWalConfig config;
    private final SegmentLog.SegmentChannels channels;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final SegmentPool pool;
    private final Map<String, SegmentLog> logs = new HashMap<>();
    private final List<SegmentFileWal> wals = new ArrayList<>();
    private boolean closed;

    public SegmentFileWalBackend(LocalWalConfig config) {
        this(config, SegmentLog.SegmentChannels.FILES);
    }

    /** Test support: a backend whose segment files are opened through {@code channels} (to inject faults). */
    SegmentFileWalBackend(LocalWalConfig config, SegmentLog.SegmentChannels channels) {
        this.config = config;
        this.channels = channels;
        FileChannel ch = null;
        try {
            Files.createDirectories(config.dir());
            ch = FileChannel.open(config.dir().resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            }
            if (l == null) {
                throw StreamingException.invalidArgument("WAL data directory " + config.dir()
                        + " is in use by another process (or another backend in this one)");
            }
            this.lockChannel = ch;
            this.lock = l;
            this.pool = new SegmentPool(config.dir(), config.segmentBytes(), config.spareSegments(),
                    config.diskReserveBytes());
        } catch (IOException e) {
            Closeables.closeQuietly(ch, e);
            String what = "cannot open WAL data directory " + config.dir();
            throw DiskSpace.isNoSpace(e, config.dir()) ? DiskSpace.exhausted(what, config.dir(), e)
                    : StreamingException.inner(what, e);
        } catch (RuntimeException e) {
            Closeables.closeQuietly(ch, e);
            throw e;
        }
    }

    public LocalWalConfig config() {
        return config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Wal open(OpenOptions options) {
        SegmentLog log;
        synchronized (this) {
            if (closed) {
                throw StreamingException.onShutdown("local WAL backend is closed");
            }
            log = logs.get(options.pchannel());
            if (log == null) {
                try {
                    log = SegmentLog.load(options.pchannel(), config.dir().resolve(options.pchannel()), config, pool,
                            channels);
                } catch (IOException e) {
                    throw StreamingException.inner("cannot load pchannel " + options.pchannel(), e);
                }
                // Loaded once for the backend's life: where a failed write began is known only here (SegmentLog).
                logs.put(options.pchannel(), log);
            }
        }
        if (options.mode() == AccessMode.READ_WRITE) {
            pool.replenish();
        }
        SegmentFileWal wal = new SegmentFileWal(this, log, options, config);
        synchronized (this) {
            if (closed) {
                wal.close();
                throw StreamingException.onShutdown("local WAL backend is closed");
            }
            wals.add(wal);
        }
        return wal;
    }

    /** Test support: the spare segments. */
    SegmentPool poolForTesting() {
        return pool;
    }

    /** Test support: the shared state of a pchannel opened before. */
    synchronized SegmentLog logForTesting(String pchannel) {
        return logs.get(pchannel);
    }

    synchronized void forget(SegmentFileWal wal) {
        wals.remove(wal);
    }

    @Override
    public void close() {
        List<AutoCloseable> order = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            for (int i = wals.size() - 1; i >= 0; i--) {
                order.add(wals.get(i));
            }
            order.addAll(logs.values());
        }
        order.add(pool);
        order.add(lock);
        order.add(lockChannel);
        Closeables.closeAll(order);
    }

    /**
     * Test support: behaves as a crash of the process, as far as one process can. Writers stop after
     * the batch they are writing without draining their queues, files are closed unsynced, the
     * directory lock is released. Data already handed to the OS stays (a process crash does not lose
     * the page cache); tests add torn tails themselves.
     */
    void crashForTesting() {
        List<SegmentFileWal> all;
        List<SegmentLog> allLogs;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(wals);
            allLogs = new ArrayList<>(logs.values());
            wals.clear();
        }
        all.forEach(SegmentFileWal::abandon);
        List<AutoCloseable> order = new ArrayList<>(allLogs);
        order.add(pool);
        order.add(lock);
        order.add(lockChannel);
        Closeables.closeAll(order);
    }
}
