package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.pulsar.PulsarTestBroker;
import io.tidelog.wal.pulsar.PulsarWalConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link StandaloneEndToEndTest} with the WAL on Pulsar ({@code --wal pulsar}, a real broker in a process of its
 * own that the server process reaches over its socket): the same kill -9, restart and history checks. The restarted
 * server's exclusive producers fence the killed one's at the broker. Each test has topics of its own (a new data
 * directory on a log another server wrote would start from that log's terms).
 */
class PulsarStandaloneEndToEndTest extends StandaloneEndToEndTest {
    @RegisterExtension
    static final PulsarTestBroker BROKER = new PulsarTestBroker();
    private static final AtomicInteger TESTS = new AtomicInteger();

    /** One per test (JUnit makes an instance per test), the same across the test's restart. */
    private final String prefix = "e2e-" + ProcessHandle.current().pid() + "-" + TESTS.incrementAndGet() + "-";

    @Test
    void aNewDataDirectoryRefusesTopicsAnotherServerWrote() {
        Map<String, String> p = new HashMap<>(PulsarTestBroker.walProperties(prefix));
        p.putAll(Map.of("server.port", "0", "coord.pchannel.count", "2", "wal.backend", "pulsar"));
        TestStandalone.start(dir.resolve("first"), p).close();
        assertThatThrownBy(() -> TestStandalone.start(dir.resolve("second"), p))
                .isInstanceOfSatisfying(StreamingException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains("data directory is new").contains("wal.pulsar.topic.prefix");
                });
        TestStandalone.start(dir.resolve("first"), p).close();
    }

    @Override
    protected List<String> walArgs() {
        List<String> args = new ArrayList<>(List.of("--wal", "pulsar"));
        PulsarTestBroker.walProperties(prefix).forEach((k, v) -> args.addAll(List.of("-c", k + "=" + v)));
        assertThat(args).contains("-c", PulsarWalConfig.SERVICE_URL + "=" + PulsarTestBroker.shared().serviceUrl());
        return args;
    }
}
