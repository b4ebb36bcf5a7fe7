package io.tidelog.session;

import io.tidelog.common.Backoff;
import io.tidelog.common.StreamingException;
import io.tidelog.common.Threads;
import io.tidelog.meta.Compare;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaKeys;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.Op;
import io.tidelog.meta.Range;
import io.tidelog.meta.TxnResult;
import io.tidelog.meta.Watch;
import io.tidelog.meta.WatchEvent;
import io.tidelog.meta.WatchListener;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One candidate of a leader election in the meta store (the coordinators elect their leader with it): the leader
 * is the candidate that created the election key ({@code coord/leader}, say) under its {@link Session}'s lease; the
 * key's create revision is its {@linkplain Leadership#epoch() epoch}, and {@link Leadership#guard()} makes its writes
 * fail once the key is not its own any more.
 *
 * <pre>
 *   STANDBY ──key absent: putIfAbsent under the session's lease──▶ LEADER (epoch = create revision)
 *      ▲  ◀──key deleted or created again by another (watched)── │
 *      │                                                          ├─ resign / close: delete the key if still ours
 *      └──────────────────────────────────────────────────────────┘   (guarded by the epoch), then no campaign
 *   session lost or closed: deposed, no further campaign (campaign again with a new session)
 * </pre>
 *
 * <p><b>Ordering.</b> The election reads the key and watches it from the read's revision + 1, so it sees every
 * change of the key once, in revision order; it campaigns whenever it sees the key absent while its session is
 * alive. A standby thus takes over as soon as the leader's key goes: the leader resigned or closed, or its session
 * ended (closed, revoked, or expired one ttl after its last refresh; the old leader has stopped by itself
 * {@code session.self.fence.margin} before that). A campaign whose answer was lost (a timeout after etcd applied it)
 * is recognised when the key shows this session's lease.
 *
 * <p><b>Threads.</b> The election owns one thread: it makes every store call and every listener call (see
 * {@link LeadershipListener}); the store's watch dispatcher and the session only hand over. A lost session turns
 * {@link Leadership#isActive()} false at once, on the thread that finds the loss; {@code onDeposed} follows on the
 * election's thread once a store call in flight returns (a frozen etcd holds it up to the store's request timeout),
 * which is why the session's own {@link SessionListener#onLost} is the prompt signal to stop.
 *
 * <p><b>Store failures.</b> A failed read, watch or campaign is retried with backoff (100 ms doubling up to 2 s); a
 * broken watch is replaced by a fresh read and watch. Failures never make a leader by themselves, and never depose
 * one: only the key (seen changed) and the session do. A deposed leader's writes fail by the guard regardless.
 *
 * <p><b>What the caller must do.</b> Act as leader only between {@code onElected} and {@code onDeposed}, with the
 * guard in every write. On its session's loss, stop, close this election and the session, register a new session
 * and campaign again with it. {@link #leader()} names the current leader, for answering clients. Close the election
 * before its session, and both before the store.
 */
public final class LeaderElection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderElection.class);

    private final Session session;
    private final MetaStore store;
    private final String key;
    private final byte[] record;
    private final LeadershipListener listener;
    private final LinkedBlockingQueue<Item> queue = new LinkedBlockingQueue<>();
    private final Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(2));
    private final Consumer<String> sessionEnded;
    private final Thread thread;

    /** Thread-owned: the key as of revision {@code seen}, this candidate's leadership, and the watch. */
    private Optional<KeyValue> holder = Optional.empty();
    private long seen;
    private Leadership mine;
    private boolean campaigning = true;
    private boolean synced;
    private Watch watch;
    private int generation;
    private long retryAtNanos;
    private boolean retryPending;

    private volatile Optional<LeaderInfo> leader = Optional.empty();
    private volatile Leadership current;
    private volatile boolean stopping;
    private final AtomicBoolean closed = new AtomicBoolean();

    private sealed interface Item permits Events, Broken, SessionEnded, Resign, Stop {
    }

    private record Events(int generation, List<WatchEvent> events) implements Item {
    }

    private record Broken(int generation, StreamingException error) implements Item {
    }

    private record SessionEnded(String reason) implements Item {
    }

    private record Resign(CompletableFuture<Void> done) implements Item {
    }

    private record Stop() implements Item {
    }

    private LeaderElection(Session session, String key, byte[] leaderInfo, LeadershipListener listener) {
        this.session = session;
        this.store = session.store();
        this.key = key;
        this.record = Records.leader(session.id(), session.sessionId(), leaderInfo);
        this.listener = listener;
        this.sessionEnded = reason -> {
            Leadership l = current;
            if (l != null) {
                l.end();
            }
            queue.add(new SessionEnded(reason));
        };
        this.thread = new Thread(this::run, "tidelog-election-" + session.id() + "-" + key);
        this.thread.setDaemon(true);
    }

    /**
     * Starts campaigning for {@code electionKey} with {@code session}: on the election's thread, reads the key, takes
     * it if it is absent, and otherwise stands by. Returns at once.
     *
     * @param electionKey a meta store key, shared by every candidate ({@code coord/leader})
     * @param leaderInfo  what {@link #leader()} tells others while this candidate leads (its address); copied
     * @throws StreamingException {@code INVALID_ARGUMENT} if the session is not alive or the key is not valid
     */
    public static LeaderElection campaign(Session session, String electionKey, byte[] leaderInfo,
            LeadershipListener listener) {
        Objects.requireNonNull(session, "session");
        Objects.requireNonNull(leaderInfo, "leaderInfo");
        Objects.requireNonNull(listener, "listener");
        MetaKeys.requireKey(electionKey);
        if (!session.isAlive()) {
            throw StreamingException.invalidArgument("cannot campaign for " + electionKey + " with " + session
                    + ": the session is over (" + session.lostReason().orElse("closed") + ")");
        }
        LeaderElection e = new LeaderElection(session, electionKey, leaderInfo, listener);
        session.onEnd(e.sessionEnded);
        e.thread.start();
        return e;
    }

    /** The election key. */
    public String key() {
        return key;
    }

    /** The session this candidate campaigns with. */
    public Session session() {
        return session;
    }

    /** The leader as last seen (empty before the first read and while there is none). */
    public Optional<LeaderInfo> leader() {
        return leader;
    }

    /** This candidate's leadership, from {@code onElected} until {@code onDeposed}. */
    public Optional<Leadership> leadership() {
        return Optional.ofNullable(current);
    }

    /** Whether this candidate leads, as far as it knows (see {@link Leadership#isActive()}). */
    public boolean isLeader() {
        Leadership l = current;
        return l != null && l.isActive();
    }

    /**
     * Stops campaigning; if this candidate leads, deletes the key if it is still the one it created (a transaction
     * guarded by the epoch, so it never deletes a successor's key) and reports {@code onDeposed}. Another candidate
     * can then take over at once. Waits until done (unless called from a listener, where it runs inline). The
     * election keeps following the key for {@link #leader()} until closed.
     */
    public void resign() {
        if (Thread.currentThread() == thread) {
            resignNow();
            return;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        queue.add(new Resign(done));
        boolean interrupted = false;
        while (!done.isDone() && thread.isAlive()) {
            try {
                done.get(50, TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException e) {
                // still waiting, or done
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Resigns (see {@link #resign()}) and stops; when this returns (from another thread than the listener's), no
     * listener call is in progress and none follows. Does not close the session. Idempotent.
     */
    @Override
    public void close() {
        if (closed.getAndSet(true)) {
            return;
        }
        session.removeOnEnd(sessionEnded);
        if (Thread.currentThread() == thread) {
            resignNow();
            stopping = true;
            return;
        }
        resign();
        queue.add(new Stop());
        Threads.joinUninterruptibly(thread);
    }

    @Override
    public String toString() {
        return "LeaderElection[" + key + ", " + session.id() + ", " + (isLeader() ? "leader" : "standby") + "]";
    }

    // ---------------------------------------------------------------- the election's thread

    private void run() {
        try {
            while (!stopping) {
                work();
                Item item;
                if (retryPending) {
                    item = queue.poll(Math.max(0, retryAtNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
                } else {
                    item = queue.take();
                }
                if (item instanceof Stop) {
                    break;
                }
                if (item != null) {
                    handle(item);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (watch != null) {
                watch.close();
            }
            for (Item left : queue) {
                if (left instanceof Resign r) {
                    r.done().complete(null);
                }
            }
        }
    }

    private void handle(Item item) {
        if (item instanceof Events e) {
            if (e.generation() == generation) {
                apply(e.events());
            }
        } else if (item instanceof Broken b) {
            if (b.generation() == generation) {
                LOG.info("election {} of {}: the watch ended ({}); reading the key again", key, session.id(),
                        b.error().getMessage());
                synced = false;
            }
        } else if (item instanceof SessionEnded s) {
            campaigning = false;
            if (mine != null) {
                depose("its session ended: " + s.reason());
            }
        } else if (item instanceof Resign r) {
            resignNow();
            r.done().complete(null);
        }
    }

    /** The store work due now: a read and watch if there is none, then a campaign if the key is free. */
    private void work() {
        if (retryPending && System.nanoTime() - retryAtNanos < 0) {
            return;
        }
        retryPending = false;
        try {
            if (!synced) {
                sync();
            }
            if (campaigning && mine == null && holder.isEmpty() && session.isAlive()) {
                campaignOnce();
            }
            backoff.reset();
        } catch (StreamingException e) {
            long pause = backoff.nextNanos();
            retryPending = true;
            retryAtNanos = System.nanoTime() + pause;
            LOG.warn("election {} of {}: {} failed ({}); retrying in {} ms", key, session.id(),
                    synced ? "campaigning" : "reading the key", e.getMessage(), pause / 1_000_000);
        }
    }

    private void sync() {
        if (watch != null) {
            watch.close();
            watch = null;
        }
        generation++;
        Range r = store.range(key, 0);
        holder = r.keyValues().stream().filter(kv -> kv.key().equals(key)).findFirst();
        seen = r.revision();
        reconcile();
        int gen = generation;
        watch = store.watch(key, seen + 1, new WatchListener() {
            @Override
            public void onEvents(List<WatchEvent> events) {
                queue.add(new Events(gen, List.copyOf(events)));
            }

            @Override
            public void onError(StreamingException error) {
                queue.add(new Broken(gen, error));
            }
        });
        synced = true;
    }

    private void campaignOnce() {
        long lease = session.sessionId();
        TxnResult r = store.txn(List.of(Compare.absent(key)), List.of(Op.put(key, record, lease)),
                List.of(Op.get(key)));
        if (r.revision() < seen) {
            return;
        }
        seen = r.revision();
        if (r.succeeded()) {
            holder = Optional.of(new KeyValue(key, record, r.revision(), r.revision(), 1, lease));
        } else {
            holder = r.gets().get(0);
        }
        reconcile();
    }

    private void apply(List<WatchEvent> events) {
        for (WatchEvent e : events) {
            if (!e.key().equals(key) || e.revision() <= seen) {
                continue;
            }
            seen = e.revision();
            holder = e.type() == WatchEvent.Type.PUT ? Optional.of(e.keyValue()) : Optional.empty();
            reconcile();
        }
    }

    /** Brings the leadership in line with the key as of {@link #seen}. */
    private void reconcile() {
        leader = holder.flatMap(this::decode);
        if (mine != null && (holder.isEmpty() || holder.get().createRevision() != mine.epoch())) {
            depose(holder.isEmpty() ? "the key " + key + " was deleted (seen at revision " + seen + ")"
                    : "the key " + key + " was created again, by " + describe(holder.get()));
        }
        if (mine == null && campaigning && holder.isPresent() && holder.get().lease() == session.sessionId()
                && session.isAlive()) {
            elect(holder.get().createRevision());
        }
    }

    private void elect(long epoch) {
        Leadership l = new Leadership(this, epoch);
        mine = l;
        current = l;
        LOG.info("election {}: {} (session {}) leads at epoch {}", key, session.id(), session.sessionId(), epoch);
        try {
            listener.onElected(l);
        } catch (Throwable t) {
            LOG.error("the listener of election {} threw from onElected", key, t);
        }
    }

    private void depose(String reason) {
        Leadership l = mine;
        mine = null;
        current = null;
        l.end();
        LOG.info("election {}: {} (session {}) no longer leads at epoch {}: {}", key, session.id(),
                session.sessionId(), l.epoch(), reason);
        try {
            listener.onDeposed(l, reason);
        } catch (Throwable t) {
            LOG.error("the listener of election {} threw from onDeposed", key, t);
        }
    }

    private void resignNow() {
        campaigning = false;
        if (mine == null) {
            return;
        }
        String reason = "resigned";
        try {
            boolean deleted = store.txn(List.of(mine.guard()), List.of(Op.delete(key)), List.of()).succeeded();
            if (!deleted) {
                reason = "resigned (the key was no longer its own)";
            }
        } catch (StreamingException e) {
            reason = "resigned; deleting the key failed (" + e.getMessage() + "), it goes with the session's lease";
        }
        depose(reason);
    }

    private Optional<LeaderInfo> decode(KeyValue kv) {
        try {
            return Optional.of(Records.leaderInfo(kv));
        } catch (StreamingException e) {
            LOG.warn("election {}: {}", key, e.getMessage());
            return Optional.empty();
        }
    }

    private String describe(KeyValue kv) {
        return decode(kv).map(l -> l.memberId() + " (session " + l.sessionId() + ")").orElse("lease " + kv.lease())
                + " at revision " + kv.createRevision();
    }
}
