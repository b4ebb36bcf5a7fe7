package io.tidelog.server.chaos;

import io.tidelog.wal.pulsar.PulsarTestBroker;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link ClusterChaosTest}, shorter, with the WAL on Pulsar (a real broker in a process of its own, shared by the
 * module's tests, which the node processes reach over its socket; each pchannel a topic whose exclusive producer
 * fences the writer of an older term at the broker).
 */
class PulsarClusterChaosTest extends ClusterChaosTest {
    @RegisterExtension
    static final PulsarTestBroker BROKER = new PulsarTestBroker();
    /** Topics of this run only: the broker is shared with the module's other tests. */
    static final String PREFIX = "chaos-" + ProcessHandle.current().pid() + "-";

    @Override
    Map<String, String> walSettings() {
        return PulsarTestBroker.walProperties(PREFIX);
    }

    @Override
    String walBackend() {
        return "pulsar";
    }

    @Override
    Duration chaosFor() {
        return Duration.ofSeconds(50);
    }
}
