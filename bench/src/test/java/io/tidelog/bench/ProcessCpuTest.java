package io.tidelog.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class ProcessCpuTest {
    /** A line of /proc/<pid>/stat as the kernel writes it, utime 1234 and stime 567 (fields 14 and 15). */
    private static String stat(String comm) {
        return "4242 (" + comm + ") S 1 4242 4242 0 -1 4194560 5000 0 12 0 1234 567 3 4 20 0 31 0 889 3000000000"
                + " 90000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
    }

    @Test
    void ticksAreUtimePlusStime() {
        assertThat(ProcessCpu.ticks(stat("java"))).isEqualTo(1234 + 567);
    }

    @Test
    void aCommandNameWithBlanksAndParenthesesIsSkippedUpToItsLastParenthesis() {
        assertThat(ProcessCpu.ticks(stat("a) 1 2 (b"))).isEqualTo(1234 + 567);
        assertThat(ProcessCpu.ticks(stat("x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 ("))).isEqualTo(1234 + 567);
        assertThat(ProcessCpu.ticks(stat("))"))).isEqualTo(1234 + 567);
    }

    @Test
    void aLineThatIsNotAStatLineIsRefused() {
        assertThatThrownBy(() -> ProcessCpu.ticks("4242 java S 1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no command name");
        assertThatThrownBy(() -> ProcessCpu.ticks("4242 (java) S 1 2 3")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fields");
        assertThatThrownBy(() -> ProcessCpu.ticks(stat("java").replace(" 1234 ", " x ")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not numbers");
    }

    @Test
    void clockTicksComeFromGetconfOutputOrDefaultTo100() {
        assertThat(ProcessCpu.parseClockTicks("250\n")).isEqualTo(250);
        assertThat(ProcessCpu.parseClockTicks("")).isEqualTo(ProcessCpu.DEFAULT_CLOCK_TICKS);
        assertThat(ProcessCpu.parseClockTicks("undefined\n")).isEqualTo(ProcessCpu.DEFAULT_CLOCK_TICKS);
        assertThat(ProcessCpu.parseClockTicks("0")).isEqualTo(ProcessCpu.DEFAULT_CLOCK_TICKS);
        assertThat(ProcessCpu.clockTicksPerSecond()).isPositive();
    }

    @Test
    void thisJvmsCpuTimeGrowsWhileItComputes() throws IOException {
        ProcessCpu self = ProcessCpu.self(ProcessCpu.clockTicksPerSecond());
        double before = self.seconds();
        long deadline = System.nanoTime() + 30_000_000_000L;
        long sink = 0;
        double after = before;
        while (after <= before && System.nanoTime() - deadline < 0) {
            for (int i = 0; i < 1_000_000; i++) {
                sink += Long.numberOfTrailingZeros(sink + i);
            }
            after = self.seconds();
        }
        assertThat(sink).isNotZero();
        assertThat(after).as("CPU seconds after computing").isGreaterThan(before);
        assertThat(before).isPositive();
    }

    @Test
    void aProcessThatIsGoneFailsWithAMessageSayingSo() {
        assertThatThrownBy(() -> ProcessCpu.of(Long.MAX_VALUE, 100).seconds()).isInstanceOf(IOException.class)
                .hasMessageContaining("the process exited, or this is not Linux");
    }
}
