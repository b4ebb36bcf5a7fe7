package io.tidelog.wal.pulsar;

import io.tidelog.wal.WalFencingRaceTest;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two processes racing on one pchannel of the pulsar backend: a child JVM appends at term T through the test broker
 * while this process opens the pchannel at a newer term (its exclusive producer fences the child's at the broker),
 * then kills the child with SIGKILL. The suite's 20 seeded rounds.
 */
class PulsarWalFencingRaceTest extends WalFencingRaceTest {
    @RegisterExtension
    static final PulsarTestBroker BROKER = new PulsarTestBroker();

    @Override
    protected String backendName() {
        return PulsarWalBackend.NAME;
    }

    @Override
    protected Map<String, String> backendProperties() {
        return PulsarTestBroker.walProperties("race-" + ProcessHandle.current().pid() + "-");
    }
}
