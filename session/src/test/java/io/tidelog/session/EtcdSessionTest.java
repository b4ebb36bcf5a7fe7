package io.tidelog.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.meta.MetaStore;
import io.tidelog.meta.etcd.EtcdServer;
import io.tidelog.testing.Await;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The session contract against a real etcd, and what only a real etcd can do: freeze. */
class EtcdSessionTest extends SessionContractTest {
    /** How late the watchdog may notice the deadline on a loaded machine. */
    private static final Duration SLACK = Duration.ofMillis(700);

    @RegisterExtension
    static final EtcdServer ETCD = new EtcdServer();

    @Override
    protected MetaStore openStore() {
        return TestStores.etcd(ETCD);
    }

    @AfterEach
    void etcdAnswersAgain() {
        if (ETCD.isRunning()) {
            ETCD.resume();
        }
    }

    /**
     * A frozen etcd (SIGSTOP) holds every refresh until the store's deadline: the session is lost by the watchdog
     * within {@code ttl - margin} of the freeze, before etcd could expire its lease, and not by a refresh returning.
     */
    @Test
    void aSessionOnAFrozenEtcdIsLostWithinTtlMinusMarginAndBeforeItsLeaseCouldExpire() {
        LostRecorder lost = new LostRecorder();
        Session s = register(store(), "n1", lost);
        Await.until("a refresh succeeded", WAIT, () -> s.refreshes() > 0);

        ETCD.pause();
        Instant frozenAt = Session.monotonicClock().instant();
        Await.until("the session is lost", WAIT, lost::lost);

        Duration fenceAfter = TestStores.SHORT.fenceAfter();
        assertThat(lost.reasons()).singleElement().asString().startsWith("self-fenced");
        assertThat(Duration.between(frozenAt, lost.lostAt())).isLessThanOrEqualTo(fenceAfter.plus(SLACK));
        assertThat(lost.lostAt()).isBefore(s.lastRefreshSent().plus(TestStores.SHORT.ttl()));
        assertThat(s.lastRefreshSent()).isBeforeOrEqualTo(frozenAt);

        ETCD.resume();
        Await.until("etcd expired the lease", WAIT, () -> store().get(s.key()).isEmpty());
    }
}
