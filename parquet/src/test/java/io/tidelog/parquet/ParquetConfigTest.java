package io.tidelog.parquet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.StreamingException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ParquetConfigTest {
    @Test
    void defaultsAre64MiBRowGroups1MiBPagesZstdLevel3AndPlainVectors() {
        assertThat(ParquetConfig.defaults()).isEqualTo(new ParquetConfig(64L << 20, 1 << 20, 3, false));
    }

    @Test
    void keysAreReadWithSizeSuffixes() {
        assertThat(ParquetConfig.from(Map.of(ParquetConfig.ROW_GROUP_BYTES, "128MiB", ParquetConfig.PAGE_BYTES, "256KiB",
                ParquetConfig.ZSTD_LEVEL, "9", ParquetConfig.VECTOR_BYTE_STREAM_SPLIT, "true")))
                .isEqualTo(new ParquetConfig(128L << 20, 256 << 10, 9, true));
    }

    @Test
    void unknownKeysAndBadValuesAreRejected() {
        assertThatThrownBy(() -> ParquetConfig.from(Map.of("parquet.row.groups.bytes", "1MiB")))
                .isInstanceOf(StreamingException.class).hasMessageContaining("unknown configuration keys");
        assertThatThrownBy(() -> ParquetConfig.from(Map.of(ParquetConfig.ZSTD_LEVEL, "23")))
                .isInstanceOf(StreamingException.class).hasMessageContaining(ParquetConfig.ZSTD_LEVEL);
        assertThatThrownBy(() -> new ParquetConfig(1 << 20, 2 << 20, 3, false))
                .isInstanceOf(StreamingException.class).hasMessageContaining("at most the row group");
    }
}
