package io.tidelog.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaStore;
import io.tidelog.testing.Await;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a session does on a real store, with its own threads and real time: run by every store through a subclass
 * that opens it. Sessions here have a ttl of 2 s (see {@link TestStores#SHORT}), so a lease expires for real.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
abstract class SessionContractTest extends StoreTestBase {
    protected static final Duration WAIT = Duration.ofSeconds(15);

    protected Session register(MetaStore s, String id, LostRecorder lost) {
        return closeLater(Session.register(s, TestStores.SHORT, "node", id, bytes("addr-of-" + id), lost));
    }

    protected static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void registeringWritesTheKeyUnderTheSessionsLease() {
        Session s = register(store(), "n1", new LostRecorder());

        KeyValue kv = store().get("session/node/n1").orElseThrow();
        assertThat(kv.lease()).isEqualTo(s.sessionId());
        assertThat(kv.modRevision()).isEqualTo(s.revision());
        SessionInfo info = Records.sessionInfo(kv);
        assertThat(info.id()).isEqualTo("n1");
        assertThat(info.role()).isEqualTo("node");
        assertThat(info.sessionId()).isEqualTo(s.sessionId());
        assertThat(info.info()).isEqualTo(bytes("addr-of-n1"));
        assertThat(info.startedAt()).isEqualTo(s.startedAt().truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
        assertThat(s.isAlive()).isTrue();
    }

    @Test
    void aSessionOutlivesItsTtlByRefreshingTheLease() {
        Session s = register(store(), "n1", new LostRecorder());
        Instant start = Instant.now();

        Await.until("the session refreshed for longer than its ttl", WAIT, () -> s.refreshes() >= 3
                && Duration.between(start, Instant.now()).compareTo(TestStores.SHORT.ttl().plusMillis(500)) > 0);
        assertThat(s.isAlive()).isTrue();
        assertThat(store().get(s.key())).isPresent();
    }

    @Test
    void theKeyDisappearsAfterCloseAndTheListenerHearsNothing() {
        LostRecorder lost = new LostRecorder();
        Session s = register(store(), "n1", lost);

        s.close();
        s.close();

        assertThat(store().get("session/node/n1")).isEmpty();
        assertThat(store().keepAlive(s.sessionId())).as("the lease was revoked").isFalse();
        assertThat(s.isAlive()).isFalse();
        assertThat(lost.lost()).isFalse();
    }

    @Test
    void aSessionWhoseRefreshesFailFencesItselfBeforeItsLeaseExpires() {
        FaultInjectingStore faulty = new FaultInjectingStore(store());
        LostRecorder lost = new LostRecorder();
        Session s = register(faulty, "n1", lost);
        Await.until("a refresh succeeded", WAIT, () -> s.refreshes() > 0);

        faulty.failKeepAlives(true);
        Await.until("the session is lost", WAIT, lost::lost);
        Instant lostAt = lost.lostAt();
        Await.until("the key is gone", WAIT, () -> store().get("session/node/n1").isEmpty());
        Instant goneAt = Session.monotonicClock().instant();

        assertThat(lost.reasons()).singleElement().asString().startsWith("self-fenced");
        assertThat(lostAt).isBefore(s.lastRefreshSent().plus(TestStores.SHORT.ttl()));
        assertThat(Duration.between(lostAt, goneAt)).as("the owner stopped before anyone could see the key go")
                .isPositive();
        assertThat(lost.thread().getName()).startsWith("tidelog-session-watchdog-");
    }

    @Test
    void registeringTheSameIdAgainReplacesTheKeyAndTheOldSessionIsLost() {
        LostRecorder firstLost = new LostRecorder();
        Session first = register(store(), "n1", firstLost);
        LostRecorder secondLost = new LostRecorder();
        Session second = register(store(), "n1", secondLost);

        Await.until("the first session is lost", WAIT, firstLost::lost);
        assertThat(firstLost.reasons()).singleElement().asString().startsWith("replaced");
        assertThat(first.isAlive()).isFalse();
        assertThat(store().get("session/node/n1").map(KeyValue::lease)).hasValue(second.sessionId());
        assertThat(store().keepAlive(first.sessionId())).as("the previous life's lease was revoked").isFalse();

        first.close();
        assertThat(store().get("session/node/n1").map(KeyValue::lease)).as("closing the old life leaves the key")
                .hasValue(second.sessionId());
        assertThat(second.isAlive()).isTrue();
        assertThat(secondLost.lost()).isFalse();
    }

    @Test
    void deletingTheKeyLosesTheSession() {
        LostRecorder lost = new LostRecorder();
        register(store(), "n1", lost);

        store().delete("session/node/n1");

        Await.until("the session is lost", WAIT, lost::lost);
        assertThat(lost.reasons()).singleElement().asString().contains("was deleted");
    }

    @Test
    void revokingTheLeaseLosesTheSession() {
        LostRecorder lost = new LostRecorder();
        Session s = register(store(), "n1", lost);

        store().revokeLease(s.sessionId());

        Await.until("the session is lost", WAIT, lost::lost);
        assertThat(lost.reasons()).hasSize(1);
        assertThat(s.isAlive()).isFalse();
    }

    @Test
    void aKeyOfAnotherIdWithTheSamePrefixIsNotTheSessionsKey() {
        LostRecorder lost = new LostRecorder();
        Session s = register(store(), "n1", lost);

        store().put("session/node/n10", bytes("x"));
        store().delete("session/node/n10");
        store().put("session/node/n1", bytes("y"), s.sessionId());
        Await.until("a refresh after the writes", WAIT, () -> s.refreshes() >= 2);

        assertThat(lost.lost()).isFalse();
    }

    @Test
    void aBrokenWatchOfTheKeyIsOpenedAgainAndStillSeesTheKeyReplaced() {
        FaultInjectingStore faulty = new FaultInjectingStore(store());
        LostRecorder lost = new LostRecorder();
        register(faulty, "n1", lost);
        int opened = faulty.watchesOpened();

        faulty.breakWatches();
        Await.until("the key is watched again", WAIT, () -> faulty.watchesOpened() > opened);
        store().put("session/node/n1", bytes("someone else"));

        Await.until("the session is lost", WAIT, lost::lost);
        assertThat(lost.reasons()).singleElement().asString().startsWith("replaced");
    }

    @Test
    void aNewLifeRegistersWhileTheOldOneIsStillAlive() {
        Session first = register(store(), "n1", new LostRecorder());
        first.close();
        Session second = register(store(), "n1", new LostRecorder());

        assertThat(second.sessionId()).isNotEqualTo(first.sessionId());
        assertThat(store().get("session/node/n1").map(KeyValue::lease)).isEqualTo(Optional.of(second.sessionId()));
    }
}
