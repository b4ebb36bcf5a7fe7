package io.tidelog.wal.pulsar;

import io.tidelog.common.MessageId;
import io.tidelog.wal.WalBackend;
import io.tidelog.wal.WalBackendConformanceTest;
import io.tidelog.wal.WalBackends;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The WAL contract on a real Pulsar broker (a process of its own, shared by the module's tests). The suite reuses
 * pchannel names across its tests, so each test gets topics of its own (a fresh prefix). Records are limited to
 * 1 MiB so that the size-limit test stays quick. A record is damaged by the broker as it delivers it (see
 * {@link #corruptRecord}).
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

    /**
     * Has the broker deliver the record damaged (the test broker's interceptor inverts a byte of its payload and
     * recomputes Pulsar's checksum of the entry, so Pulsar's client accepts it): only the backend's own CRC32C can
     * catch it. The bookie keeps the bytes as written: a damaged stored entry would fail BookKeeper's digest check,
     * which the broker retries without end, and never reach a reader.
     */
    @Override
    protected void corruptRecord(String pchannel, MessageId id) {
        String topic = PulsarWalConfig.from(PulsarTestBroker.walProperties(prefix)).adminPath(pchannel);
        PulsarTestBroker.shared().deliverDamaged(topic, PulsarIds.ledger(id), PulsarIds.entry(id),
                PulsarIds.batchIndex(id));
    }
}
