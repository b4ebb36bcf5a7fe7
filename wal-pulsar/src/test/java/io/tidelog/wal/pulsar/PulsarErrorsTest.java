package io.tidelog.wal.pulsar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pulsar.client.api.PulsarClientException;
import org.junit.jupiter.api.Test;

class PulsarErrorsTest {
    /** As the open path meets a dropped connection: the client's exception, wrapped by {@link PulsarErrors#await}. */
    private static StreamingException disconnected() {
        CompletableFuture<Object> f = CompletableFuture.failedFuture(
                new PulsarClientException.ConnectException("Disconnected from server at 127.0.0.1:6650"));
        try {
            PulsarErrors.await(f, 1000, "read the end of pchannel-0");
        } catch (StreamingException e) {
            return e;
        }
        throw new AssertionError("a failed future was awaited without failing");
    }

    @Test
    void aLostConnectionIsTransientButAFenceATimeoutAndABadArgumentAreNot() {
        assertThat(PulsarErrors.isTransient(disconnected())).isTrue();
        assertThat(PulsarErrors.isTransient(new PulsarClientException.LookupException("lookup failed"))).isTrue();
        assertThat(PulsarErrors.isTransient(new PulsarClientException.ProducerFencedException("fenced"))).isFalse();
        assertThat(PulsarErrors.isTransient(new StreamingException(ErrorCode.TIMEOUT, "no answer"))).isFalse();
        assertThat(PulsarErrors.isTransient(StreamingException.invalidArgument("bad"))).isFalse();
    }

    @Test
    void aStepThatLosesItsConnectionTwiceIsTriedAgainUntilItReturns() {
        AtomicInteger tries = new AtomicInteger();
        String got = PulsarErrors.retryingTransient(10_000, () -> {
            if (tries.incrementAndGet() <= 2) {
                throw disconnected();
            }
            return "end";
        });
        assertThat(got).isEqualTo("end");
        assertThat(tries).hasValue(3);
    }

    @Test
    void aFailureThatIsNotTransientIsThrownAtOnce() {
        AtomicInteger tries = new AtomicInteger();
        assertThatThrownBy(() -> PulsarErrors.retryingTransient(10_000, () -> {
            tries.incrementAndGet();
            throw new StreamingException(ErrorCode.CHANNEL_FENCED, "a newer term 7 was opened");
        })).isInstanceOfSatisfying(StreamingException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.CHANNEL_FENCED));
        assertThat(tries).hasValue(1);
    }

    @Test
    void aConnectionLostForLongerThanTheBudgetFailsWithItsLastFailure() {
        AtomicInteger tries = new AtomicInteger();
        long start = System.nanoTime();
        assertThatThrownBy(() -> PulsarErrors.retryingTransient(300, () -> {
            tries.incrementAndGet();
            throw disconnected();
        })).isInstanceOfSatisfying(StreamingException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.INNER);
            assertThat(e.getMessage()).contains("Disconnected from server");
        });
        assertThat(tries.get()).isGreaterThan(1);
        assertThat(System.nanoTime() - start).as("nanoseconds spent").isLessThan(5_000_000_000L);
    }
}
