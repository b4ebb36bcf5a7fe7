package io.tidelog.node.extension;

import io.tidelog.message.MessageKind;
import io.tidelog.message.MutableMessage;
import io.tidelog.node.AppendResult;
import io.tidelog.node.StreamingWal;
import io.tidelog.node.WalExtension;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Orders DDL with DML per vchannel: an exclusive message (CreateCollection, DropCollection,
 * Create/DropPartition, ManualFlush, AlterCollection) takes the vchannel's write lock, every other
 * message of the vchannel its read lock, each held from before the message is checked until it is
 * published (its append completes). So a DDL waits for the DML in flight before it, and DML after it
 * is checked against the state the DDL left: no DML slips past a DropCollection, and the time-tick
 * order of DDL and DML equals the order in which they were checked.
 *
 * <p>Locks are asynchronous: a waiting append holds no thread. Waiters are served first come, first
 * served, so a waiting DDL is not starved by a stream of DML. Pchannel-wide messages (TimeTicks) and
 * the node's own messages ({@link StreamingWal#appendSystem}) take no lock. The map holds only
 * vchannels with holders or waiters: it does not grow with the number of vchannels ever seen.
 */
public final class VchannelLocks implements WalExtension {
    private final Map<String, Lock> locks = new HashMap<>();

    /** One vchannel's lock: readers holding it, or one writer; and who waits. Guarded by the map. */
    private static final class Lock {
        int readers;
        boolean writer;
        final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
    }

    private record Waiter(boolean exclusive, CompletableFuture<Void> granted) {
    }

    @Override
    public CompletableFuture<AppendResult> append(MutableMessage message, Next next) {
        if (MessageKind.isPchannelWide(message.type())) {
            return next.append(message);
        }
        boolean exclusive = MessageKind.isExclusive(message.type());
        String v = message.vchannel();
        return acquire(v, exclusive)
                .thenCompose(granted -> next.append(message))
                .whenComplete((r, e) -> release(v, exclusive));
    }

    /** DML passes with its vchannel's read lock, which {@link #holdRun} takes for a whole run. */
    @Override
    public boolean isPlain(MutableMessage message) {
        return MessageKind.isPchannelWide(message.type()) || !MessageKind.isExclusive(message.type());
    }

    /**
     * The read lock of every vchannel of the run, if each is free of writers and waiters now; otherwise none (the
     * messages then queue one by one behind the DDL, first come, first served).
     */
    @Override
    public Runnable holdRun(java.util.List<MutableMessage> run) {
        String only = null;
        java.util.Set<String> vchannels = null;
        for (MutableMessage m : run) {
            if (MessageKind.isPchannelWide(m.type())) {
                continue;
            }
            String v = m.vchannel();
            if (only == null) {
                only = v;
            } else if (!only.equals(v)) {
                if (vchannels == null) {
                    vchannels = new java.util.LinkedHashSet<>();
                    vchannels.add(only);
                }
                vchannels.add(v);
            }
        }
        if (only == null) {
            return NOTHING_HELD;
        }
        java.util.Collection<String> all = vchannels != null ? vchannels : java.util.List.of(only);
        synchronized (locks) {
            for (String v : all) {
                Lock l = locks.get(v);
                if (l != null && (l.writer || !l.waiting.isEmpty())) {
                    return null;
                }
            }
            for (String v : all) {
                take(locks.computeIfAbsent(v, k -> new Lock()), false);
            }
        }
        return () -> all.forEach(v -> release(v, false));
    }

    CompletableFuture<Void> acquire(String vchannel, boolean exclusive) {
        synchronized (locks) {
            Lock l = locks.computeIfAbsent(vchannel, v -> new Lock());
            if (l.waiting.isEmpty() && (exclusive ? !l.writer && l.readers == 0 : !l.writer)) {
                take(l, exclusive);
                return CompletableFuture.completedFuture(null);
            }
            Waiter w = new Waiter(exclusive, new CompletableFuture<>());
            l.waiting.add(w);
            return w.granted;
        }
    }

    void release(String vchannel, boolean exclusive) {
        ArrayDeque<CompletableFuture<Void>> grant = new ArrayDeque<>();
        synchronized (locks) {
            Lock l = locks.get(vchannel);
            if (exclusive) {
                l.writer = false;
            } else {
                l.readers--;
            }
            while (!l.waiting.isEmpty()) {
                Waiter w = l.waiting.peek();
                boolean free = w.exclusive ? !l.writer && l.readers == 0 : !l.writer;
                if (!free) {
                    break;
                }
                l.waiting.poll();
                take(l, w.exclusive);
                grant.add(w.granted);
            }
            if (l.readers == 0 && !l.writer && l.waiting.isEmpty()) {
                locks.remove(vchannel);
            }
        }
        // complete outside the monitor: the granted appends continue on this thread
        grant.forEach(g -> g.complete(null));
    }

    private static void take(Lock l, boolean exclusive) {
        if (exclusive) {
            l.writer = true;
        } else {
            l.readers++;
        }
    }

    /** Vchannels with a holder or a waiter (for tests and status). */
    int lockedVchannels() {
        synchronized (locks) {
            return locks.size();
        }
    }
}
