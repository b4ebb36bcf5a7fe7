package io.tidelog.delegator;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The rows of the sealed segments a node serves that it keeps in memory, least recently used evicted first once they
 * take more than {@code query.sealed.cache.bytes}; an evicted segment's rows are read again from its file (in the
 * node's cache of files, else object storage) by the next query that needs them. A query keeps the rows it reads
 * until it is done, so the heap holds at most the budget, one segment over it, and what running queries hold.
 *
 * <p>Threads: thread-safe. Reading a segment happens outside the cache's lock, on the query's thread, once per
 * segment at a time (others wanting the same segment wait for that read).
 */
final class SealedSegmentCache {
    private final long budget;
    /** Access order: the eldest is the least recently used. Guarded by this. */
    private final LinkedHashMap<SealedSegment, ShardSegment> rows = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;
    private final AtomicLong reads = new AtomicLong();
    private final AtomicLong evictions = new AtomicLong();

    SealedSegmentCache(long budgetBytes) {
        this.budget = budgetBytes;
    }

    /** The rows of {@code s}, read from its file if they are not held. */
    ShardSegment rows(SealedSegment s) {
        ShardSegment held = get(s);
        if (held != null) {
            return held;
        }
        synchronized (s) {
            held = get(s);
            if (held == null) {
                held = s.read();
                reads.incrementAndGet();
                put(s, held);
            }
            return held;
        }
    }

    private synchronized ShardSegment get(SealedSegment s) {
        return rows.get(s);
    }

    /** Keeps {@code r} as the rows of {@code s}, then evicts the least recently used beyond the budget. */
    synchronized void put(SealedSegment s, ShardSegment r) {
        ShardSegment before = rows.put(s, r);
        bytes += r.bytes() - (before == null ? 0 : before.bytes());
        Iterator<Map.Entry<SealedSegment, ShardSegment>> eldest = rows.entrySet().iterator();
        while (bytes > budget && rows.size() > 1) {
            Map.Entry<SealedSegment, ShardSegment> e = eldest.next();
            if (e.getKey() == s) {
                continue; // the rows just put stay, even alone over the budget: a query is about to read them
            }
            bytes -= e.getValue().bytes();
            eldest.remove();
            evictions.incrementAndGet();
        }
    }

    synchronized void forget(SealedSegment s) {
        ShardSegment r = rows.remove(s);
        if (r != null) {
            bytes -= r.bytes();
        }
    }

    /** Bytes of the rows held now. */
    synchronized long bytes() {
        return bytes;
    }

    /** Segments whose rows are held now. */
    synchronized int segments() {
        return rows.size();
    }

    /** Rows read again from files after they were evicted (or never held), since the start. */
    long reads() {
        return reads.get();
    }

    long evictions() {
        return evictions.get();
    }
}
