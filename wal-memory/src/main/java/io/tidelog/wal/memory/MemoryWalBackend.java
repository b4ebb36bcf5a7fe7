package io.tidelog.wal.memory;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.AccessMode;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A WAL backend in memory, for tests, that models durability: an append is acknowledged only when a
 * (simulated) sync makes it durable in the {@link MemoryStorage}; {@link #crash()} loses every append
 * not yet synced, as a process crash would.
 *
 * <p>Ids are {@code 0:offset}, offsets counting from 0 per pchannel. Truncation discards exactly the
 * records before the given id. Fencing uses the storage's term per pchannel, checked at every sync.
 *
 * <p>Threads: in {@code auto} sync mode one daemon thread ({@code wal-memory-sync}) makes pending appends
 * durable and completes their futures; in {@code manual} mode the caller of {@link #sync()} does.
 */
public final class MemoryWalBackend implements WalBackend {
    public static final String NAME = "memory";

    private final MemoryWalConfig config;
    private final MemoryStorage storage;
    private final List<MemoryWal> wals = new ArrayList<>();
    private final Thread syncThread;
    private boolean closed;
    private boolean crashed;

    public MemoryWalBackend(MemoryWalConfig config, MemoryStorage storage) {
        this.config = Objects.requireNonNull(config, "config");
        this.storage = Objects.requireNonNull(storage, "storage");
        if (config.syncMode() == MemoryWalConfig.SyncMode.AUTO) {
            syncThread = new Thread(this::syncLoop, "wal-memory-sync");
            syncThread.setDaemon(true);
            syncThread.start();
        } else {
            syncThread = null;
        }
    }

    public MemoryStorage storage() {
        return storage;
    }

    MemoryWalConfig config() {
        return config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public synchronized Wal open(OpenOptions options) {
        if (closed) {
            throw StreamingException.onShutdown("memory WAL backend is closed");
        }
        MemoryStorage.Channel channel = storage.channel(options.pchannel());
        if (options.mode() == AccessMode.READ_WRITE) {
            synchronized (channel) {
                if (options.term() < channel.term) {
                    throw StreamingException.fenced("pchannel " + options.pchannel() + " is at term "
                            + channel.term + "; cannot open at older term " + options.term());
                }
                if (options.term() == channel.term && channel.writer != null) {
                    throw StreamingException.invalidArgument("pchannel " + options.pchannel()
                            + " is already open for writing at term " + options.term());
                }
                channel.term = options.term();
                channel.claimed = true;
            }
        }
        MemoryWal wal = new MemoryWal(this, channel, options);
        if (options.mode() == AccessMode.READ_WRITE) {
            synchronized (channel) {
                channel.writer = wal;
            }
        }
        wals.add(wal);
        return wal;
    }

    /** Makes every pending append of every log durable now (or fenced), completing their futures. */
    public void sync() {
        for (MemoryWal wal : snapshot()) {
            wal.syncPending();
        }
    }

    /**
     * Simulates a crash of the process: pending appends are lost (their futures fail with
     * {@code ON_SHUTDOWN}, as a dead process's callers would never hear back), writers are released,
     * and the backend is unusable. The storage keeps exactly what was synced.
     */
    public void crash() {
        List<MemoryWal> all;
        synchronized (this) {
            crashed = true;
            closed = true;
            notifyAll();
            all = new ArrayList<>(wals);
            wals.clear();
        }
        for (MemoryWal wal : all) {
            wal.abandon();
        }
        joinSyncThread();
    }

    @Override
    public void close() {
        List<MemoryWal> all;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            notifyAll();
            all = new ArrayList<>(wals);
        }
        for (int i = all.size() - 1; i >= 0; i--) {
            all.get(i).close();
        }
        joinSyncThread();
    }

    synchronized void forget(MemoryWal wal) {
        wals.remove(wal);
    }

    synchronized void pendingAdded() {
        notifyAll();
    }

    synchronized boolean isCrashed() {
        return crashed;
    }

    private synchronized List<MemoryWal> snapshot() {
        return new ArrayList<>(wals);
    }

    private void syncLoop() {
        try {
            while (true) {
                synchronized (this) {
                    while (!closed && !anyPending()) {
                        wait();
                    }
                    if (closed) {
                        return;
                    }
                }
                if (!config.syncDelay().isZero()) {
                    Thread.sleep(config.syncDelay().toMillis()); // models the cost of a sync, not synchronisation
                }
                sync();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean anyPending() {
        for (MemoryWal w : wals) {
            if (w.hasPending()) {
                return true;
            }
        }
        return false;
    }

    private void joinSyncThread() {
        if (syncThread != null && Thread.currentThread() != syncThread) {
            try {
                syncThread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StreamingException(ErrorCode.INNER, "interrupted while stopping the sync thread", e);
            }
        }
    }
}
