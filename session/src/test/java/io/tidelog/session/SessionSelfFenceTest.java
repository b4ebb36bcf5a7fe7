package io.tidelog.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.meta.MetaStore;
import io.tidelog.meta.testing.ManualClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The self-fence rule, step by step: a session driven by hand (no threads of its own) on a manual clock. The store
 * is real and judges its leases by the real clock (10 s, which these tests never wait for).
 *
 * <p>ttl 10 s, margin 2 s: the session is lost once {@code now - lastSent > 8 s}.
 */
class SessionSelfFenceTest {
    private static final SessionConfig CONFIG = SessionConfig.defaults();

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();
    private final LostRecorder lost = new LostRecorder(clock);
    private MetaStore backing;
    private FaultInjectingStore store;
    private Session session;

    @BeforeEach
    void register() {
        backing = TestStores.embedded(dir);
        store = new FaultInjectingStore(backing);
        session = Session.register(store, CONFIG, "node", "n1", "127.0.0.1:1".getBytes(StandardCharsets.UTF_8), clock,
                lost, false);
    }

    @AfterEach
    void close() {
        session.close();
        backing.close();
    }

    @Test
    void theRegistrationCountsAsTheFirstRefresh() {
        clock.advance(Duration.ofSeconds(8));
        session.checkDeadline();
        assertThat(session.isAlive()).isTrue();

        clock.advance(Duration.ofMillis(1));
        session.checkDeadline();
        assertThat(session.isAlive()).isFalse();
    }

    @Test
    void noSuccessfulRefreshForTtlMinusMarginLosesTheSessionExactlyOnce() {
        store.failKeepAlives(true);
        for (int i = 0; i < 9; i++) {
            clock.advance(Duration.ofSeconds(1));
            session.refreshOnce();
            session.checkDeadline();
            session.checkDeadline();
        }

        assertThat(session.isAlive()).isFalse();
        assertThat(lost.reasons()).singleElement().asString().startsWith("self-fenced");
        assertThat(lost.lostAt()).isEqualTo(session.startedAt().plusSeconds(9));
        assertThat(session.lostReason()).hasValue(lost.reasons().get(0));
        assertThat(session.refreshOnce()).as("a lost session refreshes no more").isEqualTo(-1);
        assertThat(session.isAlive()).as("forever").isFalse();
    }

    @Test
    void aRefreshThatSucceedsInTimeKeepsTheSessionAlive() {
        clock.advance(Duration.ofSeconds(7));
        assertThat(session.refreshOnce()).isEqualTo(CONFIG.keepAliveInterval().toNanos());
        clock.advance(Duration.ofSeconds(8));
        session.checkDeadline();
        assertThat(session.isAlive()).as("8 s after the refresh, 15 s after the start").isTrue();

        clock.advance(Duration.ofMillis(1));
        session.checkDeadline();
        assertThat(lost.reasons()).singleElement().asString().startsWith("self-fenced");
    }

    @Test
    void theDeadlineCountsFromWhenTheRefreshWasSentNotWhenItWasAnswered() {
        clock.advance(Duration.ofSeconds(5));
        store.beforeKeepAliveAnswer(() -> clock.advance(Duration.ofSeconds(3)));
        session.refreshOnce();
        assertThat(session.lastRefreshSent()).isEqualTo(session.startedAt().plusSeconds(5));

        clock.advance(Duration.ofSeconds(5));
        session.checkDeadline();
        assertThat(session.isAlive()).as("8 s after the refresh was sent").isTrue();
        clock.advance(Duration.ofMillis(1));
        session.checkDeadline();
        assertThat(session.isAlive()).as("although only 5 s after it was answered").isFalse();
    }

    @Test
    void aFailedRefreshDoesNotMoveTheDeadlineAndIsRetriedSooner() {
        clock.advance(Duration.ofSeconds(4));
        store.failKeepAlives(true);
        long next = session.refreshOnce();
        assertThat(next).isLessThan(CONFIG.keepAliveInterval().toNanos());
        assertThat(session.lastRefreshSent()).isEqualTo(session.startedAt());

        store.failKeepAlives(false);
        clock.advance(Duration.ofSeconds(4));
        session.refreshOnce();
        clock.advance(Duration.ofSeconds(8));
        session.checkDeadline();
        assertThat(session.isAlive()).as("the retry in time succeeded").isTrue();
        assertThat(session.refreshes()).isEqualTo(1);
    }

    @Test
    void aRefreshThatFindsTheLeaseGoneLosesTheSession() {
        store.leasesGone();
        assertThat(session.refreshOnce()).isEqualTo(-1);

        assertThat(lost.reasons()).singleElement().asString().contains("lease " + session.sessionId() + " is gone");
        session.checkDeadline();
        clock.advance(Duration.ofSeconds(20));
        session.checkDeadline();
        assertThat(lost.reasons()).as("exactly once").hasSize(1);
    }

    @Test
    void closingALiveSessionNeverReportsItLost() {
        session.close();
        clock.advance(Duration.ofSeconds(20));
        session.checkDeadline();
        assertThat(session.isAlive()).isFalse();
        assertThat(lost.lost()).isFalse();
        assertThat(backing.get(session.key())).isEmpty();
    }
}
