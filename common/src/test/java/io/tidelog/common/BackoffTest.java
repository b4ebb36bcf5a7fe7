package io.tidelog.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.testing.Seeds;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class BackoffTest {
    @RegisterExtension
    final Seeds seeds = new Seeds();

    private static List<Long> millis(Backoff b, int n) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(Duration.ofNanos(b.nextNanos()).toMillis());
        }
        return out;
    }

    @Test
    void delaysDoubleFromTheInitialUpToTheMaximumAndStayThere() {
        Backoff b = new Backoff(Duration.ofMillis(10), Duration.ofMillis(100));
        assertThat(millis(b, 6)).containsExactly(10L, 20L, 40L, 80L, 100L, 100L);
    }

    @Test
    void aResetStartsAgainFromTheInitialDelay() {
        Backoff b = new Backoff(Duration.ofMillis(10), Duration.ofMillis(100));
        millis(b, 3);
        b.reset();
        assertThat(b.next()).isEqualTo(Duration.ofMillis(10));
        assertThat(b.next()).isEqualTo(Duration.ofMillis(20));
    }

    @Test
    void theMultiplierSetsTheGrowth() {
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), 1.5, 0, null);
        assertThat(millis(b, 7)).containsExactly(100L, 150L, 225L, 337L, 506L, 759L, 1000L);
        Backoff constant = new Backoff(Duration.ofMillis(7), Duration.ofMillis(7), 1, 0, null);
        assertThat(millis(constant, 3)).containsExactly(7L, 7L, 7L);
    }

    @Test
    void aLongScheduleNeverOverflowsPastTheMaximum() {
        Backoff b = new Backoff(Duration.ofNanos(1), Duration.ofDays(365));
        long last = 0;
        for (int i = 0; i < 200; i++) {
            last = b.nextNanos();
            assertThat(last).isPositive().isLessThanOrEqualTo(Duration.ofDays(365).toNanos());
        }
        assertThat(last).isEqualTo(Duration.ofDays(365).toNanos());
    }

    @Test
    void jitterShortensEachDelayByAtMostItsFractionAndTheScheduleStillGrows() {
        Random random = seeds.random();
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10), 2, 0.5, random);
        long scheduled = Duration.ofMillis(100).toNanos();
        boolean shortened = false;
        for (int i = 0; i < 20; i++) {
            long d = b.nextNanos();
            assertThat(d).as("delay %d", i).isBetween(scheduled / 2, scheduled);
            shortened |= d < scheduled;
            scheduled = Math.min(Duration.ofSeconds(10).toNanos(), scheduled * 2);
        }
        assertThat(shortened).as("some delay was drawn below its schedule").isTrue();
    }

    @Test
    void theSameSeedDrawsTheSameDelays() {
        long seed = seeds.seed();
        Backoff a = new Backoff(Duration.ofMillis(1), Duration.ofSeconds(1), 2, 1, new Random(seed));
        Backoff b = new Backoff(Duration.ofMillis(1), Duration.ofSeconds(1), 2, 1, new Random(seed));
        for (int i = 0; i < 15; i++) {
            assertThat(a.nextNanos()).isEqualTo(b.nextNanos());
        }
    }

    @Test
    void aScheduleThatCannotWorkIsRefusedAtOnce() {
        assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)))
                .hasMessageContaining("0 < initial <= max");
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .hasMessageContaining("0 < initial <= max");
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(2), 0.5, 0, null))
                .hasMessageContaining("multiplier 0.5");
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(2), 2, 0.1, null))
                .hasMessageContaining("without a generator");
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(2), 2, 1.5, new Random()))
                .isInstanceOfSatisfying(StreamingException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }
}
