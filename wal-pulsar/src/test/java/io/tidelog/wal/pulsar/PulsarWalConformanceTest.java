package io.tidelog.wal.pulsar;

import io.tidelog.common.MessageId;
import io.tidelog.wal.WalBackend;
import io.tidelog.wal.WalBackendConformanceTest;
import io.tidelog.wal.WalBackends;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The WAL contract on a real Pulsar broker (a process of its own, shared by the module's tests). The suite reuses
 * pchannel names across its tests, so each test gets topics of its own (a fresh prefix). Records are limited to
 * 1 MiB so that the size-limit test stays quick.
 */
class PulsarWalConformanceTest extends WalBackendConformanceTest {
    @RegisterExtension
    static final PulsarTestBroker BROKER = new PulsarTestBroker();
    private static final AtomicInteger TESTS = new AtomicInteger();
    private String prefix;

    @BeforeEach
    void freshTopics() {
        prefix = "conformance-" + TESTS.incrementAndGet() + "-";
    }

    @Override
    protected String backendName() {
        return PulsarWalBackend.NAME;
    }

    @Override
    protected WalBackend openBackend() {
        Map<String, String> properties = new HashMap<>(PulsarTestBroker.walProperties(prefix));
        properties.put(PulsarWalConfig.MAX_RECORD_BYTES, "1MiB");
        return WalBackends.create(PulsarWalBackend.NAME, properties);
    }

    @Override
    protected WalBackend crashAndReopen(WalBackend backend) {
        ((PulsarWalBackend) backend).crashForTesting();
        return openBackend();
    }

    @Override
    protected void corruptRecord(String pchannel, MessageId id) {
        Assumptions.abort("damaging a stored entry of a running bookie is not done yet (the bookie's write cache and"
                + " the broker's entry cache serve it, and a bookie checks each entry's digest before Pulsar's client"
                + " and this backend's CRC32C would see the damage)");
    }
}
