package io.tidelog.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Typed keys: what an observer of the reads is told, and defaults written as a key takes them. */
class SettingsTest {
    @Test
    void anObserverIsToldOfEveryKeyReadWithTheValueUsedAndWhetherItIsTheDefault() {
        List<String> reads = new ArrayList<>();
        long segment = Settings.observing((k, v, isDefault) -> reads.add(k + "=" + v + (isDefault ? " (default)" : "")),
                () -> {
                    Settings s = new Settings(Map.of("a.bytes", " 2MiB ", "a.flag", "true"));
                    s.duration("a.wait", Duration.ofMinutes(10), Duration.ZERO, Duration.ofDays(1));
                    s.bool("a.flag", false);
                    s.integer("a.count", 3, 0, 10);
                    s.string("a.name", null);
                    return s.bytes("a.bytes", 1 << 20, 0, Long.MAX_VALUE);
                });
        assertThat(segment).isEqualTo(2 << 20);
        assertThat(reads).containsExactly("a.wait=10m (default)", "a.flag=true", "a.count=3 (default)",
                "a.name= (default)", "a.bytes=2MiB");
        new Settings(Map.of()).integer("b", 1, 0, 2); // no observer outside: nothing told, nothing thrown
        assertThat(reads).hasSize(5);
    }

    @Test
    void defaultsAreWrittenInTheLargestUnitThatDividesThemAndReadBackAsTheSameValue() {
        assertThat(Settings.formatBytes(64L << 20)).isEqualTo("64MiB");
        assertThat(Settings.formatBytes(1L << 40)).isEqualTo("1TiB");
        assertThat(Settings.formatBytes(1536)).isEqualTo("1536");
        assertThat(Settings.formatBytes(0)).isEqualTo("0");
        assertThat(Settings.formatDuration(Duration.ofMillis(200))).isEqualTo("200ms");
        assertThat(Settings.formatDuration(Duration.ofHours(24))).isEqualTo("1d");
        assertThat(Settings.formatDuration(Duration.ofSeconds(90))).isEqualTo("90s");
        for (long b : new long[] {0, 1, 1536, 3L << 30, 5L << 40}) {
            assertThat(Settings.parseBytes("k", Settings.formatBytes(b))).isEqualTo(b);
        }
        for (Duration d : new Duration[] {Duration.ZERO, Duration.ofMillis(1500), Duration.ofMinutes(3), Duration.ofDays(2)}) {
            assertThat(Settings.parseDuration("k", Settings.formatDuration(d))).isEqualTo(d);
        }
    }
}
