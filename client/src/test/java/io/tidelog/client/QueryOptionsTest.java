package io.tidelog.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import org.junit.jupiter.api.Test;

class QueryOptionsTest {
    /**
     * A filter travels as UTF-8, where half of a surrogate pair alone would become '?': {@code title == "\uD83D"}
     * would silently ask for rows titled "?". It is refused instead; a whole pair (an astral character) is kept.
     */
    @Test
    void aFilterWithAnUnpairedSurrogateIsRefusedRatherThanSentAltered() {
        assertThatThrownBy(() -> QueryOptions.defaults().withFilter("title == \"\uD83D\""))
                .isInstanceOf(StreamingException.class)
                .satisfies(e -> assertThat(((StreamingException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("unpaired surrogate at index 10");
        assertThatThrownBy(() -> QueryOptions.defaults().withFilter("title like '\uDE00%'"))
                .hasMessageContaining("unpaired surrogate at index 12");

        assertThat(QueryOptions.defaults().withFilter("title == \"😀\"").filter()).isEqualTo("title == \"😀\"");
    }
}
