package io.tidelog.node.txn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TxnConfigTest {

    @Test
    void theDefaultsAreATenSecondKeepaliveAndBoundedTransactions() {
        TxnConfig c = TxnConfig.defaults();
        assertThat(c.keepalive()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.maxKeepalive()).isEqualTo(Duration.ofHours(1));
        assertThat(c.maxBytes()).isEqualTo(32L << 20);
        assertThat(c.maxOpen()).isEqualTo(1024);
        assertThat(c.maxOpenBytes()).isEqualTo(256L << 20);
    }

    @Test
    void unknownKeysAndInconsistentLimitsAreRejected() {
        for (Map<String, String> bad : java.util.List.of(Map.of("txn.keepalvie", "1s"),
                Map.of("txn.max.bytes", "64MiB", "txn.max.open.bytes", "32MiB"),
                Map.of("txn.keepalive", "2h"),
                Map.of("txn.keepalive", "10m", "txn.keepalive.max", "1m"))) {
            assertThatThrownBy(() -> TxnConfig.from(bad)).as("%s", bad)
                    .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
    }
}
