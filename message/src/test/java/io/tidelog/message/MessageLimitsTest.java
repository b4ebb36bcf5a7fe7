package io.tidelog.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MessageLimitsTest {

    @Test
    void theDefaultMaximumIsEightMebibytes() {
        assertThat(MessageLimits.defaults().maxMessageBytes()).isEqualTo(8 << 20);
        assertThat(MessageLimits.from(Map.of())).isEqualTo(MessageLimits.defaults());
        assertThat(MessageLimits.defaults().maxRecordBytes())
                .isEqualTo((8 << 20) + MessageLimits.APPEND_FIELDS_MAX_BYTES);
    }

    @Test
    void theMaximumIsConfigurableWithSizeSuffixes() {
        assertThat(MessageLimits.from(Map.of("message.max.bytes", "1MiB")).maxMessageBytes()).isEqualTo(1 << 20);
        assertThat(MessageLimits.from(Map.of("message.max.bytes", "4096")).maxMessageBytes()).isEqualTo(4096);
    }

    @Test
    void outOfRangeValuesAndUnknownKeysAreRejected() {
        for (Map<String, String> bad : List.of(Map.of("message.max.bytes", "10"),
            Map.of("message.max.bytes", "2GiB"), Map.of("message.max.bytes", "lots"),
            Map.of("message.max.byte", "1MiB"))) {
            assertThatThrownBy(() -> MessageLimits.from(bad))
                    .as(bad.toString())
                    .isInstanceOfSatisfying(StreamingException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
        assertThatThrownBy(() -> new MessageLimits(10)).isInstanceOf(StreamingException.class);
    }
}
