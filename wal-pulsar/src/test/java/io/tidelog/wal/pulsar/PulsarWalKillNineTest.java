package io.tidelog.wal.pulsar;

import io.tidelog.wal.WalKillNineTest;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * kill -9 of a process appending to the pulsar backend, three times at new terms: every acknowledged record is read
 * back with its id, nothing torn, nothing twice.
 */
class PulsarWalKillNineTest extends WalKillNineTest {
    @RegisterExtension
    static final PulsarTestBroker BROKER = new PulsarTestBroker();

    @Override
    protected String backendName() {
        return PulsarWalBackend.NAME;
    }

    @Override
    protected Map<String, String> backendProperties() {
        return PulsarTestBroker.walProperties("kill-" + ProcessHandle.current().pid() + "-");
    }
}
