package io.tidelog.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SessionConfigTest {

    @Test
    void defaultsAreATenSecondLeaseRefreshedEveryThirdAndATwoSecondMargin() {
        SessionConfig c = SessionConfig.defaults();
        assertThat(c.ttl()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.keepAliveInterval()).isEqualTo(Duration.ofSeconds(10).dividedBy(3));
        assertThat(c.selfFenceMargin()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.fenceAfter()).isEqualTo(Duration.ofSeconds(8));
        assertThat(c.watchdogTick()).isEqualTo(Duration.ofMillis(100));
    }

    @Test
    void theKeepaliveIntervalDefaultsToAThirdOfTheGivenTtl() {
        SessionConfig c = SessionConfig.from(Map.of(SessionConfig.TTL, "30s"));
        assertThat(c.keepAliveInterval()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void everyKeyIsRead() {
        SessionConfig c = SessionConfig.from(Map.of(SessionConfig.TTL, "3s", SessionConfig.KEEPALIVE_INTERVAL, "250ms",
                SessionConfig.SELF_FENCE_MARGIN, "1s", "node.other.key", "ignored"));
        assertThat(c).isEqualTo(new SessionConfig(Duration.ofSeconds(3), Duration.ofMillis(250), Duration.ofSeconds(1)));
        assertThat(c.fenceAfter()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void aSmallMarginMakesTheWatchdogTickFaster() {
        SessionConfig c = new SessionConfig(Duration.ofSeconds(1), Duration.ofMillis(100), Duration.ofMillis(200));
        assertThat(c.watchdogTick()).isEqualTo(Duration.ofMillis(50));
    }

    @Test
    void badValuesAreRefusedNamingTheirKey() {
        assertInvalid(Map.of(SessionConfig.TTL, "500ms"), SessionConfig.TTL);
        assertInvalid(Map.of(SessionConfig.TTL, "ten"), SessionConfig.TTL);
        assertInvalid(Map.of(SessionConfig.SELF_FENCE_MARGIN, "10s"), SessionConfig.SELF_FENCE_MARGIN);
        assertInvalid(Map.of(SessionConfig.SELF_FENCE_MARGIN, "50ms"), SessionConfig.SELF_FENCE_MARGIN);
        assertInvalid(Map.of(SessionConfig.KEEPALIVE_INTERVAL, "1ms"), SessionConfig.KEEPALIVE_INTERVAL);
        assertInvalid(Map.of("session.tll", "10s"), "session.tll");
    }

    @Test
    void anIntervalThatWouldLetTheSessionFenceItselfBetweenRefreshesIsRefused() {
        assertInvalid(Map.of(SessionConfig.KEEPALIVE_INTERVAL, "8s"), SessionConfig.KEEPALIVE_INTERVAL);
        assertInvalid(Map.of(SessionConfig.TTL, "3s"), SessionConfig.KEEPALIVE_INTERVAL);
    }

    private static void assertInvalid(Map<String, String> properties, String key) {
        assertThatThrownBy(() -> SessionConfig.from(properties))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining(key);
    }
}
