package io.tidelog.session;

import io.tidelog.common.Backoff;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.Op;
import io.tidelog.meta.Range;
import io.tidelog.meta.TxnResult;
import io.tidelog.meta.Watch;
import io.tidelog.meta.WatchEvent;
import io.tidelog.meta.WatchListener;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One life of a cluster member (a streaming node, a coordinator) in the meta store: key
 * {@code session/<role>/<id>}, attached to a lease of {@link SessionConfig#ttl()} that the session refreshes on a
 * thread of its own. The session's identity is the pair (id, {@link #sessionId()}, the lease): a restarted member
 * has the same id and a new session id.
 *
 * <pre>
 *   register ──▶ ALIVE ──(self-fence | lease gone | key deleted | key replaced)──▶ LOST ──close──▶ CLOSED
 *                  └───────────────────────────────close────────────────────────────────────────▲
 * </pre>
 *
 * <p><b>Registration</b> grants the lease, then writes the key in one transaction that also reads the key's
 * previous value: a previous life of the same id (a restarted member) is overwritten at once, not waited for, and
 * its lease is revoked (best effort), which deletes whatever else that life held under it, such as a leader key.
 * A registration that fails after the grant revokes the new lease (best effort) and throws.
 *
 * <p><b>Self-fence.</b> The session records, by the injected clock, the instant each refresh that succeeded was
 * <em>sent</em> (not answered); the grant counts as the first. Once {@code now - lastSent > ttl - margin} the session
 * is lost. Why this is safe: the store cannot have received that refresh before it was sent, and it expires a lease
 * one time to live after the last refresh it received (etcd rounds the ttl up to whole seconds and looks for
 * expired leases every 500 ms, both only later), so no other member can see the lease gone before
 * {@code lastSent + ttl}: the owner stops at least {@code margin} before that, minus one watchdog tick (at most
 * 100 ms, a quarter of the margin when smaller). The rule assumes the two clocks run at about the same rate over
 * one ttl, not that they agree: pass a monotonic clock (the overload without a clock does), never one that may be
 * set back. The deadline is judged by a watchdog on a thread of its own, every tick, so it holds while a refresh is
 * blocked in a store that does not answer (a frozen etcd holds it until the store's request timeout).
 *
 * <p><b>Other losses.</b> The session is also lost when a refresh finds the lease gone (expired or revoked), and
 * when its key is deleted or overwritten by another session (the same id registered elsewhere), which it learns by
 * watching its own key. Store failures are not a loss by themselves: a failed refresh is retried (sooner than the
 * interval: backing off from 100 ms), a broken watch is opened again; if the store stays unreachable, the
 * self-fence rule ends the session.
 *
 * <p><b>Threads.</b> Between registration and close (which make their store calls on the caller's thread), the
 * refresher thread makes every store call of the session; the watchdog thread judges the deadline and is the one
 * thread that calls {@link SessionListener#onLost}, exactly once (unless the session was closed first), after
 * {@link #isAlive()} turned false for good; the store's watch dispatcher only hands over. Every method may be called
 * from any thread. A lost session keeps its two (idle) threads until closed.
 *
 * <p><b>What the caller must do.</b> On {@code onLost}, stop at once what the session entitled the member to: a
 * node closes the WALs it serves; a coordinator stops acting (its leader guard already fails its writes) and
 * campaigns again with a new session. Then close this session and, to live on, register a new one.
 * {@link #close()} revokes the lease (best effort, within the store's deadlines), so the key goes at once, and
 * never calls {@code onLost} after it returns.
 */
public final class Session implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Session.class);
    private static final Duration FIRST_RETRY = Duration.ofMillis(100);

    private enum State { ALIVE, LOST, CLOSED }

    private final MetaStore store;
    private final SessionConfig config;
    private final String role;
    private final String id;
    private final String key;
    private final byte[] info;
    private final InstantSource clock;
    private final SessionListener listener;
    private final long leaseId;
    private final long revision;
    private final Instant startedAt;
    private final long fenceAfterMillis;
    /** The clock's millis when the last refresh that succeeded was sent (the grant's first). */
    private final AtomicLong lastSentMillis;
    private final AtomicLong refreshes = new AtomicLong();
    /** Refresher thread only. */
    private final Backoff retry;

    /** Guarded by this. */
    private State state = State.ALIVE;
    /** Guarded by this. */
    private final List<Consumer<String>> lossHooks = new ArrayList<>();
    private volatile String lostReason;
    private volatile Watch keyWatch;
    private volatile boolean keyWatchBroken;

    /** Null when driven by hand (tests): then {@link SessionListener#onLost} runs on the thread that finds the loss. */
    private final ScheduledThreadPoolExecutor refresher;
    private final ScheduledThreadPoolExecutor watchdog;
    private volatile Thread refresherThread;
    private volatile Thread watchdogThread;

    private Session(MetaStore store, SessionConfig config, String role, String id, byte[] info, InstantSource clock,
            SessionListener listener, long leaseId, long revision, Instant startedAt, long grantSentMillis,
            boolean ownThreads) {
        this.store = store;
        this.config = config;
        this.role = role;
        this.id = id;
        this.key = Records.sessionKey(role, id);
        this.info = info;
        this.clock = clock;
        this.listener = listener;
        this.leaseId = leaseId;
        this.revision = revision;
        this.startedAt = startedAt;
        this.fenceAfterMillis = config.fenceAfter().toMillis();
        this.lastSentMillis = new AtomicLong(grantSentMillis);
        this.retry = new Backoff(min(FIRST_RETRY, config.keepAliveInterval()), config.keepAliveInterval());
        if (ownThreads) {
            ScheduledThreadPoolExecutor r = new ScheduledThreadPoolExecutor(1, runnable -> {
                Thread t = new Thread(runnable, "tidelog-session-refresher-" + role + "-" + id);
                t.setDaemon(true);
                refresherThread = t;
                return t;
            });
            // a refresh scheduled for later must not run after close
            r.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
            this.refresher = r;
            // shut down, the watchdog stops ticking but still runs an onLost handed to it before
            this.watchdog = new ScheduledThreadPoolExecutor(1, runnable -> {
                Thread t = new Thread(runnable, "tidelog-session-watchdog-" + role + "-" + id);
                t.setDaemon(true);
                watchdogThread = t;
                return t;
            });
        } else {
            this.refresher = null;
            this.watchdog = null;
        }
    }

    /**
     * Registers a member with the {@linkplain #monotonicClock() monotonic clock}; see
     * {@link #register(MetaStore, SessionConfig, String, String, byte[], InstantSource, SessionListener)}.
     */
    public static Session register(MetaStore store, SessionConfig config, String role, String id, byte[] info,
            SessionListener listener) {
        return register(store, config, role, id, info, monotonicClock(), listener);
    }

    /**
     * Registers one life of member {@code id} of {@code role}: grants a lease of the configured ttl, writes key
     * {@code session/<role>/<id>} under it (overwriting a previous life's key and revoking that life's lease), starts
     * refreshing it and watching the key. Blocks for those store calls and fails with their exception (the new
     * lease revoked, best effort).
     *
     * @param role     a name without {@code '/'}: {@code node}, {@code coord}, ...
     * @param id       a name without {@code '/'}, unique within the role and stable across restarts
     * @param info     what the others learn of this member ({@link SessionInfo#info()}), e.g. its address; copied
     * @param clock    judges the self-fence deadline; must not go back (see the class comment)
     * @param listener hears the loss, once, on the session's watchdog thread
     */
    public static Session register(MetaStore store, SessionConfig config, String role, String id, byte[] info,
            InstantSource clock, SessionListener listener) {
        return register(store, config, role, id, info, clock, listener, true);
    }

    /** A session driven by hand when {@code ownThreads} is false: tests call {@link #refreshOnce()} and {@link #checkDeadline()}. */
    static Session register(MetaStore store, SessionConfig config, String role, String id, byte[] info,
            InstantSource clock, SessionListener listener, boolean ownThreads) {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(info, "info");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(listener, "listener");
        String key = Records.sessionKey(role, id);
        long grantSent = clock.millis();
        long lease = store.grantLease(config.ttl());
        Session session = null;
        try {
            Instant started = clock.instant();
            TxnResult r = store.txn(List.of(),
                    List.of(Op.get(key), Op.put(key, Records.session(role, id, lease, info, started), lease)), List.of());
            session = new Session(store, config, role, id, info.clone(), clock, listener, lease, r.revision(), started,
                    grantSent, ownThreads);
            session.watchKey(r.revision() + 1);
            r.gets().get(0).ifPresent(session::revokePreviousLife);
            session.start();
            LOG.info("registered session {} of {}/{} at revision {} (ttl {}, keepalive every {}, self-fence after {})",
                    lease, role, id, r.revision(), config.ttl(), config.keepAliveInterval(), config.fenceAfter());
            return session;
        } catch (RuntimeException e) {
            if (session != null) {
                session.stopThreads();
            }
            try {
                store.revokeLease(lease);
            } catch (RuntimeException revoke) {
                e.addSuppressed(revoke);
            }
            throw e;
        }
    }

    /** A clock for the self-fence deadline that never goes back nor jumps with the system clock. */
    public static InstantSource monotonicClock() {
        return MonotonicClock.INSTANCE;
    }

    public String role() {
        return role;
    }

    public String id() {
        return id;
    }

    /** The session's key, {@code session/<role>/<id>}. */
    public String key() {
        return key;
    }

    /** The lease of this life: with {@link #id()}, the session's identity. */
    public long sessionId() {
        return leaseId;
    }

    /** A copy of the info this session registered. */
    public byte[] info() {
        return info.clone();
    }

    /** When the session registered, by its clock. */
    public Instant startedAt() {
        return startedAt;
    }

    /** The revision of the registration. */
    public long revision() {
        return revision;
    }

    public SessionConfig config() {
        return config;
    }

    /** Whether the session still entitles its member to act: false from the loss or close on, forever. */
    public synchronized boolean isAlive() {
        return state == State.ALIVE;
    }

    /** Why the session was lost; empty while alive and after a close of a live session. */
    public Optional<String> lostReason() {
        return Optional.ofNullable(lostReason);
    }

    /**
     * Stops refreshing and watching and revokes the lease (best effort: a failure is logged, the lease then expires
     * by itself), so the key goes at once. When this returns, {@link SessionListener#onLost} is not running and never
     * runs (unless called from within it). Blocks while a store call of the refresher is in flight, up to the store's
     * deadline. Idempotent.
     */
    @Override
    public void close() {
        State before;
        List<Consumer<String>> hooks;
        synchronized (this) {
            before = state;
            state = State.CLOSED;
            hooks = List.copyOf(lossHooks);
            lossHooks.clear();
        }
        if (before == State.CLOSED) {
            return;
        }
        stopThreads();
        if (before == State.ALIVE) {
            runHooks(hooks, "the session was closed");
        }
        try {
            store.revokeLease(leaseId);
        } catch (StreamingException e) {
            LOG.warn("closing session {} of {}/{}: revoking its lease failed; its key goes when the lease expires",
                    leaseId, role, id, e);
        }
        LOG.info("closed session {} of {}/{}", leaseId, role, id);
    }

    @Override
    public String toString() {
        return "Session[" + role + "/" + id + ", " + leaseId + (lostReason == null ? "" : ", lost") + "]";
    }

    // ---------------------------------------------------------------- for this package

    MetaStore store() {
        return store;
    }

    /** When the last refresh that succeeded was sent (the grant, before any). */
    Instant lastRefreshSent() {
        return Instant.ofEpochMilli(lastSentMillis.get());
    }

    /** How many refreshes succeeded. */
    long refreshes() {
        return refreshes.get();
    }

    /**
     * Runs {@code hook} once with the reason when the session is lost or closed, on the thread that finds it (it must
     * not block); at once if that happened already. For the elections campaigning with this session.
     */
    void onEnd(Consumer<String> hook) {
        String reason;
        synchronized (this) {
            if (state == State.ALIVE) {
                lossHooks.add(hook);
                return;
            }
            reason = state == State.LOST ? lostReason : "the session was closed";
        }
        hook.accept(reason);
    }

    void removeOnEnd(Consumer<String> hook) {
        synchronized (this) {
            lossHooks.remove(hook);
        }
    }

    /**
     * The refresher's duty: reopens a broken watch of the key, then refreshes the lease once. Returns the nanos to
     * wait before the next call, or -1 once the session is over.
     */
    long refreshOnce() {
        if (!isAlive()) {
            return -1;
        }
        long next = refreshLease();
        if (next >= 0 && keyWatchBroken && !rewatchKey()) {
            next = Math.min(next, retry.nextNanos());
        }
        return isAlive() ? next : -1;
    }

    private long refreshLease() {
        long sent = clock.millis();
        boolean alive;
        try {
            alive = store.keepAlive(leaseId);
        } catch (StreamingException e) {
            long next = retry.nextNanos();
            LOG.warn("session {} of {}/{}: refreshing the lease failed ({}); retrying in {} ms, self-fence {} ms after"
                    + " the last refresh that succeeded", leaseId, role, id, e.getMessage(), next / 1_000_000,
                    fenceAfterMillis);
            return next;
        }
        if (!alive) {
            lose(leaseGoneReason());
            return -1;
        }
        lastSentMillis.accumulateAndGet(sent, Math::max);
        refreshes.incrementAndGet();
        retry.reset();
        return config.keepAliveInterval().toNanos();
    }

    /** The watchdog's duty: the self-fence rule. */
    void checkDeadline() {
        long silentMillis = clock.millis() - lastSentMillis.get();
        if (silentMillis > fenceAfterMillis && isAlive()) {
            lose("self-fenced: no refresh of lease " + leaseId + " sent in the last " + config.fenceAfter()
                    + " succeeded (the last one that did was sent " + silentMillis + " ms ago); the store may expire"
                    + " the lease " + (config.ttl().toMillis() - silentMillis) + " ms from now");
        }
    }

    // ---------------------------------------------------------------- internals

    private void start() {
        if (refresher == null) {
            return;
        }
        long tick = config.watchdogTick().toNanos();
        watchdog.scheduleAtFixedRate(this::checkDeadline, tick, tick, TimeUnit.NANOSECONDS);
        scheduleRefresh(config.keepAliveInterval().toNanos());
    }

    private void scheduleRefresh(long delayNanos) {
        try {
            refresher.schedule(() -> {
                long next = refreshOnce();
                if (next >= 0) {
                    scheduleRefresh(next);
                }
            }, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closed) {
            // close() stopped the refresher
        }
    }

    private void lose(String reason) {
        List<Consumer<String>> hooks;
        synchronized (this) {
            if (state != State.ALIVE) {
                return;
            }
            state = State.LOST;
            lostReason = reason;
            hooks = List.copyOf(lossHooks);
            lossHooks.clear();
            if (watchdog != null) {
                // close() shuts the watchdog down only after leaving ALIVE, under this lock: never rejected
                watchdog.execute(this::notifyLost);
            }
        }
        LOG.warn("session {} of {}/{} is lost: {}", leaseId, role, id, reason);
        runHooks(hooks, reason);
        if (watchdog == null) {
            notifyLost();
        }
    }

    private void notifyLost() {
        try {
            listener.onLost(this, lostReason);
        } catch (Throwable t) {
            LOG.error("the listener of session {} of {}/{} threw from onLost", leaseId, role, id, t);
        }
    }

    private void runHooks(List<Consumer<String>> hooks, String reason) {
        for (Consumer<String> hook : hooks) {
            try {
                hook.accept(reason);
            } catch (Throwable t) {
                LOG.error("a hook on the end of session {} threw", leaseId, t);
            }
        }
    }

    /** Tells apart a lease that expired or was revoked from one whose key a newer life took over. */
    private String leaseGoneReason() {
        String gone = "its lease " + leaseId + " is gone (expired or revoked)";
        try {
            Optional<KeyValue> now = store.get(key);
            if (now.isPresent() && now.get().lease() != leaseId) {
                return replacedReason(now.get());
            }
        } catch (StreamingException e) {
            return gone + "; reading its key failed: " + e.getMessage();
        }
        return gone;
    }

    private String replacedReason(KeyValue kv) {
        String by = kv.lease() == MetaStore.NO_LEASE ? "a write without a lease" : "another session (" + kv.lease()
                + ") of the same id";
        return "replaced: its key " + key + " was written by " + by + " at revision " + kv.modRevision();
    }

    private void watchKey(long fromRevision) {
        keyWatch = store.watch(key, fromRevision, new WatchListener() {
            @Override
            public void onEvents(List<WatchEvent> events) {
                for (WatchEvent e : events) {
                    if (!e.key().equals(key)) {
                        continue;
                    }
                    if (e.type() == WatchEvent.Type.DELETE) {
                        lose("its key " + key + " was deleted at revision " + e.revision()
                                + " (its lease expired or was revoked, or the key was deleted)");
                    } else if (e.keyValue().lease() != leaseId) {
                        lose(replacedReason(e.keyValue()));
                    }
                }
            }

            @Override
            public void onError(StreamingException error) {
                LOG.info("session {} of {}/{}: the watch of its key ended ({}); it is read and watched again",
                        leaseId, role, id, error.getMessage());
                keyWatchBroken = true;
            }
        });
    }

    /** After a watch error: reads the key, loses the session if it is no longer ours, else watches again. */
    private boolean rewatchKey() {
        try {
            Watch old = keyWatch;
            if (old != null) {
                old.close();
            }
            Range r = store.range(key, 0);
            Optional<KeyValue> now = r.keyValues().stream().filter(kv -> kv.key().equals(key)).findFirst();
            if (now.isEmpty()) {
                lose("its key " + key + " is gone (seen by a read at revision " + r.revision() + " after its watch"
                        + " broke)");
                return false;
            }
            if (now.get().lease() != leaseId) {
                lose(replacedReason(now.get()));
                return false;
            }
            keyWatchBroken = false;
            watchKey(r.revision() + 1);
            return true;
        } catch (StreamingException e) {
            keyWatchBroken = true;
            LOG.warn("session {} of {}/{}: watching its key again failed ({}); retrying", leaseId, role, id,
                    e.getMessage());
            return false;
        }
    }

    /** A restarted member must not wait for its previous life's lease: that life is over (it sees its key replaced). */
    private void revokePreviousLife(KeyValue previous) {
        if (previous.lease() == MetaStore.NO_LEASE || previous.lease() == leaseId) {
            return;
        }
        try {
            boolean existed = store.revokeLease(previous.lease());
            LOG.info("session {} of {}/{} replaced session {} of the same id{}", leaseId, role, id, previous.lease(),
                    existed ? " and revoked its lease" : " (whose lease was gone)");
        } catch (StreamingException e) {
            LOG.warn("session {} of {}/{} replaced session {} of the same id; revoking that lease failed, it expires"
                    + " by itself", leaseId, role, id, previous.lease(), e);
        }
    }

    private void stopThreads() {
        if (refresher != null) {
            // no interrupt: a refresh in flight ends by the store's deadline
            refresher.shutdown();
            watchdog.shutdown();
        }
        Watch w = keyWatch;
        if (w != null) {
            w.close();
        }
        if (refresher != null) {
            awaitUnlessSelf(refresher, refresherThread);
            awaitUnlessSelf(watchdog, watchdogThread);
        }
    }

    private static void awaitUnlessSelf(ExecutorService executor, Thread thread) {
        if (Thread.currentThread() == thread) {
            return;
        }
        boolean interrupted = false;
        while (true) {
            try {
                if (executor.awaitTermination(1, TimeUnit.MINUTES)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
