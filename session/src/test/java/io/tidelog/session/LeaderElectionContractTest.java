package io.tidelog.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.StreamingException;
import io.tidelog.meta.Compare;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.Op;
import io.tidelog.meta.TxnResult;
import io.tidelog.meta.Watch;
import io.tidelog.meta.WatchEvent;
import io.tidelog.meta.testing.RecordingListener;
import io.tidelog.testing.Await;
import io.tidelog.testing.Seeds;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Leader election among coordinators, run by every store through a subclass that opens it. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
abstract class LeaderElectionContractTest extends StoreTestBase {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String DATA = "elect/data";

    @RegisterExtension
    final Seeds seeds = new Seeds();

    /** How many steps the random test takes. */
    protected abstract int randomSteps();

    private Candidate candidate(String id, MetaStore s, SessionConfig config) {
        return closeLater(new Candidate(id, s, config)).start();
    }

    private List<Candidate> candidates(int n) {
        List<Candidate> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add(candidate("c" + i, store(), SessionConfig.defaults()));
        }
        return all;
    }

    /** Waits until exactly one candidate leads, every other one knows it, and the key is its own; returns it. */
    private Candidate awaitOneLeader(List<Candidate> all) {
        Await.until("exactly one leader, known to all", WAIT, () -> {
            List<Candidate> leading = all.stream().filter(Candidate::leads).toList();
            if (leading.size() != 1) {
                return false;
            }
            Candidate l = leading.get(0);
            Optional<KeyValue> kv = store().get(Candidate.KEY);
            return kv.isPresent() && kv.get().lease() == l.session.sessionId()
                    && kv.get().createRevision() == l.election.leadership().orElseThrow().epoch()
                    && all.stream().filter(c -> !c.idle()).allMatch(c -> c.election.leader()
                            .map(i -> i.epoch() == kv.get().createRevision()).orElse(false));
        });
        return all.stream().filter(Candidate::leads).findFirst().orElseThrow();
    }

    private boolean guardedWrite(Leadership l) {
        return store().txn(List.of(l.guard()), List.of(Op.put(DATA, Long.toString(l.epoch()).getBytes(
                StandardCharsets.UTF_8))), List.of()).succeeded();
    }

    @Test
    void exactlyOneOfThreeCandidatesLeadsAndEveryOneNamesIt() {
        List<Candidate> all = candidates(3);

        Candidate leader = awaitOneLeader(all);

        Leadership l = leader.election.leadership().orElseThrow();
        for (Candidate c : all) {
            LeaderInfo info = c.election.leader().orElseThrow();
            assertThat(info.memberId()).isEqualTo(leader.id);
            assertThat(info.sessionId()).isEqualTo(leader.session.sessionId());
            assertThat(info.info()).isEqualTo(leader.info());
            assertThat(info.epoch()).isEqualTo(l.epoch());
        }
        assertThat(l.guard()).isEqualTo(Compare.createRevision(Candidate.KEY, Compare.Result.EQUAL, l.epoch()));
        assertThat(l.session()).isSameAs(leader.session);
        assertThat(guardedWrite(l)).isTrue();
        assertThat(all).filteredOn(c -> c != leader).allMatch(c -> c.heard().isEmpty());
        assertThat(leader.heard()).containsExactly("elected " + l.epoch());
        assertThat(leader.heardOnElectionThreads()).isTrue();
    }

    @Test
    void theDeposedLeadersGuardFailsItsWritesOnceAnotherCandidateLeads() {
        List<Candidate> all = candidates(3);
        Candidate first = awaitOneLeader(all);
        Leadership old = first.election.leadership().orElseThrow();
        assertThat(guardedWrite(old)).isTrue();

        store().revokeLease(first.session.sessionId());
        Candidate second = awaitOneLeader(all.stream().filter(c -> c != first).toList());
        Leadership now = second.election.leadership().orElseThrow();

        assertThat(now.epoch()).isGreaterThan(old.epoch());
        assertThat(guardedWrite(old)).as("the old leader's write, whatever it believes").isFalse();
        assertThat(guardedWrite(now)).isTrue();
        Await.until("the old leader heard it", WAIT, () -> first.heard().size() == 2);
        assertThat(first.heard()).containsExactly("elected " + old.epoch(), "deposed " + old.epoch());
        assertThat(old.isActive()).isFalse();
        assertThat(first.leads()).isFalse();
    }

    @Test
    void aStandbyTakesOverWhenTheLeadersSessionIsClosed() {
        List<Candidate> all = candidates(2);
        Candidate first = awaitOneLeader(all);
        long oldEpoch = first.lastLeadership().epoch();

        first.session.close();

        Candidate second = awaitOneLeader(all.stream().filter(c -> c != first).toList());
        assertThat(second.lastLeadership().epoch()).isGreaterThan(oldEpoch);
        Await.until("the old leader heard it", WAIT, () -> first.heard().size() == 2);
        assertThat(first.deposedReason()).contains("session");
    }

    @Test
    void aStandbyTakesOverWhenTheLeadersLeaseExpiresAfterTheOldLeaderStopped() {
        FaultInjectingStore cutOff = new FaultInjectingStore(store());
        Candidate first = candidate("c0", cutOff, TestStores.SHORT);
        Await.until("the first candidate leads", WAIT, first::leads);
        Candidate second = candidate("c1", store(), TestStores.SHORT);
        Await.until("the standby knows the leader", WAIT, () -> second.election.leader().isPresent());

        cutOff.failKeepAlives(true);

        Await.until("the standby leads", WAIT, second::leads);
        assertThat(first.deposedAt()).as("the old leader stopped before the new one was elected")
                .isBefore(second.electedAt());
        assertThat(first.deposedReason()).contains("self-fenced");
        assertThat(second.lastLeadership().epoch()).isGreaterThan(first.lastLeadership().epoch());
    }

    @Test
    void aResigningLeaderHandsOverAtOnceAndCampaignsNoMore() {
        List<Candidate> all = candidates(2);
        Candidate first = awaitOneLeader(all);
        Leadership old = first.lastLeadership();

        first.resign();

        assertThat(first.heard()).containsExactly("elected " + old.epoch(), "deposed " + old.epoch());
        assertThat(first.deposedReason()).isEqualTo("resigned");
        Candidate second = all.stream().filter(c -> c != first).findFirst().orElseThrow();
        Await.until("the standby leads", WAIT, second::leads);
        assertThat(guardedWrite(old)).isFalse();

        second.resign();
        Await.until("the key is gone", WAIT, () -> store().get(Candidate.KEY).isEmpty());
        Await.until("the first candidate sees no leader", WAIT, () -> first.election.leader().isEmpty());
        assertThat(first.leads()).as("a candidate that resigned does not campaign again").isFalse();
        assertThat(store().get(Candidate.KEY)).isEmpty();
    }

    @Test
    void closingALeaderResignsAndReportsItBeforeReturning() {
        Candidate only = candidate("c0", store(), SessionConfig.defaults());
        Await.until("it leads", WAIT, only::leads);

        only.election.close();

        assertThat(only.heard()).hasSize(2);
        assertThat(store().get(Candidate.KEY)).isEmpty();
        assertThat(only.session.isAlive()).as("the session is the caller's").isTrue();
        only.election.close();
    }

    @Test
    void aDeletedKeyDeposesTheLeaderAndTheCandidatesCampaignAgain() {
        List<Candidate> all = candidates(2);
        Candidate first = awaitOneLeader(all);
        long oldEpoch = first.lastLeadership().epoch();

        store().delete(Candidate.KEY);

        Await.until("the old leader heard it", WAIT, () -> first.heard().size() >= 2);
        Candidate next = awaitOneLeader(all);
        assertThat(next.lastLeadership().epoch()).isGreaterThan(oldEpoch);
        assertThat(first.alternated()).isTrue();
    }

    @Test
    void aLostSessionCannotCampaign() {
        Session s = closeLater(Session.register(store(), SessionConfig.defaults(), "coord", "c9", new byte[0],
                (x, reason) -> { }));
        s.close();

        assertThatThrownBy(() -> LeaderElection.campaign(s, Candidate.KEY, new byte[0], new Candidate("c9", store(),
                SessionConfig.defaults()))).isInstanceOf(StreamingException.class).hasMessageContaining("over");
    }

    /**
     * Seeded random campaigns, resignations, session losses (revoked leases), closes and restarts (a new life of the
     * same id), with every leadership ever handed out trying a guarded write now and then: at no revision do two
     * guards hold; every guarded write that succeeded was made while the key was the writer's own (by a watch of
     * the key from before the first campaign); no two leaderships share an epoch; each candidate heard elected and
     * deposed alternate; and once the steps stop, one leader is elected.
     */
    @Test
    void randomCampaignsResignationsAndSessionLossesNeverLetTwoGuardsSucceedAtOneRevision() {
        Random random = seeds.random();
        RecordingListener history = new RecordingListener();
        Watch watch = closeLater(store().watch("elect/", store().currentRevision() + 1, history));
        List<Candidate> all = candidates(3);
        List<long[]> writes = new ArrayList<>();
        int staleWritesRefused = 0;

        for (int step = 0; step < randomSteps(); step++) {
            Candidate c = all.get(random.nextInt(all.size()));
            int action = random.nextInt(100);
            if (action < 35) {
                for (Leadership l : leaderships(all)) {
                    TxnResult r = store().txn(List.of(l.guard()), List.of(Op.put(DATA, new byte[] {1})), List.of());
                    if (r.succeeded()) {
                        writes.add(new long[] {l.epoch(), r.revision(), l.session().sessionId()});
                    } else {
                        staleWritesRefused++;
                    }
                }
            } else if (action < 45) {
                List<Leadership> ls = leaderships(all);
                for (int i = 0; i < ls.size(); i++) {
                    for (int j = i + 1; j < ls.size(); j++) {
                        assertThat(store().txn(List.of(ls.get(i).guard(), ls.get(j).guard()), List.of(), List.of())
                                .succeeded()).as("two guards at one revision: %s and %s", ls.get(i), ls.get(j))
                                .isFalse();
                    }
                }
            } else if (action < 58) {
                if (!c.idle()) {
                    c.resign();
                }
            } else if (action < 70) {
                store().revokeLease(c.session.sessionId());
            } else if (action < 78) {
                c.session.close();
            } else {
                c.stop();
                c.start();
            }
        }
        for (Candidate c : all) {
            if (c.idle()) {
                c.stop();
                c.start();
            }
        }
        Candidate last = awaitOneLeader(all);
        Leadership lastLeadership = last.election.leadership().orElseThrow();
        assertThat(guardedWrite(lastLeadership)).isTrue();
        store().revokeLease(last.session.sessionId());
        Await.until("another leader", WAIT, () -> all.stream().anyMatch(c -> c != last && c.leads()));
        assertThat(guardedWrite(lastLeadership)).as("a stale guard, at least once").isFalse();

        store().put("elect/end", new byte[0]);
        Await.until("the history is complete", WAIT, () -> history.events().stream()
                .anyMatch(e -> e.key().equals("elect/end")));
        List<WatchEvent> keyHistory = history.events().stream().filter(e -> e.key().equals(Candidate.KEY)).toList();
        for (long[] w : writes) {
            KeyValue holder = holderBefore(keyHistory, w[1]);
            assertThat(holder).as("the key when epoch %d wrote at revision %d", w[0], w[1]).isNotNull();
            assertThat(holder.createRevision()).isEqualTo(w[0]);
            assertThat(holder.lease()).isEqualTo(w[2]);
        }
        List<Long> epochs = leaderships(all).stream().map(Leadership::epoch).toList();
        assertThat(new HashSet<>(epochs)).hasSameSizeAs(epochs);
        Set<Long> created = new HashSet<>();
        keyHistory.stream().filter(e -> e.type() == WatchEvent.Type.PUT).forEach(e -> created.add(e.keyValue()
                .createRevision()));
        assertThat(created).as("every epoch is a creation of the key").containsAll(epochs);
        assertThat(all).allMatch(Candidate::alternated);
        assertThat(all).allMatch(Candidate::heardOnElectionThreads);
        watch.close();
        System.out.println("[election] seed " + seeds.seed() + ": " + randomSteps() + " steps, " + epochs.size()
                + " leaderships, " + writes.size() + " guarded writes applied, " + staleWritesRefused
                + " refused");
    }

    private static List<Leadership> leaderships(List<Candidate> all) {
        return all.stream().flatMap(c -> c.leaderships().stream()).toList();
    }

    /** The key as of just before {@code revision} (null if absent), from its watched history. */
    private static KeyValue holderBefore(List<WatchEvent> keyHistory, long revision) {
        KeyValue holder = null;
        for (WatchEvent e : keyHistory) {
            if (e.revision() >= revision) {
                break;
            }
            holder = e.type() == WatchEvent.Type.PUT ? e.keyValue() : null;
        }
        return holder;
    }
}
