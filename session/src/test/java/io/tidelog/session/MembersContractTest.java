package io.tidelog.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.meta.MetaStore;
import io.tidelog.testing.Await;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The live view of one role's sessions, run by every store through a subclass that opens it. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
abstract class MembersContractTest extends StoreTestBase {
    private static final Duration WAIT = Duration.ofSeconds(15);

    private Session join(String role, String id) {
        return closeLater(Session.register(store(), SessionConfig.defaults(), role, id,
                ("addr-of-" + id).getBytes(StandardCharsets.UTF_8), (s, reason) -> { }));
    }

    /** Records what a members listener hears, as "joined n1@session" lines, and on which threads. */
    static final class Heard implements MembersListener {
        private final List<String> lines = new ArrayList<>();
        private final List<Thread> threads = new ArrayList<>();
        private Members members;
        private boolean viewAheadOfCall = true;

        @Override
        public synchronized void onJoined(SessionInfo s) {
            note("joined " + s.id() + "@" + s.sessionId(), members == null || members.current().get(s.id()) != null);
        }

        @Override
        public synchronized void onLeft(SessionInfo s, long revision) {
            note("left " + s.id() + "@" + s.sessionId(), members == null || !members.current().containsKey(s.id()));
        }

        @Override
        public synchronized void onReplaced(SessionInfo previous, SessionInfo current) {
            note("replaced " + previous.id() + "@" + previous.sessionId() + " by " + current.sessionId(),
                    members == null || members.current().get(current.id()).sessionId() == current.sessionId());
        }

        private void note(String line, boolean viewHasIt) {
            lines.add(line);
            threads.add(Thread.currentThread());
            viewAheadOfCall &= viewHasIt;
        }

        synchronized List<String> lines() {
            return List.copyOf(lines);
        }

        void awaitLines(int n) {
            Await.until(n + " events", WAIT, () -> {
                synchronized (this) {
                    return lines.size() >= n;
                }
            });
        }

        synchronized boolean oneThread() {
            return threads.stream().distinct().count() <= 1
                    && threads.stream().allMatch(t -> t.getName().startsWith("tidelog-members-"));
        }
    }

    private Members watch(MetaStore s, String role, Heard heard) {
        Members m = closeLater(Members.watch(s, role, heard));
        synchronized (heard) {
            heard.members = m;
        }
        return m;
    }

    private static Map<String, Long> sessions(Members m) {
        return m.current().values().stream().collect(Collectors.toMap(SessionInfo::id, SessionInfo::sessionId));
    }

    @Test
    void theMembersFoundByTheFirstReadAreThereAtOnceAndHeardAsJoined() {
        Session n1 = join("node", "n1");
        Session n2 = join("node", "n2");
        Heard heard = new Heard();

        Members m = watch(store(), "node", heard);

        assertThat(sessions(m)).isEqualTo(Map.of("n1", n1.sessionId(), "n2", n2.sessionId()));
        assertThat(m.current().get("n1").info()).isEqualTo("addr-of-n1".getBytes(StandardCharsets.UTF_8));
        assertThat(m.revision()).isGreaterThanOrEqualTo(n2.revision());
        heard.awaitLines(2);
        assertThat(heard.lines()).containsExactly("joined n1@" + n1.sessionId(), "joined n2@" + n2.sessionId());
    }

    @Test
    void joinsLeavesAndReplacementsAreHeardInRevisionOrderOnOneThread() {
        Heard heard = new Heard();
        Members m = watch(store(), "node", heard);

        Session a = join("node", "a");
        Session b = join("node", "b");
        a.close();
        Session b2 = join("node", "b");
        Session c = join("node", "c");
        b2.close();

        heard.awaitLines(6);
        assertThat(heard.lines()).containsExactly(
                "joined a@" + a.sessionId(),
                "joined b@" + b.sessionId(),
                "left a@" + a.sessionId(),
                "replaced b@" + b.sessionId() + " by " + b2.sessionId(),
                "joined c@" + c.sessionId(),
                "left b@" + b2.sessionId());
        assertThat(sessions(m)).isEqualTo(Map.of("c", c.sessionId()));
        assertThat(heard.oneThread()).isTrue();
        assertThat(heard.viewAheadOfCall).as("current() holds each change when the listener hears it").isTrue();
    }

    @Test
    void onlyTheWatchedRolesSessionsAreSeen() {
        Heard heard = new Heard();
        Members m = watch(store(), "node", heard);

        join("nodes", "x");
        join("coord", "y");
        Session n = join("node", "z");
        store().put("session/node/z/extra", new byte[1]);

        heard.awaitLines(1);
        assertThat(heard.lines()).containsExactly("joined z@" + n.sessionId());
        assertThat(sessions(m)).isEqualTo(Map.of("z", n.sessionId()));
    }

    @Test
    void afterAWatchBreakTheViewReadsAgainAndConvergesOnTheStore() {
        FaultInjectingStore faulty = new FaultInjectingStore(store());
        Session leaving = join("node", "a");
        Session replaced = join("node", "b");
        Session staying = join("node", "d");
        Heard heard = new Heard();
        Members m = watch(faulty, "node", heard);
        heard.awaitLines(3);

        faulty.failReads(true);
        faulty.breakWatches();
        leaving.close();
        Session replacing = join("node", "b");
        Session joining = join("node", "c");
        Session cameAndWent = join("node", "e");
        cameAndWent.close();
        faulty.failReads(false);

        heard.awaitLines(6);
        assertThat(heard.lines().subList(3, 6)).containsExactly(
                "left a@" + leaving.sessionId(),
                "replaced b@" + replaced.sessionId() + " by " + replacing.sessionId(),
                "joined c@" + joining.sessionId());
        assertThat(sessions(m)).isEqualTo(Map.of("b", replacing.sessionId(), "c", joining.sessionId(),
                "d", staying.sessionId()));

        Session later = join("node", "f");
        heard.awaitLines(7);
        assertThat(heard.lines().get(6)).as("the new watch follows the read").isEqualTo("joined f@" + later.sessionId());
    }

    @Test
    void afterCloseTheListenerHearsNothing() {
        Heard heard = new Heard();
        Members m = watch(store(), "node", heard);
        Heard other = new Heard();
        watch(store(), "node", other);
        Session a = join("node", "a");
        heard.awaitLines(1);

        m.close();
        m.close();
        Session b = join("node", "b");
        other.awaitLines(2);

        assertThat(other.lines()).containsExactly("joined a@" + a.sessionId(), "joined b@" + b.sessionId());
        assertThat(heard.lines()).containsExactly("joined a@" + a.sessionId());
        assertThat(m.current()).containsOnlyKeys("a");
    }
}
