package io.tidelog.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class NamesTest {

    @Test
    void pchannelNamesAreLettersDigitsDashesAndDots() {
        for (String good : new String[] {"p", "pchannel-3", "Tidelog.dml-15", "0", "a".repeat(128)}) {
            Names.validatePchannel(good);
            assertThat(Names.isValidPchannel(good)).as(good).isTrue();
        }
    }

    @Test
    void anUnderscoreIsNeverPartOfAPchannelNameBecauseItStartsAVchannelSuffix() {
        assertThatThrownBy(() -> Names.validatePchannel("a_b"))
                .isInstanceOfSatisfying(StreamingException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("no '_'")
                .hasMessageContaining("'a_b'");
    }

    @Test
    void emptyLongPathLikeAndHiddenNamesAreRejected() {
        for (String bad : new String[] {null, "", "a".repeat(129), "../etc", "a/b", "with space", ".hidden", "é"}) {
            assertThat(Names.isValidPchannel(bad)).as(String.valueOf(bad)).isFalse();
            assertThatThrownBy(() -> Names.validatePchannel(bad))
                    .as(String.valueOf(bad))
                    .isInstanceOfSatisfying(StreamingException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
    }
}
