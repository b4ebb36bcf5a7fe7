package io.tidelog.meta.embedded;

import io.tidelog.meta.MetaKeys;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The leases in effect, in memory: their deadlines (by the store's clock) and the keys attached to
 * each. Only the id and time to live of a lease are persisted (in the store's lease map); deadlines
 * start afresh, one time to live from the store's open, after every restart.
 *
 * <p>Threads: {@link #keepAlive} runs on callers' threads; everything else on the writer thread (or
 * before it starts). A lease's deadline and its end are guarded by the lease's monitor, so a refresh
 * racing with expiry either wins (the lease lives on) or sees the lease ended.
 */
final class LeaseTable {

    static final class Lease {
        final long id;
        final long ttlMillis;
        /** Keys attached to this lease; writer thread only. */
        final Set<String> keys = new HashSet<>();
        private long deadlineMillis;
        private boolean ended;

        Lease(long id, long ttlMillis, long deadlineMillis) {
            this.id = id;
            this.ttlMillis = ttlMillis;
            this.deadlineMillis = deadlineMillis;
        }

        synchronized long deadlineMillis() {
            return deadlineMillis;
        }

        synchronized boolean usableAt(long now) {
            return !ended && now < deadlineMillis;
        }
    }

    private final InstantSource clock;
    private final ConcurrentHashMap<Long, Lease> leases = new ConcurrentHashMap<>();

    LeaseTable(InstantSource clock) {
        this.clock = clock;
    }

    long now() {
        return clock.millis();
    }

    /** Adds a lease whose time to live starts now (a grant, or a restore at open). */
    Lease add(long id, long ttlMillis) {
        Lease l = new Lease(id, ttlMillis, saturatedAdd(now(), ttlMillis));
        leases.put(id, l);
        return l;
    }

    /**
     * Makes the table hold exactly the leases of {@code ttls} (id to time to live), with no keys attached
     * yet: a lease already here keeps its deadline, any other gets its full time to live from now. Used when
     * the store (re)opens its file; writer thread.
     */
    void reset(Map<Long, Long> ttls) {
        leases.keySet().retainAll(ttls.keySet());
        ttls.forEach((id, ttl) -> {
            Lease l = leases.get(id);
            if (l == null) {
                add(id, ttl);
            } else {
                l.keys.clear();
            }
        });
    }

    /** Refreshes a live lease; false if it does not exist, has ended, or its deadline passed. */
    boolean keepAlive(long id) {
        Lease l = leases.get(id);
        if (l == null) {
            return false;
        }
        synchronized (l) {
            long now = now();
            if (l.ended || now >= l.deadlineMillis) {
                return false;
            }
            l.deadlineMillis = saturatedAdd(now, l.ttlMillis);
            return true;
        }
    }

    /** Whether a key may be attached to the lease now. */
    boolean usable(long id) {
        Lease l = leases.get(id);
        return l != null && l.usableAt(now());
    }

    /** The leases whose deadline passed, earliest deadline first. */
    List<Long> expired() {
        long now = now();
        List<Lease> out = new ArrayList<>();
        for (Lease l : leases.values()) {
            if (!l.usableAt(now)) {
                out.add(l);
            }
        }
        out.sort(Comparator.comparingLong(Lease::deadlineMillis));
        List<Long> ids = new ArrayList<>(out.size());
        out.forEach(l -> ids.add(l.id));
        return ids;
    }

    /**
     * Ends the lease and removes it, returning it with its keys (sorted), or null if it does not exist
     * or, with {@code onlyIfExpired}, was refreshed in the meantime.
     */
    Ended end(long id, boolean onlyIfExpired) {
        Lease l = leases.get(id);
        if (l == null) {
            return null;
        }
        synchronized (l) {
            if (l.ended || (onlyIfExpired && now() < l.deadlineMillis)) {
                return null;
            }
            l.ended = true;
        }
        leases.remove(id);
        TreeSet<String> keys = new TreeSet<>(MetaKeys::compare);
        keys.addAll(l.keys);
        return new Ended(id, keys);
    }

    /** A lease that ended, with the keys that were attached to it in key order. */
    record Ended(long id, Set<String> keys) {
    }

    void attach(long id, String key) {
        Lease l = leases.get(id);
        if (l != null) {
            l.keys.add(key);
        }
    }

    void detach(long id, String key) {
        Lease l = leases.get(id);
        if (l != null) {
            l.keys.remove(key);
        }
    }

    boolean contains(long id) {
        return leases.containsKey(id);
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }
}
