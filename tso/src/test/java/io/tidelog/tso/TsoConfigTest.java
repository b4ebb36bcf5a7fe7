package io.tidelog.tso;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TsoConfigTest {

    @Test
    void theDefaultWindowIsThreeSeconds() {
        assertThat(TsoConfig.defaults().window()).isEqualTo(Duration.ofSeconds(3));
        assertThat(TsoConfig.from(Map.of())).isEqualTo(TsoConfig.defaults());
    }

    @Test
    void theWindowIsConfigurable() {
        assertThat(TsoConfig.from(Map.of("tso.window", "500ms")).window()).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void badValuesAndUnknownKeysAreRejected() {
        for (Map<String, String> bad : List.of(Map.of("tso.window", "0ms"), Map.of("tso.window", "2h"),
                Map.of("tso.window", "soon"), Map.of("tso.windw", "1s"))) {
            assertThatThrownBy(() -> TsoConfig.from(bad))
                    .as(bad.toString())
                    .isInstanceOfSatisfying(StreamingException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
    }
}
