package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.nio.file.Path;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code http.metrics.key} without {@code security.tokens.file} is refused by every role before it starts anything:
 * the key opens {@code /metrics} where tokens are checked, and without a token file nothing is checked.
 */
class MetricsKeyWithoutTokensTest {
    static final String KEY = "metrics-key-0123456789";

    @TempDir
    Path dir;

    private static void assertRefusedNamingTheKeyAndTheTokenFile(ThrowingCallable start) {
        assertThatThrownBy(start).isInstanceOfSatisfying(StreamingException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThat(e.getMessage()).contains(HttpConfig.METRICS_KEY, SecurityConfig.TOKENS_FILE).doesNotContain(KEY);
        });
    }

    @Test
    void aCoordinatorRefusesIt() {
        // The meta store named here is never reached: the check comes first.
        assertRefusedNamingTheKeyAndTheTokenFile(() -> CoordServer.start(Map.of("server.port", "0",
                "meta.etcd.endpoints", "http://127.0.0.1:1", HttpConfig.METRICS_KEY, KEY)));
    }

    @Test
    void aNodeRefusesIt() {
        assertRefusedNamingTheKeyAndTheTokenFile(() -> NodeServer.start(dir, Map.of("server.port", "0",
                "server.node.id", "n1", "meta.etcd.endpoints", "http://127.0.0.1:1", HttpConfig.METRICS_KEY, KEY)));
    }

    @Test
    void aStandaloneRefusesIt() {
        assertRefusedNamingTheKeyAndTheTokenFile(() -> TestStandalone.start(dir, Map.of("server.port", "0",
                HttpConfig.METRICS_KEY, KEY)));
    }
}
