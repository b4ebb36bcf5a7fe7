package io.tidelog.coord;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.MetaStores;
import io.tidelog.state.proto.PchannelState;
import io.tidelog.testing.Await;
import io.tidelog.testing.Seeds;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class PchannelAssignerTest {
    static final Duration WAIT = Duration.ofSeconds(20);

    @RegisterExtension
    final Seeds seeds = new Seeds();
    @TempDir
    Path dir;
    MetaStore meta;
    Storage storage;
    ScheduledExecutorService timer;
    final List<AutoCloseable> toClose = new ArrayList<>();
    final AtomicLong sessions = new AtomicLong(100);

    @BeforeEach
    void start() {
        meta = MetaStores.create("embedded", Map.of("meta.embedded.dir", dir.resolve("meta").toString()));
        storage = new Storage();
        timer = Executors.newScheduledThreadPool(2);
    }

    @AfterEach
    void close() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        timer.shutdownNow();
        meta.close();
        assertThat(storage.violations).as("storage fence violations").isEmpty();
    }

    /**
     * The storage as the WAL backends fence it: an open at a term fences every lower one, and an open below the
     * highest term opened fails with CHANNEL_FENCED. Two opens at one term would be a protocol violation.
     */
    static final class Storage {
        final Map<String, Long> highest = new HashMap<>();
        final Map<String, String> openerOfTerm = new HashMap<>();
        final List<String> violations = new CopyOnWriteArrayList<>();
        final List<String> history = new CopyOnWriteArrayList<>();

        synchronized void open(String pchannel, long term, String who) {
            long h = highest.getOrDefault(pchannel, 0L);
            if (term < h) {
                throw new StreamingException(ErrorCode.CHANNEL_FENCED, pchannel + " is at term " + h);
            }
            String opener = openerOfTerm.putIfAbsent(pchannel + "@" + term, who);
            if (opener != null && !opener.equals(who)) {
                violations.add(pchannel + " term " + term + " opened by " + opener + " and by " + who);
            }
            highest.put(pchannel, term);
            history.add("open " + pchannel + "@" + term + " by " + who);
        }
    }

    /** A node session whose calls complete after a delay, fail on demand, or never (a dead or frozen node). */
    final class FakeNode implements NodeHandle {
        final String id;
        final long session = sessions.incrementAndGet();
        final Map<String, Long> serving = new TreeMap<>();
        final List<String> calls = new CopyOnWriteArrayList<>();
        volatile boolean dead;
        volatile long delayMillis;
        volatile int failAssigns;
        volatile String hangOn;

        FakeNode(String id) {
            this.id = id;
        }

        @Override
        public String nodeId() {
            return id;
        }

        @Override
        public long sessionId() {
            return session;
        }

        @Override
        public String address() {
            return id + ":1";
        }

        String who() {
            return id + "/" + session;
        }

        @Override
        public CompletableFuture<Void> assign(String pchannel, long term) {
            calls.add("assign " + pchannel + "@" + term);
            CompletableFuture<Void> f = new CompletableFuture<>();
            if (dead || pchannel.equals(hangOn)) {
                return f;
            }
            timer.schedule(() -> {
                if (dead) {
                    return;
                }
                if (failAssigns > 0) {
                    failAssigns--;
                    f.completeExceptionally(new StreamingException(ErrorCode.INNER, "disk trouble on " + id));
                    return;
                }
                try {
                    storage.open(pchannel, term, who());
                    synchronized (this) {
                        serving.put(pchannel, term);
                    }
                    f.complete(null);
                } catch (StreamingException e) {
                    f.completeExceptionally(e);
                }
            }, delayMillis, TimeUnit.MILLISECONDS);
            return f;
        }

        @Override
        public CompletableFuture<Void> remove(String pchannel, long term) {
            calls.add("remove " + pchannel + "@" + term);
            if (dead) {
                return new CompletableFuture<>();
            }
            synchronized (this) {
                Long t = serving.get(pchannel);
                if (t != null && t <= term) {
                    serving.remove(pchannel);
                }
            }
            return CompletableFuture.completedFuture(null);
        }

        synchronized int servingCount() {
            return serving.size();
        }
    }

    /** What the assigner reported, in order. */
    static final class Recorder implements PchannelAssigner.Listener {
        final Map<String, List<Assignment>> changes = new TreeMap<>();
        final AtomicReference<StreamingException> deposed = new AtomicReference<>();

        @Override
        public synchronized void onChange(Assignment a) {
            changes.computeIfAbsent(a.pchannel(), k -> new ArrayList<>()).add(a);
        }

        @Override
        public void onDeposed(StreamingException cause) {
            deposed.set(cause);
        }

        synchronized Assignment last(String pchannel) {
            List<Assignment> l = changes.get(pchannel);
            return l == null ? null : l.get(l.size() - 1);
        }

        /** Per pchannel: terms never go back, and a term stays with the one session it was written for. */
        synchronized void checkTermsGrowAndStayBound() {
            for (Map.Entry<String, List<Assignment>> en : changes.entrySet()) {
                Map<Long, String> owners = new HashMap<>();
                long term = 0;
                for (Assignment a : en.getValue()) {
                    assertThat(a.term()).as("%s: terms never go back", en.getKey()).isGreaterThanOrEqualTo(term);
                    term = a.term();
                    if (a.hasOwner()) {
                        String owner = a.nodeId() + "/" + a.sessionId();
                        String before = owners.putIfAbsent(a.term(), owner);
                        assertThat(before == null || before.equals(owner))
                                .as("%s term %d bound to %s and then to %s", en.getKey(), a.term(), before, owner).isTrue();
                    }
                }
            }
        }
    }

    CoordConfig config(int pchannels) {
        return CoordConfig.from(Map.of(CoordConfig.PCHANNEL_COUNT, String.valueOf(pchannels),
                CoordConfig.ASSIGN_RETRY_MAX_BACKOFF, "400ms", CoordConfig.REMOVE_TIMEOUT, "300ms",
                CoordConfig.BALANCE_INTERVAL, "50ms"));
    }

    PchannelAssigner assigner(MetaStore store, CoordConfig config, Recorder recorder) {
        PchannelAssigner a = PchannelAssigner.start(store, config, recorder);
        toClose.add(a);
        return a;
    }

    static void await(String what, java.util.function.BooleanSupplier condition) {
        Await.until(what, condition, WAIT);
    }

    boolean allAssignedTo(Recorder r, CoordConfig config, List<FakeNode> nodes) {
        for (String p : config.pchannels()) {
            Assignment a = r.last(p);
            if (a == null || a.state() != PchannelState.ASSIGNED || nodes.stream().noneMatch(a::boundTo)) {
                return false;
            }
        }
        return true;
    }

    @Test
    void aDeadNodesPchannelsMoveAtOnceAtNewTermsBoundToTheNewOwnersSession() {
        CoordConfig config = config(4);
        Recorder r = new Recorder();
        PchannelAssigner assigner = assigner(meta, config, r);
        FakeNode a = new FakeNode("a");
        FakeNode b = new FakeNode("b");
        assigner.nodeUp(a);
        assigner.whenAllAssigned().orTimeout(20, TimeUnit.SECONDS).join();
        assigner.nodeUp(b);
        await("the load is even", () -> a.servingCount() == 2 && b.servingCount() == 2
                && allAssignedTo(r, config, List.of(a, b)));

        a.dead = true;
        int callsBefore = a.calls.size();
        assigner.nodeDown("a", a.session, "killed");
        await("b serves everything", () -> allAssignedTo(r, config, List.of(b)));
        for (String p : config.pchannels()) {
            Assignment last = r.last(p);
            assertThat(last.sessionId()).isEqualTo(b.session);
            assertThat(last.previousNodeId()).as("the previous owner is forgotten once ASSIGNED").isEmpty();
        }
        assertThat(a.calls.subList(callsBefore, a.calls.size())).as("a dead node is not asked to let go").isEmpty();
        r.checkTermsGrowAndStayBound();
    }

    /** What the assigner reported to its metrics, in order. */
    static final class RecordedMetrics implements AssignmentMetrics {
        final Map<String, List<Long>> terms = new java.util.concurrent.ConcurrentHashMap<>();
        final List<String> failovers = new java.util.concurrent.CopyOnWriteArrayList<>();
        final Map<String, Long> failedOverNanos = new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public void termStarted(String pchannel, long term) {
            terms.computeIfAbsent(pchannel, p -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(term);
        }

        @Override
        public void failoverStarted(String pchannel, String lostNodeId) {
            failovers.add(pchannel + " from " + lostNodeId);
        }

        @Override
        public void failedOver(String pchannel, long nanos) {
            failedOverNanos.merge(pchannel, nanos, (x, y) -> -1L); // -1: timed twice
        }
    }

    @Test
    void theMetricsSeeEveryNewTermOnceAndTimeTheFailoverOfEachOfTheDeadNodesPchannelsOnce() {
        CoordConfig config = config(4);
        Recorder r = new Recorder();
        RecordedMetrics m = new RecordedMetrics();
        PchannelAssigner assigner = PchannelAssigner.start(meta, config, r, m);
        toClose.add(assigner);
        FakeNode a = new FakeNode("a");
        FakeNode b = new FakeNode("b");
        assigner.nodeUp(a);
        assigner.nodeUp(b);
        await("both serve", () -> a.servingCount() == 2 && b.servingCount() == 2
                && allAssignedTo(r, config, List.of(a, b)));
        List<String> onA = new ArrayList<>(a.serving.keySet());
        assertThat(m.failovers).as("nodes joining fail nothing over").isEmpty();

        a.dead = true;
        assigner.nodeDown("a", a.session, "killed");
        await("b serves everything, a's pchannels timed", () -> allAssignedTo(r, config, List.of(b))
                && m.failedOverNanos.keySet().containsAll(onA));
        assertThat(m.failovers).containsExactlyInAnyOrderElementsOf(onA.stream().map(p -> p + " from a").toList());
        assertThat(m.failedOverNanos.keySet()).containsExactlyInAnyOrderElementsOf(onA);
        assertThat(m.failedOverNanos.values()).allMatch(n -> n > 0);
        for (String p : config.pchannels()) {
            List<Long> expected = new ArrayList<>();
            for (long t = 1; t <= r.last(p).term(); t++) {
                expected.add(t);
            }
            assertThat(m.terms.get(p)).as("the terms of %s, each once", p).isEqualTo(expected);
        }
    }

    @Test
    void aNodeDeclaredDownThatLivedOnIsToldToLetGoOfTheOlderTermsItStillServes() {
        CoordConfig config = config(2);
        Recorder r = new Recorder();
        PchannelAssigner assigner = assigner(meta, config, r);
        FakeNode a = new FakeNode("a");
        FakeNode b = new FakeNode("b");
        assigner.nodeUp(a);
        assigner.whenAllAssigned().orTimeout(20, TimeUnit.SECONDS).join();
        assigner.nodeUp(b);
        await("one each", () -> a.servingCount() == 1 && b.servingCount() == 1
                && allAssignedTo(r, config, List.of(a, b)));
        Map<String, Long> servedByB;
        synchronized (b) {
            servedByB = new HashMap<>(b.serving);
        }
        String moved = servedByB.keySet().iterator().next();

        assigner.nodeDown("b", b.session, "heartbeats stopped"); // b lives on, unaware, still serving its term
        await("a serves both", () -> allAssignedTo(r, config, List.of(a)));
        int aCalls = a.calls.size();
        int bCalls = b.calls.size();
        Map<String, Long> servedByA = new HashMap<>();
        config.pchannels().forEach(p -> servedByA.put(p, r.last(p).term()));
        assigner.served(a, servedByA); // the current terms: nothing to let go of
        assigner.served(b, servedByB); // heard before b is up again: not acted on
        assigner.whenAllAssigned().orTimeout(20, TimeUnit.SECONDS).join(); // the loop has run both
        assertThat(a.calls.subList(aCalls, a.calls.size())).as("the owner keeps its current terms").isEmpty();
        assertThat(b.calls.subList(bCalls, b.calls.size())).as("a node not up is not asked").isEmpty();

        assigner.nodeUp(b);
        assigner.served(b, servedByB);
        await("b let go of the fenced term", () -> b.calls.contains("remove " + moved + "@" + servedByB.get(moved)));
        await("balanced again", () -> a.servingCount() == 1 && b.servingCount() == 1
                && allAssignedTo(r, config, List.of(a, b)));
        r.checkTermsGrowAndStayBound();
    }

    @Test
    void anAssigningRecordLeftByADeadLeaderIsResumedAtItsTermWhenItsNodeLives() {
        CoordConfig config = config(1);
        FakeNode a = new FakeNode("a");
        Assignment left = new Assignment("pchannel-0", 7, "a", a.session, a.address(), PchannelState.ASSIGNING,
                "gone", 1, 6);
        meta.put(PchannelAssigner.PCHANNEL_KEYS + "pchannel-0", left.toMeta().toByteArray());
        Recorder r = new Recorder();
        PchannelAssigner assigner = assigner(meta, config, r);
        assigner.nodeUp(a);
        assigner.whenAllAssigned().orTimeout(20, TimeUnit.SECONDS).join();
        assertThat(r.last("pchannel-0")).isEqualTo(left.settled(PchannelState.ASSIGNED));
        assertThat(a.calls).containsExactly("assign pchannel-0@7");
    }

    @Test
    void anAssigningRecordWhoseSessionEndedTakesANewTermAndTheRestartedNodeIsNoExceptionToIt() {
        CoordConfig config = config(1);
        FakeNode before = new FakeNode("a");
        meta.put(PchannelAssigner.PCHANNEL_KEYS + "pchannel-0", new Assignment("pchannel-0", 3, "a", before.session,
                before.address(), PchannelState.ASSIGNED).toMeta().toByteArray());
        FakeNode restarted = new FakeNode("a");
        Recorder r = new Recorder();
        PchannelAssigner assigner = assigner(meta, config, r);
        assigner.nodeUp(restarted);
        assigner.whenAllAssigned().orTimeout(20, TimeUnit.SECONDS).join();
        assertThat(r.last("pchannel-0").term()).isEqualTo(4);
        assertThat(r.last("pchannel-0").sessionId()).isEqualTo(restarted.session);
        assertThat(restarted.calls).containsExactly("assign pchannel-0@4");
    }

    @Test
    void drainAsksTheOwnerToLetGoBeforeTheNewOwnerOpensAndGivesTheDrainedSessionNothingMore() {
        CoordConfig config = config(4);
        Recorder r = new Recorder();
        PchannelAssigner assigner = assigner(meta, config, r);
        FakeNode a = new FakeNode("a");
        FakeNode b = new FakeNode("b");
        assigner.nodeUp(a);
        assigner.nodeUp(b);
        await("both serve", () -> a.servingCount() == 2 && b.servingCount() == 2
                && allAssignedTo(r, config, List.of(a, b)));
        List<String> aServed = new ArrayList<>(a.serving.keySet());
        assigner.drain("a").orTimeout(20, TimeUnit.SECONDS).join();
        assertThat(a.servingCount()).isZero();
        await("b serves everything", () -> allAssignedTo(r, config, List.of(b)));
        for (String p : aServed) {
            int removed = a.calls.indexOf(a.calls.stream().filter(c -> c.startsWith("remove " + p + "@")).findFirst()
                    .orElseThrow());
            assertThat(removed).isGreaterThanOrEqualTo(0);
            long newTerm = r.last(p).term();
            int opened = storage.history.indexOf("open " + p + "@" + newTerm + " by " + b.who());
            assertThat(opened).as("%s opened on b at term %d", p, newTerm).isGreaterThanOrEqualTo(0);
        }
        FakeNode c = new FakeNode("c");
        assigner.nodeUp(c);
        await("the load evens out over b and c", () -> b.servingCount() == 2 && c.servingCount() == 2);
        assertThat(a.calls).noneMatch(call -> call.startsWith("assign") && !call.endsWith("@1"));
        r.checkTermsGrowAndStayBound();
    }

    @Test
    void aDrainOutlivesTheLeaderThatMadeItAndEndsWithTheDrainedSession() {
        CoordConfig config = config(4);
        Recorder r = new Recorder();
        PchannelAssigner first = assigner(meta, config, r);
        FakeNode a = new FakeNode("a");
        FakeNode b = new FakeNode("b");
        first.nodeUp(a);
        first.nodeUp(b);
        await("both serve", () -> a.servingCount() == 2 && b.servingCount() == 2);
        assertThat(first.drain("a").orTimeout(20, TimeUnit.SECONDS).join()).isEqualTo(a.session);
        first.close();

        Recorder r2 = new Recorder();
        PchannelAssigner next = assigner(meta, config, r2);
        next.nodeUp(a);
        next.nodeUp(b);
        next.whenAllAssigned().orTimeout(20, TimeUnit.SECONDS).join();
        FakeNode c = new FakeNode("c");
        next.nodeUp(c);
        await("the load evens out over b and c, never onto the drained a", () -> b.servingCount() == 2
                && c.servingCount() == 2);
        assertThat(a.servingCount()).isZero();
        assertThat(meta.get(PchannelAssigner.DRAIN_KEYS + "a")).isPresent();

        FakeNode restarted = new FakeNode("a");
        next.nodeUp(restarted);
        await("the restarted a takes pchannels again", () -> restarted.servingCount() > 0);
        await("the drain of the ended session is forgotten", () -> meta.get(PchannelAssigner.DRAIN_KEYS + "a")
                .isEmpty());
        assertThat(next.drain("nobody").handle((s, e) -> e).join()).isInstanceOf(StreamingException.class)
                .hasMessageContaining("NOT_FOUND").hasMessageContaining("no live session");
    }

    @Test
    void theShardsOfOneCollectionSpreadOverTheNodesWhenTheLoadEvensOutAndOnFailover() {
        CoordConfig config = config(4);
        Recorder r = new Recorder();
        PchannelAssigner assigner = assigner(meta, config, r);
        // collection 7 on pchannels 0 and 1, collection 8 on 2 and 3: the last two pchannels in order are 2 and 3,
        // which a count-only balancer would move together
        Map<String, Set<Long>> shards = Map.of("pchannel-0", Set.of(7L), "pchannel-1", Set.of(7L),
                "pchannel-2", Set.of(8L), "pchannel-3", Set.of(8L));
        assigner.spreadShards(() -> shards);
        FakeNode a = new FakeNode("a");
        assigner.nodeUp(a);
        assigner.whenAllAssigned().orTimeout(20, TimeUnit.SECONDS).join();
        FakeNode b = new FakeNode("b");
        assigner.nodeUp(b);
        await("the load evens out", () -> a.servingCount() == 2 && b.servingCount() == 2
                && allAssignedTo(r, config, List.of(a, b)));
        for (FakeNode n : List.of(a, b)) {
            assertThat(n.serving.keySet().stream().map(shards::get).toList()).as("collections on %s", n.who())
                    .containsExactlyInAnyOrder(Set.of(7L), Set.of(8L));
        }

        FakeNode c = new FakeNode("c");
        FakeNode d = new FakeNode("d");
        assigner.nodeUp(c);
        assigner.nodeUp(d);
        await("one pchannel each", () -> a.servingCount() == 1 && b.servingCount() == 1 && c.servingCount() == 1
                && d.servingCount() == 1);
        String lost = a.serving.keySet().iterator().next();
        assigner.nodeDown("a", a.session, "killed");
        await("the lost pchannel moves", () -> allAssignedTo(r, config, List.of(b, c, d)));
        FakeNode taker = List.of(b, c, d).stream().filter(n -> n.serving.containsKey(lost)).findFirst().orElseThrow();
        assertThat(taker.serving.keySet().stream().map(shards::get).toList())
                .as("it goes where its collection is not").doesNotHaveDuplicates();
    }

    @Test
    void aJoiningNodeGetsItsShareOnePchannelAtATime() {
        CoordConfig config = config(6);
        Recorder r = new Recorder();
        PchannelAssigner assigner = assigner(meta, config, r);
        FakeNode a = new FakeNode("a");
        assigner.nodeUp(a);
        assigner.whenAllAssigned().orTimeout(20, TimeUnit.SECONDS).join();
        FakeNode b = new FakeNode("b");
        FakeNode c = new FakeNode("c");
        assigner.nodeUp(b);
        assigner.nodeUp(c);
        await("two each", () -> a.servingCount() == 2 && b.servingCount() == 2 && c.servingCount() == 2
                && allAssignedTo(r, config, List.of(a, b, c)));
        // one move per pchannel that changes hands: four moves, no pchannel moved twice
        r.checkTermsGrowAndStayBound();
        assertThat(b.calls.size() + c.calls.size()).isEqualTo(4);
    }

    @Test
    void aNodeThatKeepsFailingLosesThePchannelToAnotherAndAFailedAssignIsNeverLeftAssigning() {
        CoordConfig config = config(1);
        Recorder r = new Recorder();
        PchannelAssigner assigner = assigner(meta, config, r);
        FakeNode a = new FakeNode("a");
        a.failAssigns = 1_000;
        assigner.nodeUp(a);
        await("a was tried three times", () -> a.calls.size() >= 3);
        assertThat(r.last("pchannel-0").state()).isEqualTo(PchannelState.ASSIGNING);
        FakeNode b = new FakeNode("b");
        assigner.nodeUp(b);
        assigner.whenAllAssigned().orTimeout(20, TimeUnit.SECONDS).join();
        assertThat(r.last("pchannel-0").nodeId()).isEqualTo("b");

        FakeNode single = new FakeNode("a");
        single.failAssigns = 2;
        assigner.nodeUp(single); // a restarted: a new session, which fails twice and then serves
        b.dead = true;
        assigner.nodeDown("b", b.session, "killed");
        await("a's new session serves after two failures", () -> allAssignedTo(r, config, List.of(single)));
        r.checkTermsGrowAndStayBound();
    }

    @Test
    void oneSlowRecoveryHoldsBackNoOtherPchannel() {
        CoordConfig config = config(4);
        Recorder r = new Recorder();
        PchannelAssigner assigner = assigner(meta, config, r);
        FakeNode a = new FakeNode("a");
        a.hangOn = "pchannel-2";
        assigner.nodeUp(a);
        await("the other three are served", () -> List.of("pchannel-0", "pchannel-1", "pchannel-3").stream()
                .allMatch(p -> r.last(p) != null && r.last(p).state() == PchannelState.ASSIGNED));
        assertThat(r.last("pchannel-2").state()).isEqualTo(PchannelState.ASSIGNING);
        assertThat(a.calls).filteredOn(c -> c.startsWith("assign pchannel-2")).hasSize(1);
    }

    @Test
    void aDeposedLeadersAssignerStopsAndWritesNothing() {
        CoordConfig config = config(2);
        String leaderKey = "coord/leader";
        assertThat(meta.putIfAbsent(leaderKey, "one".getBytes())).isTrue();
        long epoch = meta.get(leaderKey).orElseThrow().createRevision();
        Recorder r = new Recorder();
        PchannelAssigner assigner = assigner(new LeaderGuardedMetaStore(meta, leaderKey, epoch), config, r);
        FakeNode a = new FakeNode("a");
        assigner.nodeUp(a);
        assigner.whenAllAssigned().orTimeout(20, TimeUnit.SECONDS).join();
        Map<String, KeyValue> before = records();

        meta.delete(leaderKey); // the leader's session ended; another coordinator leads
        assertThat(meta.putIfAbsent(leaderKey, "two".getBytes())).isTrue();
        FakeNode b = new FakeNode("b");
        assigner.nodeUp(b);
        assigner.nodeDown("a", a.session, "killed");
        await("the assigner stops", () -> r.deposed.get() != null);
        assertThat(r.deposed.get().code()).isEqualTo(ErrorCode.NOT_LEADER);
        assertThat(records()).isEqualTo(before);
        assertThat(b.calls).isEmpty();
    }

    Map<String, KeyValue> records() {
        Map<String, KeyValue> out = new TreeMap<>();
        for (KeyValue kv : meta.scan(PchannelAssigner.PCHANNEL_KEYS)) {
            out.put(kv.key(), kv);
        }
        return out;
    }

    @Test
    void randomNodeDeathsRestartsAndDrainsEndWithEveryPchannelServedOnceAndEvenly() {
        long seed = seeds.seed();
        Random random = seeds.random();
        CoordConfig config = config(6);
        Recorder r = new Recorder();
        PchannelAssigner assigner = assigner(meta, config, r);
        Map<String, FakeNode> nodes = new TreeMap<>();
        for (String id : List.of("a", "b", "c")) {
            FakeNode n = new FakeNode(id);
            n.delayMillis = random.nextInt(20);
            nodes.put(id, n);
            assigner.nodeUp(n);
        }
        List<String> steps = new ArrayList<>();
        for (int step = 0; step < 40; step++) {
            String id = List.of("a", "b", "c").get(random.nextInt(3));
            FakeNode n = nodes.get(id);
            switch (random.nextInt(4)) {
                case 0 -> {
                    n.dead = true;
                    assigner.nodeDown(id, n.session, "killed");
                    FakeNode again = new FakeNode(id);
                    again.delayMillis = random.nextInt(20);
                    again.failAssigns = random.nextInt(2);
                    nodes.put(id, again);
                    assigner.nodeUp(again);
                    steps.add("restart " + id);
                }
                case 1 -> {
                    assigner.drain(id);
                    steps.add("drain " + id);
                }
                case 2 -> {
                    n.failAssigns = 1 + random.nextInt(3);
                    steps.add("fail " + id);
                }
                default -> {
                    assigner.reportError("pchannel-" + random.nextInt(6), 1 + random.nextInt(5),
                            random.nextBoolean() ? ErrorCode.CHANNEL_FENCED : ErrorCode.CHANNEL_NOT_EXIST, "client");
                    steps.add("report");
                }
            }
            long pause = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(random.nextInt(30));
            while (System.nanoTime() - pause < 0) {
                Thread.onSpinWait();
            }
        }
        // faults stop: every node restarted once more so none is draining or failing
        for (String id : List.of("a", "b", "c")) {
            FakeNode n = nodes.get(id);
            n.dead = true;
            assigner.nodeDown(id, n.session, "restart");
            FakeNode again = new FakeNode(id);
            nodes.put(id, again);
            assigner.nodeUp(again);
        }
        List<FakeNode> last = new ArrayList<>(nodes.values());
        Await.until("every pchannel served, two per node (seed " + seed + ", steps " + steps + ")", () ->
                allAssignedTo(r, config, last) && last.stream().allMatch(n -> n.servingCount() == 2), WAIT);
        for (String p : config.pchannels()) {
            Assignment a = r.last(p);
            assertThat(storage.highest.get(p)).as("seed %d: %s's record names the highest term opened", seed, p)
                    .isEqualTo(a.term());
        }
        r.checkTermsGrowAndStayBound();
    }
}
