package io.tidelog.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.tidelog.common.StreamingException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ByteWindowSenderTest {
    private static final long MS = 1_000_000L;
    private final ExecutorService acks = Executors.newSingleThreadExecutor();

    @AfterEach
    void stopAcks() throws InterruptedException {
        acks.shutdownNow();
        assertThat(acks.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    /** A system that acknowledges every send later, on its own thread, and notes the most sends in flight. */
    private final class LaggingSystem implements ByteWindowSender.Target {
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger maxInFlight = new AtomicInteger();
        final AtomicLong sent = new AtomicLong();
        final AtomicLong acked = new AtomicLong();

        @Override
        public CompletableFuture<?> send(byte[] payload) {
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            sent.incrementAndGet();
            return CompletableFuture.runAsync(() -> {
                inFlight.decrementAndGet();
                acked.incrementAndGet();
            }, acks);
        }
    }

    /** A CPU meter that has used one more second at each reading. */
    private static ByteWindowSender.CpuMeter countingMeter() {
        AtomicInteger readings = new AtomicInteger();
        return readings::incrementAndGet;
    }

    @Test
    void theBytesInFlightNeverExceedTheWindow() throws Exception {
        LaggingSystem system = new LaggingSystem();
        ByteWindowSender.Saturated r = new ByteWindowSender("lagging", system, new byte[100], 1000)
                .measure(10 * MS, 100 * MS, countingMeter(), countingMeter());

        assertThat(system.maxInFlight.get()).isBetween(1, 10);
        assertThat(r.messages()).isPositive().isLessThanOrEqualTo(system.acked.get());
        assertThat(system.acked.get()).as("every send answered before measure returned").isEqualTo(system.sent.get());
        assertThat(system.inFlight.get()).isZero();
        assertThat(r.seconds()).isGreaterThanOrEqualTo(0.1);
        assertThat(r.megabytesPerSecond()).isCloseTo(r.messagesPerSecond() * 100 / 1e6, within(1e-9));
    }

    @Test
    void cpuIsTheDifferenceOfTheMetersAtBothEndsOfTheMeasuredInterval() throws Exception {
        ByteWindowSender.Saturated r = new ByteWindowSender("lagging", new LaggingSystem(), new byte[1000], 4000)
                .measure(0, 20 * MS, countingMeter(), countingMeter());

        assertThat(r.serverCpuSeconds()).isEqualTo(1.0);
        assertThat(r.clientCpuSeconds()).isEqualTo(1.0);
        assertThat(r.megabytesPerCpuSecond()).isCloseTo(r.messages() * 1000 / 1e6 / 2.0, within(1e-9));
    }

    @Test
    void withoutAServerMeterThereIsNoCpuPerMegabyte() throws Exception {
        ByteWindowSender.Saturated r = new ByteWindowSender("lagging", new LaggingSystem(), new byte[10], 100)
                .measure(0, 10 * MS, null, countingMeter());

        assertThat(r.serverCpuSeconds()).isNaN();
        assertThat(r.megabytesPerCpuSecond()).isNaN();
    }

    @Test
    void aFailedSendFailsTheMeasurementNamingTheSystem() {
        AtomicLong sends = new AtomicLong();
        ByteWindowSender.Target failsThird = p -> sends.incrementAndGet() == 3
                ? CompletableFuture.failedFuture(new IllegalStateException("disk on fire"))
                : CompletableFuture.supplyAsync(() -> 1, acks);

        assertThatThrownBy(() -> new ByteWindowSender("broken", failsThird, new byte[10], 100)
                .measure(0, 10_000 * MS, null, countingMeter()))
                .isInstanceOf(StreamingException.class).hasMessageContaining("a send to broken failed after")
                .hasMessageContaining("disk on fire");
    }

    @Test
    void aSendThatThrowsFailsTheMeasurementToo() {
        ByteWindowSender.Target throwsAtOnce = p -> {
            throw new IllegalStateException("buffer exhausted");
        };

        assertThatThrownBy(() -> new ByteWindowSender("throwing", throwsAtOnce, new byte[10], 100)
                .measure(0, 10_000 * MS, null, countingMeter()))
                .isInstanceOf(StreamingException.class).hasMessageContaining("a send to throwing failed after 0")
                .hasMessageContaining("buffer exhausted");
    }

    @Test
    void aWindowSmallerThanOnePayloadIsRefused() {
        assertThatThrownBy(() -> new ByteWindowSender("x", p -> null, new byte[100], 99))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must hold one payload");
    }
}
