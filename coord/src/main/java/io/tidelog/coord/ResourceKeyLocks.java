package io.tidelog.coord;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Grants sets of {@link ResourceKey}s, all of a set at once, first come first served: a request waits while
 * one of its keys conflicts with a key held, or with a key of an earlier request still waiting (so a waiting
 * exclusive request is not starved by a stream of shared ones).
 *
 * <p>Threads: confined to the catalog's thread (no synchronisation); futures complete on the thread that
 * calls {@link #acquire} or {@link Held#release()}.
 */
final class ResourceKeyLocks {
    private final List<Held> holders = new ArrayList<>();
    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();

    /** A granted set of keys; {@link #release()} is idempotent. */
    final class Held {
        final List<ResourceKey> keys;
        private boolean released;

        private Held(List<ResourceKey> keys) {
            this.keys = keys;
        }

        void release() {
            if (!released) {
                released = true;
                holders.remove(this);
                grantWaiters();
            }
        }
    }

    private record Waiter(List<ResourceKey> keys, CompletableFuture<Held> granted) {
    }

    /** The keys, once none conflicts with a holder or an earlier waiter. */
    CompletableFuture<Held> acquire(List<ResourceKey> keys) {
        Waiter w = new Waiter(List.copyOf(keys), new CompletableFuture<>());
        waiting.add(w);
        grantWaiters();
        return w.granted;
    }

    private void grantWaiters() {
        List<List<ResourceKey>> earlierWaiting = new ArrayList<>();
        List<CompletableFuture<Held>> grants = new ArrayList<>();
        List<Held> granted = new ArrayList<>();
        for (Iterator<Waiter> it = waiting.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            boolean blocked = holders.stream().anyMatch(h -> conflict(w.keys, h.keys))
                    || earlierWaiting.stream().anyMatch(keys -> conflict(w.keys, keys));
            if (blocked) {
                earlierWaiting.add(w.keys);
            } else {
                it.remove();
                Held h = new Held(w.keys);
                holders.add(h);
                grants.add(w.granted);
                granted.add(h);
            }
        }
        for (int i = 0; i < grants.size(); i++) {
            grants.get(i).complete(granted.get(i));
        }
    }

    private static boolean conflict(List<ResourceKey> a, List<ResourceKey> b) {
        for (ResourceKey x : a) {
            for (ResourceKey y : b) {
                if (x.conflictsWith(y)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Requests not yet granted (for tests and status). */
    int waitingCount() {
        return waiting.size();
    }
}
