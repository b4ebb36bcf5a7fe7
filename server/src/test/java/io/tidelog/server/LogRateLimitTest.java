package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogRateLimitTest {
    static final long SECOND = 1_000_000_000L;

    @Test
    void theFirstEventGetsALineThenAtMostOnePerIntervalWithTheCountLeftOut() {
        LogRateLimit limit = new LogRateLimit(Duration.ofSeconds(10));
        long t0 = 123 * SECOND;
        List<Long> answers = new ArrayList<>();
        for (long at : new long[] {0, 1, 2, 9, 10, 11, 30, 30}) {
            answers.add(limit.admit(t0 + at * SECOND));
        }
        assertThat(answers).containsExactly(0L, -1L, -1L, -1L, 3L, -1L, 1L, -1L);
    }

    @Test
    void aBurstOfAThousandEventsGetsOneLine() {
        LogRateLimit limit = new LogRateLimit(Duration.ofSeconds(10));
        long lines = 0;
        for (int i = 0; i < 1000; i++) {
            lines += limit.admit(i * 1_000_000L) >= 0 ? 1 : 0;
        }
        assertThat(lines).isEqualTo(1);
        assertThat(limit.admit(11 * SECOND)).isEqualTo(999);
    }
}
