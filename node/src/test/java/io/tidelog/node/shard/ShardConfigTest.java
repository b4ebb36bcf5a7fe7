package io.tidelog.node.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.StreamingException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShardConfigTest {

    @Test
    void theDefaultsAreMilvussSealPolicies() {
        ShardConfig c = ShardConfig.defaults();
        assertThat(c.segmentMaxBytes()).isEqualTo(128L << 20);
        assertThat(c.segmentMaxRows()).isZero();
        assertThat(c.segmentLifetime()).isEqualTo(Duration.ofHours(24));
        assertThat(c.segmentIdleTime()).isEqualTo(Duration.ofMinutes(10));
        assertThat(c.segmentIdleMinBytes()).isEqualTo(16L << 20);
        assertThat(c.growingHighBytes()).as("1 GiB, less on a small heap")
                .isEqualTo(Math.min(1L << 30, Runtime.getRuntime().maxMemory() / 10 * 3));
        assertThat(c.growingLowBytes()).isEqualTo(c.growingHighBytes() / 2);
        assertThat(ShardConfig.from(Map.of("shard.growing.high.bytes", "8MiB")).growingLowBytes())
                .as("the low mark follows a high mark given alone").isEqualTo(4L << 20);
    }

    @Test
    void keysAreReadWithUnitsAndCheckedOnce() {
        ShardConfig c = ShardConfig.from(Map.of("shard.segment.max.bytes", "1MiB", "shard.segment.max.rows", "1000",
                "shard.segment.lifetime", "2h", "shard.growing.high.bytes", "10MiB", "shard.growing.low.bytes", "5MiB"));
        assertThat(c.segmentMaxBytes()).isEqualTo(1 << 20);
        assertThat(c.segmentMaxRows()).isEqualTo(1000);
        assertThat(c.segmentLifetime()).isEqualTo(Duration.ofHours(2));

        assertThatThrownBy(() -> ShardConfig.from(Map.of("shard.segment.max.byte", "1MiB")))
                .isInstanceOf(StreamingException.class).hasMessageContaining("shard.segment.max.byte");
        assertThatThrownBy(() -> ShardConfig.from(Map.of("shard.growing.high.bytes", "1MiB",
                "shard.growing.low.bytes", "2MiB"))).isInstanceOf(StreamingException.class).hasMessageContaining("growing low");
        assertThatThrownBy(() -> ShardConfig.from(Map.of("shard.segment.max.bytes", "0")))
                .isInstanceOf(StreamingException.class);
    }
}
