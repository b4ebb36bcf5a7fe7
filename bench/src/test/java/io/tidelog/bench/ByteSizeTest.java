package io.tidelog.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class ByteSizeTest {

    @Test
    void sizesAcceptPlainCountsAndBinarySuffixes() {
        assertThat(ByteSize.parse("512")).isEqualTo(512);
        assertThat(ByteSize.parse("1KiB")).isEqualTo(1024);
        assertThat(ByteSize.parse("16k")).isEqualTo(16384);
        assertThat(ByteSize.parse(" 64MiB ")).isEqualTo(64L << 20);
        assertThat(ByteSize.parse("2g")).isEqualTo(2L << 30);
        assertThat(ByteSize.parse("100b")).isEqualTo(100);
    }

    @Test
    void malformedOrNonPositiveSizesAreRefusedWithTheValue() {
        assertThatThrownBy(() -> ByteSize.parse("lots")).isInstanceOf(TypeConversionException.class)
                .hasMessageContaining("'lots'");
        assertThatThrownBy(() -> ByteSize.parse("0")).isInstanceOf(TypeConversionException.class)
                .hasMessageContaining("positive");
        assertThatThrownBy(() -> ByteSize.parse("99999999999g")).isInstanceOf(TypeConversionException.class);
    }

    @Test
    void sizesPrintInTheirShortestExactForm() {
        assertThat(ByteSize.format(1024)).isEqualTo("1KiB");
        assertThat(ByteSize.format(16384)).isEqualTo("16KiB");
        assertThat(ByteSize.format(1 << 20)).isEqualTo("1MiB");
        assertThat(ByteSize.format(1L << 30)).isEqualTo("1GiB");
        assertThat(ByteSize.format(1500)).isEqualTo("1500B");
    }
}
