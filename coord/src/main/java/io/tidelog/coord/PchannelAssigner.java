package io.tidelog.coord;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.Compare;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.Op;
import io.tidelog.meta.TxnResult;
import io.tidelog.state.proto.PchannelMeta;
import io.tidelog.state.proto.PchannelState;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's assignment of pchannels to node sessions: one independent task per pchannel, driven by the record
 * {@code coord/pchannel/<p>} it persists at every step, so that a task interrupted anywhere (a failed call, a node
 * that died, a leader that died) resumes from the record and is never left {@code ASSIGNING}.
 *
 * <p><b>Protocol</b> (the steps of {@code coord/src/test/promela/assignment.pml}, whose properties spin checks):
 * <ol>
 *   <li>New term: write {@code {term+1, node, node's session, ASSIGNING, previous owner}} with a compare of the
 *       record's mod revision. A term is bound to one node session for life: a retry on another node, or after the
 *       node restarted, always takes a new term.</li>
 *   <li>Ask the previous owners that are still live to let go ({@link NodeHandle#remove}), waiting at most
 *       {@code coord.remove.timeout}: a graceful hand-over (appends in flight finish, recovery state is saved). A
 *       dead or unreachable owner counts as removed: the open of step 3 fences it at the storage.</li>
 *   <li>{@link NodeHandle#assign} at the term, waiting as long as the node takes (a long recovery is no failure;
 *       the node goes on if nobody waits).</li>
 *   <li>Write {@code ASSIGNED} with a compare of the mod revision the step-1 write got, then publish. The compare,
 *       not only the leadership guard, keeps a task of an earlier leadership from overwriting a newer record
 *       (spin's STEP4_NO_CAS counterexample).</li>
 * </ol>
 * A record found {@code ASSIGNING} at a live session resumes at step 2 at its term; one whose session is gone goes
 * back to step 1 on another node. A failed step 3 is retried at the same term after a pause (100 ms doubling to
 * {@code coord.assign.retry.max.backoff}) while the node's session lives; after
 * {@code coord.assign.attempts.per.node} failures in a row, or at once when the node knows a newer term
 * ({@code UNMATCHED_CHANNEL_TERM}, {@code CHANNEL_FENCED}), it takes step 1 again, on another node if there is one.
 *
 * <p><b>Placement.</b> A pchannel without a live owner goes to the live node with the fewest pchannels, draining
 * nodes excluded; among equals, to the one where it meets the fewest pchannels carrying shards of the same
 * collections ({@link #spreadShards}), then the fewest shards in all, then the lowest id; with no live node the
 * record says {@code UNASSIGNED}. An owner registered but not heard from yet ({@link #nodePending}: a new leader
 * waits for the first heartbeats) keeps its pchannels until it is up or down. Failover and drain move pchannels at
 * once; to even the load after a node joins, at most one pchannel moves per
 * {@code coord.balance.interval}, and only while no assignment is in flight.
 *
 * <p><b>Fencing and leadership.</b> The store given is the leader's view (a {@link LeaderGuardedMetaStore} in a
 * cluster): every write of a deposed leader fails with {@code NOT_LEADER}, and the assigner then stops for good
 * ({@link Listener#onDeposed}). Correctness never rests on a node having let go: the storage fences every older
 * term at the open of a newer one.
 *
 * <p><b>Threads.</b> One thread, {@code tidelog-coord-assigner}, owns every field: public methods post to it and
 * return at once; node futures complete anywhere and post back; meta-store calls block it (with the store's
 * deadlines). {@link Listener} and {@link AssignmentMetrics} methods run on it and must not block.
 */
public final class PchannelAssigner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PchannelAssigner.class);
    static final String PCHANNEL_KEYS = "coord/pchannel/";
    /** A drained node session, {@code coord/drain/<node id>} = its session id (decimal): kept across leaders. */
    static final String DRAIN_KEYS = "coord/drain/";
    private static final long FIRST_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /**
     * The collections whose shards (vchannels) each pchannel carries, so that placement spreads the shards of one
     * collection over nodes. Called on the assigner's thread; may read the meta store; a failure means no hint.
     */
    @FunctionalInterface
    public interface Shards {
        Shards NONE = Map::of;

        /** Collection ids by pchannel; a pchannel missing carries none. */
        Map<String, Set<Long>> collectionsByPchannel();
    }

    /** What the assigner tells its owner; called on the assigner's thread, must not block. */
    public interface Listener {
        /** A record was persisted (or read at start): the pchannel's assignment is now {@code a}. */
        void onChange(Assignment a);

        /** Step 3 failed; the assigner retries as the class comment says. */
        default void onAssignFailed(Assignment a, Throwable cause) {
        }

        /** A write found this coordinator deposed: the assigner stopped. */
        default void onDeposed(StreamingException cause) {
        }
    }

    private final MetaStore meta;
    private final CoordConfig config;
    private final Listener listener;
    private final AssignmentMetrics metrics;
    private final ScheduledExecutorService loop;
    private final Thread loopThread;
    /** Owned by the loop thread, like everything below. */
    private final Map<String, Slot> slots = new LinkedHashMap<>();
    private final Map<String, NodeHandle> live = new TreeMap<>();
    /** Node sessions registered but not heard from yet: node id to session id. */
    private final Map<String, Long> pending = new HashMap<>();
    /** Draining node sessions: node id to session id. */
    private final Map<String, Long> draining = new HashMap<>();
    /** The ids of {@link #draining}, published for other threads after every change. */
    private volatile Set<String> drainingView = Set.of();
    private final List<Waiter> waiters = new ArrayList<>();
    /** Stale WALs being removed from a node that still served them: "pchannel@term@session". */
    private final Set<String> staleRemovals = new HashSet<>();
    private long lastMoveNanos = Long.MIN_VALUE / 2;
    private Shards shards = Shards.NONE;
    private Map<String, Set<Long>> hintsCache;
    private long hintsAtNanos;
    private boolean stopped;

    /** A pchannel's task: its record as persisted, and the call in flight for it. */
    private static final class Slot {
        final String pchannel;
        Assignment record;
        long modRevision;
        Attempt attempt;
        /** Failed assigns in a row on {@code failingNode}. */
        int failuresOnNode;
        String failingNode;
        /** The node a new term should not go to if another can take it (failing, or being balanced away from). */
        String avoidNode;
        boolean needsNewTerm;
        long retryAtNanos;
        boolean retryScheduled;
        /** Whether the pchannel is failing over (its owner was found down), and since when ({@link System#nanoTime}). */
        boolean failingOver;
        long failoverSinceNanos;

        Slot(String pchannel) {
            this.pchannel = pchannel;
        }
    }

    /** Steps 2 and 3 for one term on one node session; abandoned when the node dies (its completion is ignored). */
    private record Attempt(long term, NodeHandle target) {
    }

    private record Waiter(Supplier<Boolean> done, CompletableFuture<Void> future) {
    }

    private PchannelAssigner(MetaStore meta, CoordConfig config, Listener listener, AssignmentMetrics metrics) {
        this.meta = meta;
        this.config = config;
        this.listener = listener;
        this.metrics = metrics;
        Thread[] t = new Thread[1];
        this.loop = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "tidelog-coord-assigner");
            thread.setDaemon(true);
            t[0] = thread;
            return thread;
        });
        try {
            this.loopThread = loop.submit(Thread::currentThread).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            loop.shutdownNow();
            throw StreamingException.onShutdown("interrupted while starting the assigner");
        } catch (ExecutionException e) {
            loop.shutdownNow();
            throw StreamingException.from(e.getCause());
        }
    }

    /**
     * Reads every pchannel's record and starts assigning (nothing moves before a node is {@linkplain #nodeUp up}).
     * The listener sees each existing record once, before this returns.
     */
    public static PchannelAssigner start(MetaStore meta, CoordConfig config, Listener listener) {
        return start(meta, config, listener, AssignmentMetrics.NONE);
    }

    /** Starts as above, reporting new terms and failovers to {@code metrics}. */
    public static PchannelAssigner start(MetaStore meta, CoordConfig config, Listener listener,
                                         AssignmentMetrics metrics) {
        PchannelAssigner a = new PchannelAssigner(meta, config, listener, metrics);
        try {
            a.loop.submit(a::load).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            a.close();
            throw StreamingException.onShutdown("interrupted while reading the assignments");
        } catch (ExecutionException e) {
            a.close();
            throw StreamingException.from(e.getCause());
        }
        long tick = config.balanceInterval().toNanos();
        a.loop.scheduleWithFixedDelay(() -> a.guarded(a::balance), tick, tick, TimeUnit.NANOSECONDS);
        return a;
    }

    // ---------------------------------------------------------------- inputs (any thread)

    /**
     * A node session is registered but not heard from yet (a new leader follows the sessions it found): its
     * pchannels stay where they are until it is {@linkplain #nodeUp up} or {@linkplain #nodeDown down}, so that a
     * new leader does not move pchannels off nodes that serve them merely because their first heartbeats are late.
     */
    public void nodePending(String nodeId, long sessionId) {
        post(() -> {
            NodeHandle h = live.get(nodeId);
            if (h == null || h.sessionId() != sessionId) {
                pending.put(nodeId, sessionId);
            }
        });
    }

    /** A node session is live (joined, or answers again): pchannels may go to it. Replaces an older session. */
    public void nodeUp(NodeHandle node) {
        post(() -> {
            pending.remove(node.nodeId());
            NodeHandle before = live.put(node.nodeId(), node);
            if (before != null && before.sessionId() != node.sessionId()) {
                LOG.info("node {} has a new session {} (was {}): it holds nothing of the former one", node.nodeId(),
                        node.sessionId(), before.sessionId());
                failingOver(before.nodeId(), before.sessionId()); // the former session is lost, as if found down
                abandonAttemptsOn(before);
            } else if (before == null) {
                LOG.info("node {} (session {}, {}) is live", node.nodeId(), node.sessionId(), node.address());
            }
            Long drained = draining.get(node.nodeId());
            if (drained != null && drained != node.sessionId()) {
                endDrain(node.nodeId(), drained); // a drain of an earlier life (perhaps from an earlier leader)
            }
            reconcileAll();
        });
    }

    /**
     * A node session is gone or stopped answering: its pchannels move at once, at new terms (the storage fences
     * it if it still writes). Ignored if the node has another session by now.
     */
    public void nodeDown(String nodeId, long sessionId, String why) {
        post(() -> {
            Long waiting = pending.get(nodeId);
            if (waiting != null && waiting == sessionId) {
                pending.remove(nodeId);
                LOG.info("node {} (session {}) is down before it was heard from: {}", nodeId, sessionId, why);
                failingOver(nodeId, sessionId);
                reconcileAll();
                return;
            }
            NodeHandle h = live.get(nodeId);
            if (h == null || h.sessionId() != sessionId) {
                return;
            }
            LOG.info("node {} (session {}) is down: {}; moving its pchannels", nodeId, sessionId, why);
            live.remove(nodeId);
            failingOver(nodeId, sessionId);
            abandonAttemptsOn(h);
            endDrain(nodeId, sessionId);
            reconcileAll();
        });
    }

    /** Marks the pchannels bound to a node session found down as failing over, for the metrics. */
    private void failingOver(String nodeId, long sessionId) {
        long now = System.nanoTime();
        for (Slot s : slots.values()) {
            Assignment rec = s.record;
            if (rec != null && rec.hasOwner() && rec.nodeId().equals(nodeId) && rec.sessionId() == sessionId
                    && !s.failingOver) {
                s.failingOver = true;
                s.failoverSinceNanos = now;
                metrics.failoverStarted(s.pchannel, nodeId);
            }
        }
    }

    /**
     * The node session reports serving these pchannels at these terms (its heartbeat). One it serves at a term
     * older than the record's is a WAL the storage already fenced, left open on a node that was declared down while
     * it lived on (a pause, a partition): it is removed from the node, so that the node neither counts it nor
     * answers for it. Ignored unless the session is live.
     */
    public void served(NodeHandle node, Map<String, Long> termsByPchannel) {
        post(() -> {
            NodeHandle h = live.get(node.nodeId());
            if (h == null || h.sessionId() != node.sessionId()) {
                return;
            }
            termsByPchannel.forEach((pchannel, term) -> {
                Slot s = slots.get(pchannel);
                if (s == null || s.record == null || s.record.term() <= term) {
                    return;
                }
                String key = pchannel + "@" + term + "@" + h.sessionId();
                if (staleRemovals.add(key)) {
                    LOG.info("pchannel {}: node {} still serves term {} of it (now term {}); removing it there",
                            pchannel, h.nodeId(), term, s.record.term());
                    call(() -> h.remove(pchannel, term))
                            .completeOnTimeout(null, config.removeTimeout().toNanos(), TimeUnit.NANOSECONDS)
                            .whenComplete((v, e) -> post(() -> staleRemovals.remove(key)));
                }
            });
        });
    }

    /**
     * Moves every pchannel off the node's current session, gracefully; the session gets none until it ends (a
     * restarted node is a new session and takes pchannels again). The drain is persisted, so a new leader keeps it.
     * The future completes with the drained session's id when the node holds none; {@code NOT_FOUND} if the node
     * has no live session.
     */
    public CompletableFuture<Long> drain(String nodeId) {
        return ask(done -> {
            NodeHandle h = live.get(nodeId);
            if (h == null) {
                done.completeExceptionally(new StreamingException(ErrorCode.NOT_FOUND, "node " + nodeId
                        + " has no live session"));
                return;
            }
            if (!isDraining(h)) {
                try {
                    meta.put(DRAIN_KEYS + nodeId, Long.toString(h.sessionId()).getBytes(StandardCharsets.UTF_8));
                } catch (RuntimeException e) {
                    done.completeExceptionally(e);
                    throw e;
                }
                draining.put(nodeId, h.sessionId());
                drainingView = Set.copyOf(draining.keySet());
                LOG.info("draining node {} (session {})", nodeId, h.sessionId());
            }
            CompletableFuture<Void> empty = new CompletableFuture<>();
            empty.whenComplete((v, err) -> {
                if (err != null) {
                    done.completeExceptionally(err);
                } else {
                    done.complete(h.sessionId());
                }
            });
            waiters.add(new Waiter(() -> slots.values().stream().noneMatch(s -> ownedBy(s, h)), empty));
            reconcileAll();
        });
    }

    /** The drain of a node session that ended is forgotten, here and in the store. Loop thread. */
    private void endDrain(String nodeId, long sessionId) {
        Long session = draining.get(nodeId);
        if (session != null && session == sessionId) {
            draining.remove(nodeId);
            drainingView = Set.copyOf(draining.keySet());
            meta.delete(DRAIN_KEYS + nodeId);
        }
    }

    /** The nodes drained ({@link #drain}) whose drained session has not ended; any thread. */
    public Set<String> drainingNodes() {
        return drainingView;
    }

    /** From now on placement spreads the shards of each collection over the nodes, as {@code shards} tells. */
    public void spreadShards(Shards shards) {
        post(() -> {
            this.shards = shards;
            hintsCache = null;
        });
    }

    /**
     * A client found the owner at {@code term} refusing it ({@code code}): if the record still stands at the term,
     * the owner is asked to serve it again at the term (idempotent when it does); a newer term fenced it
     * ({@code CHANNEL_FENCED}) or the owner is gone: a new term.
     */
    public void reportError(String pchannel, long term, ErrorCode code, String message) {
        post(() -> {
            Slot s = slots.get(pchannel);
            if (s == null || s.record == null || s.record.term() != term || !code.isWrongNode() || s.attempt != null) {
                return;
            }
            LOG.info("pchannel {} term {}: a client reports {} ({})", pchannel, term, code, message);
            NodeHandle owner = liveOwner(s.record);
            if (owner == null || code == ErrorCode.CHANNEL_FENCED) {
                s.needsNewTerm = true;
                reconcile(s);
            } else {
                startAttempt(s, owner);
            }
        });
    }

    /** Completes when every pchannel is ASSIGNED to a live node session. */
    public CompletableFuture<Void> whenAllAssigned() {
        return ask(done -> {
            waiters.add(new Waiter(() -> slots.values().stream().allMatch(s -> s.record != null
                    && s.record.state() == PchannelState.ASSIGNED && liveOwner(s.record) != null), done));
            checkWaiters();
        });
    }

    // ---------------------------------------------------------------- the tasks (loop thread)

    private void load() {
        for (KeyValue kv : meta.scan(DRAIN_KEYS)) {
            draining.put(kv.key().substring(DRAIN_KEYS.length()),
                    Long.parseLong(new String(kv.value(), StandardCharsets.UTF_8)));
        }
        drainingView = Set.copyOf(draining.keySet());
        for (String p : config.pchannels()) {
            Slot s = new Slot(p);
            slots.put(p, s);
            read(s);
            if (s.record != null) {
                listener.onChange(s.record);
            }
        }
    }

    /** Reads the slot's record from the store (after a lost compare, or an unknown outcome). */
    private void read(Slot s) {
        Optional<KeyValue> kv = meta.get(PCHANNEL_KEYS + s.pchannel);
        s.record = kv.map(v -> Assignment.fromMeta(parse(v))).orElse(null);
        s.modRevision = kv.map(KeyValue::modRevision).orElse(0L);
    }

    private void reconcileAll() {
        for (Slot s : slots.values()) {
            reconcile(s);
        }
        checkWaiters();
    }

    /** Brings one pchannel a step closer to being served by a live, non-draining node session. */
    private void reconcile(Slot s) {
        assertLoop();
        if (stopped || s.attempt != null) {
            return;
        }
        long now = System.nanoTime();
        if (now - s.retryAtNanos < 0) {
            scheduleRetry(s, s.retryAtNanos - now);
            return;
        }
        Assignment rec = s.record;
        NodeHandle owner = rec != null && rec.hasOwner() ? liveOwner(rec) : null;
        if (owner == null && rec != null && rec.hasOwner() && isPending(rec)) {
            return; // its owner's first heartbeat is still to come
        }
        if (owner != null && !isDraining(owner) && !s.needsNewTerm) {
            if (rec.state() == PchannelState.ASSIGNING) {
                startAttempt(s, owner); // resume: step 2 at the record's term
            }
            return;
        }
        NodeHandle target = pick(s);
        if (target == null) {
            if (owner == null && rec != null && rec.state() != PchannelState.UNASSIGNED) {
                write(s, new Assignment(s.pchannel, rec.term(), "", 0, "", PchannelState.UNASSIGNED,
                        formerOwner(rec), formerSession(rec), formerTerm(rec)));
            }
            return; // the owner (draining or needing a new term) stays until another node can take it
        }
        long term = rec == null ? 1 : rec.term() + 1;
        Assignment next = new Assignment(s.pchannel, term, target.nodeId(), target.sessionId(), target.address(),
                PchannelState.ASSIGNING, rec == null ? "" : formerOwner(rec), rec == null ? 0 : formerSession(rec),
                rec == null ? 0 : formerTerm(rec));
        if (!write(s, next)) {
            post(() -> reconcile(s));
            return;
        }
        metrics.termStarted(s.pchannel, term);
        if (!target.nodeId().equals(s.failingNode)) {
            s.failuresOnNode = 0;
        }
        s.needsNewTerm = false;
        s.avoidNode = null;
        LOG.info("pchannel {}: term {} on node {} (was {} at term {})", s.pchannel, term, target.nodeId(),
                next.previousNodeId().isEmpty() ? "nobody" : next.previousNodeId(), next.previousTerm());
        startAttempt(s, target);
    }

    /** Steps 2 and 3 for the slot's record, which is bound to {@code target}. */
    private void startAttempt(Slot s, NodeHandle target) {
        Assignment rec = s.record;
        Attempt attempt = new Attempt(rec.term(), target);
        s.attempt = attempt;
        List<CompletableFuture<Void>> removals = new ArrayList<>();
        NodeHandle previous = live.get(rec.previousNodeId());
        if (previous != null && previous.sessionId() == rec.previousSessionId()
                && previous.sessionId() != target.sessionId()) {
            removals.add(call(() -> previous.remove(s.pchannel, rec.previousTerm()))
                    .handle((v, e) -> (Void) null)
                    .completeOnTimeout(null, config.removeTimeout().toNanos(), TimeUnit.NANOSECONDS));
        }
        CompletableFuture.allOf(removals.toArray(CompletableFuture[]::new))
                .thenCompose(v -> call(() -> target.assign(s.pchannel, attempt.term())))
                .whenComplete((v, e) -> post(() -> attemptDone(s, attempt, e)));
    }

    private void attemptDone(Slot s, Attempt attempt, Throwable e) {
        if (s.attempt != attempt) {
            return; // abandoned: the node died, or a newer session replaced it
        }
        s.attempt = null;
        Assignment rec = s.record;
        boolean current = rec != null && rec.term() == attempt.term() && rec.boundTo(attempt.target());
        if (e == null) {
            if (current && rec.state() != PchannelState.ASSIGNED) {
                if (write(s, rec.settled(PchannelState.ASSIGNED))) {
                    s.failuresOnNode = 0;
                    s.failingNode = null;
                    if (s.failingOver) {
                        s.failingOver = false;
                        metrics.failedOver(s.pchannel, System.nanoTime() - s.failoverSinceNanos);
                    }
                    LOG.info("pchannel {}: term {} served by node {}", s.pchannel, rec.term(), rec.nodeId());
                }
            }
            reconcile(s);
            checkWaiters();
            return;
        }
        Throwable cause = unwrap(e);
        ErrorCode code = StreamingException.from(cause).code();
        if (!attempt.target().nodeId().equals(s.failingNode)) {
            s.failingNode = attempt.target().nodeId();
            s.failuresOnNode = 0;
        }
        s.failuresOnNode++;
        LOG.warn("pchannel {}: node {} could not serve term {} (attempt {}): {}", s.pchannel,
                attempt.target().nodeId(), attempt.term(), s.failuresOnNode, cause.toString());
        if (current) {
            listener.onAssignFailed(rec, cause);
        }
        if (code == ErrorCode.UNMATCHED_CHANNEL_TERM || code == ErrorCode.CHANNEL_FENCED) {
            s.needsNewTerm = true; // the node holds or saw a newer term: this one is spent
        } else if (s.failuresOnNode >= config.assignAttemptsPerNode()) {
            s.needsNewTerm = true;
            s.avoidNode = attempt.target().nodeId();
        }
        s.retryAtNanos = System.nanoTime() + backoffNanos(s.failuresOnNode);
        reconcile(s);
    }

    /** Evens the load: moves one pchannel from the busiest node to the idlest when they differ by two or more. */
    private void balance() {
        if (stopped || live.isEmpty() || System.nanoTime() - lastMoveNanos < config.balanceInterval().toNanos()) {
            return;
        }
        for (Slot s : slots.values()) {
            if (s.attempt != null || s.record == null || s.record.state() != PchannelState.ASSIGNED
                    || liveOwner(s.record) == null) {
                return; // only when calm: every pchannel served
            }
        }
        Map<String, List<Slot>> byNode = loads();
        if (byNode.size() < 2) {
            return;
        }
        Comparator<Map.Entry<String, List<Slot>>> bySize = Comparator.comparingInt(en -> en.getValue().size());
        Map.Entry<String, List<Slot>> busiest = byNode.entrySet().stream()
                .max(bySize.thenComparing(Map.Entry::getKey, Comparator.reverseOrder())).orElseThrow();
        Map.Entry<String, List<Slot>> idlest = byNode.entrySet().stream()
                .min(bySize.thenComparing(Map.Entry::getKey)).orElseThrow();
        if (busiest.getValue().size() - idlest.getValue().size() < 2) {
            return;
        }
        // The pchannel whose collections crowd the busiest node most and the idlest least, the last one if even.
        List<Slot> candidates = busiest.getValue();
        Map<String, Set<Long>> hints = hints();
        Slot move = candidates.get(candidates.size() - 1);
        int bestGain = Integer.MIN_VALUE;
        for (Slot c : candidates) {
            List<Slot> rest = new ArrayList<>(candidates);
            rest.remove(c);
            int gain = overlap(c, rest, hints) - overlap(c, idlest.getValue(), hints);
            if (gain > bestGain || (gain == bestGain && c == candidates.get(candidates.size() - 1))) {
                bestGain = gain;
                move = c;
            }
        }
        lastMoveNanos = System.nanoTime();
        LOG.info("balancing: pchannel {} moves from node {} ({} pchannels) to node {} ({})", move.pchannel,
                busiest.getKey(), busiest.getValue().size(), idlest.getKey(), idlest.getValue().size());
        move.needsNewTerm = true;
        move.avoidNode = busiest.getKey();
        reconcile(move);
    }

    /** The pchannels each eligible node session holds or is being given, by node id (every eligible node listed). */
    private Map<String, List<Slot>> loads() {
        Map<String, List<Slot>> byNode = new TreeMap<>();
        for (NodeHandle h : live.values()) {
            if (!isDraining(h)) {
                byNode.put(h.nodeId(), new ArrayList<>());
            }
        }
        for (Slot s : slots.values()) {
            if (s.record != null && s.record.hasOwner() && liveOwner(s.record) != null) {
                List<Slot> l = byNode.get(s.record.nodeId());
                if (l != null) {
                    l.add(s);
                }
            }
        }
        return byNode;
    }

    /**
     * The eligible node with the fewest pchannels, avoiding the slot's failing node if possible; among those, the one
     * holding the fewest pchannels that carry a collection this one carries (the shards of a collection spread), then
     * the one carrying the fewest collection shards in all, then the lowest id.
     */
    private NodeHandle pick(Slot s) {
        Map<String, List<Slot>> byNode = loads();
        Map<String, Set<Long>> hints = hints();
        String best = null;
        int[] bestScore = null;
        for (Map.Entry<String, List<Slot>> en : byNode.entrySet()) {
            if (en.getKey().equals(s.avoidNode) && byNode.size() > 1) {
                continue;
            }
            List<Slot> others = new ArrayList<>(en.getValue());
            others.remove(s);
            int[] score = {others.size(), overlap(s, others, hints), shardCount(others, hints)};
            if (bestScore == null || Arrays.compare(score, bestScore) < 0) {
                bestScore = score;
                best = en.getKey();
            }
        }
        return best == null ? null : live.get(best);
    }

    /**
     * The shard hints, read at most once per {@code coord.balance.interval}: a failover places many pchannels in a row
     * and should not read the catalog for each; a hint a moment old only makes a placement a little less even.
     */
    private Map<String, Set<Long>> hints() {
        long now = System.nanoTime();
        if (hintsCache != null && now - hintsAtNanos < config.balanceInterval().toNanos()) {
            return hintsCache;
        }
        try {
            hintsCache = shards.collectionsByPchannel();
        } catch (RuntimeException e) {
            LOG.debug("no shard placement hints: {}", e.toString());
            hintsCache = Map.of();
        }
        hintsAtNanos = now;
        return hintsCache;
    }

    /** How many of {@code others} carry a collection {@code s} carries. */
    private static int overlap(Slot s, List<Slot> others, Map<String, Set<Long>> hints) {
        Set<Long> mine = hints.getOrDefault(s.pchannel, Set.of());
        if (mine.isEmpty()) {
            return 0;
        }
        int n = 0;
        for (Slot o : others) {
            if (!java.util.Collections.disjoint(mine, hints.getOrDefault(o.pchannel, Set.of()))) {
                n++;
            }
        }
        return n;
    }

    private static int shardCount(List<Slot> slots, Map<String, Set<Long>> hints) {
        int n = 0;
        for (Slot o : slots) {
            n += hints.getOrDefault(o.pchannel, Set.of()).size();
        }
        return n;
    }

    private void abandonAttemptsOn(NodeHandle h) {
        for (Slot s : slots.values()) {
            if (s.attempt != null && s.attempt.target().sessionId() == h.sessionId()
                    && s.attempt.target().nodeId().equals(h.nodeId())) {
                s.attempt = null;
            }
        }
    }

    /**
     * Step 1 or 4: writes {@code next} if the record is still the one this task last saw; on a lost compare, or an
     * outcome unknown, reads it again (the task then goes on from what is there). {@code NOT_LEADER} stops the
     * assigner.
     */
    private boolean write(Slot s, Assignment next) {
        String key = PCHANNEL_KEYS + s.pchannel;
        TxnResult r;
        try {
            r = meta.txn(List.of(Compare.modRevision(key, Compare.Result.EQUAL, s.modRevision)),
                    List.of(Op.put(key, next.toMeta().toByteArray())), List.of());
        } catch (StreamingException e) {
            if (e.code() == ErrorCode.NOT_LEADER) {
                throw e;
            }
            LOG.warn("pchannel {}: writing its record failed ({}); reading it again", s.pchannel, e.toString());
            s.retryAtNanos = System.nanoTime() + config.assignRetryMaxBackoff().toNanos() / 10;
            readQuietly(s);
            return false;
        }
        if (!r.succeeded()) {
            LOG.info("pchannel {}: its record changed under this task; reading it again", s.pchannel);
            read(s);
            listener.onChange(s.record);
            return false;
        }
        s.record = next;
        s.modRevision = r.revision();
        listener.onChange(next);
        return true;
    }

    private void readQuietly(Slot s) {
        try {
            read(s);
            if (s.record != null) {
                listener.onChange(s.record);
            }
        } catch (StreamingException e) {
            if (e.code() == ErrorCode.NOT_LEADER) {
                throw e;
            }
            LOG.warn("pchannel {}: reading its record failed: {}", s.pchannel, e.toString());
        }
    }

    private void scheduleRetry(Slot s, long delayNanos) {
        if (s.retryScheduled) {
            return;
        }
        s.retryScheduled = true;
        schedule(() -> {
            s.retryScheduled = false;
            reconcile(s);
            checkWaiters();
        }, delayNanos);
    }

    private void checkWaiters() {
        waiters.removeIf(w -> {
            if (w.future().isDone()) {
                return true;
            }
            if (w.done().get()) {
                w.future().complete(null);
                return true;
            }
            return false;
        });
    }

    // ---------------------------------------------------------------- helpers

    private NodeHandle liveOwner(Assignment rec) {
        NodeHandle h = live.get(rec.nodeId());
        return rec.boundTo(h) ? h : null;
    }

    private boolean ownedBy(Slot s, NodeHandle h) {
        return s.record != null && s.record.hasOwner() && s.record.boundTo(h);
    }

    private boolean isPending(Assignment rec) {
        Long session = pending.get(rec.nodeId());
        return session != null && session == rec.sessionId();
    }

    private boolean isDraining(NodeHandle h) {
        Long session = draining.get(h.nodeId());
        return session != null && session == h.sessionId();
    }

    /** The owner a new term takes over from: the record's owner, or, if nobody owns it, the one before. */
    private static String formerOwner(Assignment rec) {
        return rec.hasOwner() ? rec.nodeId() : rec.previousNodeId();
    }

    private static long formerSession(Assignment rec) {
        return rec.hasOwner() ? rec.sessionId() : rec.previousSessionId();
    }

    private static long formerTerm(Assignment rec) {
        return rec.hasOwner() ? rec.term() : rec.previousTerm();
    }

    private long backoffNanos(int failures) {
        long max = config.assignRetryMaxBackoff().toNanos();
        long b = FIRST_BACKOFF_NANOS << Math.min(20, Math.max(0, failures - 1));
        return Math.min(max, b);
    }

    /** Calls a node; a call that throws instead of failing its future fails the future. */
    private static CompletableFuture<Void> call(Supplier<CompletableFuture<Void>> c) {
        try {
            return c.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    private static PchannelMeta parse(KeyValue kv) {
        try {
            return PchannelMeta.parseFrom(kv.value());
        } catch (InvalidProtocolBufferException e) {
            throw new StreamingException(ErrorCode.DATA_CORRUPTED, "meta key " + kv.key()
                    + " does not hold a pchannel assignment", e);
        }
    }

    private void assertLoop() {
        if (Thread.currentThread() != loopThread) {
            throw new IllegalStateException("the assigner's state is owned by " + loopThread.getName() + ", not "
                    + Thread.currentThread().getName());
        }
    }

    private void post(Runnable r) {
        try {
            loop.execute(() -> guarded(r));
        } catch (RejectedExecutionException e) {
            // closed: nothing more to do
        }
    }

    /** Runs {@code body} on the loop with a future it completes; a stopped assigner fails it with ON_SHUTDOWN. */
    private <T> CompletableFuture<T> ask(java.util.function.Consumer<CompletableFuture<T>> body) {
        CompletableFuture<T> f = new CompletableFuture<>();
        try {
            loop.execute(() -> {
                if (stopped) {
                    f.completeExceptionally(StreamingException.onShutdown("the assigner is closed"));
                } else {
                    guarded(() -> body.accept(f));
                }
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(StreamingException.onShutdown("the assigner is closed"));
        }
        return f;
    }

    private void schedule(Runnable r, long delayNanos) {
        try {
            loop.schedule(() -> guarded(r), Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    /** Runs a step; a lost leadership stops the assigner, any other failure is logged (the step is retried). */
    private void guarded(Runnable r) {
        if (stopped) {
            return;
        }
        try {
            r.run();
        } catch (StreamingException e) {
            if (e.code() == ErrorCode.NOT_LEADER) {
                LOG.warn("the assigner stops: {}", e.getMessage());
                stopped = true;
                failWaiters(e);
                listener.onDeposed(e);
                loop.shutdown();
                return;
            }
            LOG.warn("an assignment step failed: {}; trying again", e.toString());
            schedule(this::reconcileAll, config.assignRetryMaxBackoff().toNanos() / 10);
        } catch (RuntimeException e) {
            LOG.error("an assignment step failed", e);
            schedule(this::reconcileAll, config.assignRetryMaxBackoff().toNanos() / 10);
        }
    }

    private void failWaiters(StreamingException e) {
        for (Waiter w : waiters) {
            w.future().completeExceptionally(e);
        }
        waiters.clear();
    }

    /** Stops assigning (calls in flight are left to the nodes); waits for the step running now. */
    @Override
    public void close() {
        try {
            loop.execute(() -> {
                stopped = true;
                failWaiters(StreamingException.onShutdown("the assigner is closed"));
            });
        } catch (RejectedExecutionException e) {
            // already stopped
        }
        loop.shutdown();
        if (Thread.currentThread() != loopThread) {
            try {
                if (!loop.awaitTermination(Duration.ofMinutes(1).toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.warn("the assigner did not stop within a minute");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
