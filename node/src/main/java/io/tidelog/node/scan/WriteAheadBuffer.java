package io.tidelog.node.scan;

import io.tidelog.common.MessageId;
import io.tidelog.message.ImmutableMessage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The in-memory tail of one pchannel's WAL: every acknowledged message in log order, plus the
 * TimeTicks that were not written to the WAL, so that tailing readers never touch the backend.
 * Entries are numbered by a sequence; the oldest are evicted beyond the capacity (bytes) or the
 * keepalive (age), always keeping the newest.
 *
 * <p>A non-persisted TimeTick carries the id of the persisted message before it. Persisted entries
 * have strictly increasing ids.
 *
 * <p>Threads: one appender at a time (the WAL's acknowledgement path); any number of readers, which
 * wait on a condition for new entries.
 *
 * <p>Owned by the pchannel's {@code StreamingWal}; public for it alone.
 */
public final class WriteAheadBuffer {
    /** A reader's position was evicted: it must catch up from the backend. */
    static final class EvictedException extends Exception {
        private static final long serialVersionUID = 1L;

        EvictedException() {
            super(null, null, false, false);
        }
    }

    record Entry(long seq, ImmutableMessage message, int bytes, boolean persisted, long appendedNanos) {
    }

    private final long capacityBytes;
    private final long keepaliveNanos;
    private final LongSupplier nanoClock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition appended = lock.newCondition();
    private Entry[] ring = new Entry[1024];
    private int head;
    private int size;
    private long firstSeq;
    private long bytes;
    private boolean closed;

    public WriteAheadBuffer(long capacityBytes, long keepaliveNanos, LongSupplier nanoClock) {
        this.capacityBytes = capacityBytes;
        this.keepaliveNanos = keepaliveNanos;
        this.nanoClock = nanoClock;
    }

    public void append(ImmutableMessage m, int encodedBytes, boolean persisted) {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            if (size == ring.length) {
                Entry[] bigger = new Entry[ring.length * 2];
                for (int i = 0; i < size; i++) {
                    bigger[i] = ring[(head + i) % ring.length];
                }
                ring = bigger;
                head = 0;
            }
            long now = nanoClock.getAsLong();
            ring[(head + size) % ring.length] = new Entry(firstSeq + size, m, encodedBytes, persisted, now);
            size++;
            bytes += encodedBytes;
            evict(now);
            appended.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Drops entries past their keepalive; called on every append and on each time tick. */
    public void evictExpired() {
        lock.lock();
        try {
            evict(nanoClock.getAsLong());
        } finally {
            lock.unlock();
        }
    }

    private void evict(long now) {
        while (size > 1 && (bytes > capacityBytes || now - ring[head].appendedNanos() > keepaliveNanos)) {
            bytes -= ring[head].bytes();
            ring[head] = null;
            head = (head + 1) % ring.length;
            size--;
            firstSeq++;
        }
    }

    /** The sequence the next entry will get: where a reader of only new entries starts. */
    long endSeq() {
        lock.lock();
        try {
            return firstSeq + size;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The sequence right after the persisted message {@code id} (so ticks that followed it are
     * included), if the buffer holds {@code id} itself and so every message after it; -1 if it cannot vouch
     * for that (the id is older than what it retains, not published here yet, or the buffer is closed).
     *
     * <p>The id must be in the buffer: a record a scanner read from the backend may be durable there before the
     * WAL publishes it here, and "after the newest entry" would then deliver that very record a second time.
     */
    long seqAfter(MessageId id) {
        lock.lock();
        try {
            int i = lastAtOrBefore(id);
            return i < 0 || !at(i).message().id().equals(id) ? -1 : firstSeq + i + 1;
        } finally {
            lock.unlock();
        }
    }

    /** The sequence of the persisted message {@code id} itself; -1 if not retained. */
    long seqOf(MessageId id) {
        lock.lock();
        try {
            int i = lastAtOrBefore(id);
            if (i < 0) {
                return -1;
            }
            Entry e = at(i);
            return e.persisted() && e.message().id().equals(id) ? firstSeq + i : -1;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The index of the last persisted entry whose id is at most {@code id}, provided an earlier entry
     * proves nothing between them is missing (the oldest retained persisted id is at most {@code id});
     * -1 otherwise. Called under the lock.
     */
    private int lastAtOrBefore(MessageId id) {
        if (closed) {
            return -1;
        }
        int oldestPersisted = -1;
        for (int i = 0; i < size; i++) {
            if (at(i).persisted()) {
                oldestPersisted = i;
                break;
            }
        }
        if (oldestPersisted < 0 || at(oldestPersisted).message().id().compareTo(id) > 0) {
            return -1;
        }
        int lo = oldestPersisted;
        int hi = size - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (at(mid).message().id().compareTo(id) <= 0) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        // skip the non-persisted ticks that follow it: they carry its id, and come after it
        while (lo > oldestPersisted && !at(lo).persisted()) {
            lo--;
        }
        return lo;
    }

    private Entry at(int i) {
        return ring[(head + i) % ring.length];
    }

    /**
     * The entry with sequence {@code seq}, waiting up to {@code nanos} for it to be appended.
     *
     * @return the entry, or null if it did not come in time
     * @throws EvictedException if {@code seq} was evicted, or the buffer was closed
     */
    Entry poll(long seq, long nanos, java.util.function.BooleanSupplier stop) throws EvictedException, InterruptedException {
        lock.lock();
        try {
            while (true) {
                if (closed || seq < firstSeq) {
                    throw new EvictedException();
                }
                if (seq < firstSeq + size) {
                    return at((int) (seq - firstSeq));
                }
                if (nanos <= 0 || stop.getAsBoolean()) {
                    return null;
                }
                nanos = appended.awaitNanos(nanos);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Wakes waiting readers so they re-check their own state. */
    void wakeReaders() {
        lock.lock();
        try {
            appended.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Stops serving: every reader falls back to the backend (whose content is the truth). */
    public void close() {
        lock.lock();
        try {
            closed = true;
            for (int i = 0; i < size; i++) {
                ring[(head + i) % ring.length] = null;
            }
            size = 0;
            bytes = 0;
            appended.signalAll();
        } finally {
            lock.unlock();
        }
    }

    public int entries() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    public long bytes() {
        lock.lock();
        try {
            return bytes;
        } finally {
            lock.unlock();
        }
    }

    public static long nanos(java.time.Duration d) {
        return TimeUnit.NANOSECONDS.convert(d);
    }
}
