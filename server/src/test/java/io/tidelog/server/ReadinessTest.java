package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.common.StreamingException;
import io.tidelog.node.WalStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@code /readyz}: ready only while serving, with the meta store answering and every owned pchannel's WAL open. */
class ReadinessTest {
    private final List<String> owned = List.of("p-0", "p-1", "p-2");
    private final List<WalStatus> open = new ArrayList<>();
    private final AtomicReference<RuntimeException> metaFailure = new AtomicReference<>();
    private final Readiness readiness = new Readiness(() -> {
        if (metaFailure.get() != null) {
            throw metaFailure.get();
        }
    }, () -> owned, () -> List.copyOf(open));

    private static WalStatus wal(String pchannel, String unavailableReason) {
        return new WalStatus(pchannel, 1, unavailableReason == null, 0, null, 0, 0, 0, 0, new WalStatus.Scanners(0, 0),
                0, null, new WalStatus.Replay(0, 0, 0, null), -1, null, unavailableReason);
    }

    private void openAll() {
        owned.forEach(p -> open.add(wal(p, null)));
    }

    @Test
    void aClusterMemberWithoutASessionIsNotReadyAndSaysItRegisters() {
        AtomicReference<String> membership = new AtomicReference<>("no session in the meta store: registering");
        Readiness member = new Readiness(() -> { }, membership::get, List::of, List::of);
        member.serving(true);
        assertThat(member.check()).extracting(HttpEndpoints.Reply::status, r -> new String(r.body()))
                .containsExactly(503, "no session in the meta store: registering\n");
        membership.set(null);
        assertThat(member.check().status()).as("a member serving no pchannel, with a session").isEqualTo(200);
    }

    @Test
    void aProcessIsNotReadyBeforeItServesEvenWithEveryWalOpen() {
        openAll();
        HttpEndpoints.Reply r = readiness.check();
        assertThat(r.status()).isEqualTo(503);
        assertThat(new String(r.body())).isEqualTo("not serving: starting or shutting down\n");
    }

    @Test
    void aServingProcessWithEveryWalOpenAndTheMetaStoreAnsweringIsReady() {
        openAll();
        readiness.serving(true);
        assertThat(readiness.check().status()).isEqualTo(200);
        assertThat(readiness.whyNotReady()).isNull();
    }

    @Test
    void aProcessThatStartedClosingIsNotReadyAgain() {
        openAll();
        readiness.serving(true);
        readiness.serving(false);
        assertThat(readiness.check().status()).isEqualTo(503);
    }

    @Test
    void anUnreachableMetaStoreMakesItUnready() {
        openAll();
        readiness.serving(true);
        metaFailure.set(StreamingException.onShutdown("the store is closed"));
        assertThat(readiness.check().status()).isEqualTo(503);
        assertThat(readiness.whyNotReady()).startsWith("meta store unreachable: ").contains("the store is closed");
    }

    @Test
    void theReasonNamesEveryOwnedPchannelNotOpenOrUnavailable() {
        readiness.serving(true);
        open.add(wal("p-0", null));
        open.add(wal("p-2", "RESOURCE_EXHAUSTED: disk full"));
        open.add(wal("elsewhere", "CHANNEL_FENCED: not owned, not counted"));
        assertThat(readiness.whyNotReady())
                .isEqualTo("2 of 3 pchannels not ready: p-1 not open, p-2 unavailable (RESOURCE_EXHAUSTED: disk full)");
    }

    @Test
    void aLongListOfUnreadyPchannelsIsCutAfterFourNames() {
        Readiness many = new Readiness(() -> { }, () -> List.of("a", "b", "c", "d", "e", "f"), List::of);
        many.serving(true);
        assertThat(many.whyNotReady())
                .isEqualTo("6 of 6 pchannels not ready: a not open, b not open, c not open, d not open and 2 more");
    }
}
