package io.tidelog.meta.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.Compare;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.Op;
import io.tidelog.meta.Watch;
import io.tidelog.meta.WatchEvent;
import io.tidelog.meta.testing.RecordingListener;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The etcd store when etcd is down, frozen or restarting: every call ends by its deadline with {@code TIMEOUT}
 * (never a hang), a write whose answer is lost says that its outcome is unknown, and watches carry on after etcd
 * comes back, with no gap and no repeat.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EtcdMetaStoreFailureTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    /** A call against a dead etcd ends by its deadline; this leaves room for a loaded machine. */
    private static final Duration FAST = TIMEOUT.plusSeconds(2);
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final AtomicInteger ROOTS = new AtomicInteger();

    @RegisterExtension
    static final EtcdServer ETCD = new EtcdServer();

    @AfterEach
    void etcdRunsAgain() {
        if (ETCD.isRunning()) {
            ETCD.resume();
        } else {
            ETCD.start();
        }
    }

    private static MetaStore open() {
        Map<String, String> properties = new HashMap<>(ETCD.storeProperties("failure/" + ROOTS.incrementAndGet() + "/"));
        properties.put(EtcdMetaStoreConfig.REQUEST_TIMEOUT, TIMEOUT.toMillis() + "ms");
        return new EtcdMetaStore(EtcdMetaStoreConfig.from(properties));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void everyCallToAStoppedEtcdFailsByItsDeadlineWithTimeout() {
        try (MetaStore s = open()) {
            long lease = s.grantLease(Duration.ofSeconds(30));
            s.put("k", bytes("v"));
            ETCD.stop();

            assertTimesOut(false, () -> s.get("k"));
            assertTimesOut(false, () -> s.range("", 0));
            assertTimesOut(false, s::currentRevision);
            assertTimesOut(false, () -> s.keepAlive(lease));
            assertTimesOut(false, () -> s.watch("k", new RecordingListener()));
            assertTimesOut(true, () -> s.put("k", bytes("w")));
            assertTimesOut(true, () -> s.delete("k"));
            assertTimesOut(true, () -> s.deletePrefix("k"));
            assertTimesOut(true, () -> s.txn(List.of(Compare.present("k")), List.of(Op.put("k", bytes("x"))), List.of()));
            assertTimesOut(true, () -> s.grantLease(Duration.ofSeconds(5)));
            assertTimesOut(true, () -> s.revokeLease(lease));

            ETCD.start();
            assertThat(s.get("k").orElseThrow().valueUtf8()).as("the same store serves once etcd is back").isEqualTo("v");
            assertThat(s.keepAlive(lease)).isTrue();
        }
    }

    @Test
    void aWriteWhoseAnswerIsLostIsReportedAsUnknownNeverAsNotWritten() {
        try (MetaStore s = open()) {
            s.put("counter", bytes("0"));
            long mod = s.get("counter").orElseThrow().modRevision();
            ETCD.pause();
            assertThatThrownBy(() -> s.compareAndPut("counter", mod, bytes("1")))
                    .isInstanceOfSatisfying(StreamingException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
                        assertThat(e.isOutcomeUnknown()).isTrue();
                        assertThat(e.getMessage()).contains("whether it was applied is unknown");
                    });
            ETCD.resume();
            assertThat(s.get("counter").orElseThrow().valueUtf8()).as("applied or not, never half").isIn("0", "1");
        }
    }

    @Test
    void aWatchCarriesOnAcrossAnEtcdCrashWithNoGapAndNoRepeat() {
        try (MetaStore s = open()) {
            RecordingListener listener = new RecordingListener();
            Watch watch = s.watch("w/", listener);
            long r1 = s.put("w/1", bytes("1"));
            long r2 = s.put("w/2", bytes("2"));
            listener.awaitEvents(2, WAIT);

            ETCD.kill();
            ETCD.start();
            long r3 = s.put("w/3", bytes("3"));
            ETCD.stop();
            ETCD.start();
            long r4 = s.put("w/4", bytes("4"));

            List<WatchEvent> events = listener.awaitEvents(4, WAIT);
            assertThat(events).extracting(WatchEvent::revision).containsExactly(r1, r2, r3, r4);
            assertThat(listener.error()).isNull();
            assertThat(watch.isClosed()).isFalse();
            assertThat(watch.nextRevision()).isEqualTo(r4 + 1);
        }
    }

    @Test
    void closingWhileEtcdIsDownIsPromptAndEndsWatchesWithOnShutdown() {
        MetaStore s = open();
        RecordingListener listener = new RecordingListener();
        s.watch("z/", listener);
        ETCD.stop();
        long start = System.nanoTime();
        s.close();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(FAST);
        listener.awaitError(WAIT);
        assertThat(listener.error().code()).isEqualTo(ErrorCode.ON_SHUTDOWN);
        assertThatThrownBy(() -> s.get("z/a")).isInstanceOfSatisfying(StreamingException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.ON_SHUTDOWN));
    }

    private static void assertTimesOut(boolean write, ThrowingCallable call) {
        long start = System.nanoTime();
        assertThatThrownBy(call).isInstanceOfSatisfying(StreamingException.class, e -> {
            assertThat(e.code()).as(e.getMessage()).isEqualTo(ErrorCode.TIMEOUT);
            assertThat(e.getMessage()).contains(ETCD.endpoint(), "cannot be reached",
                    EtcdMetaStoreConfig.REQUEST_TIMEOUT);
            assertThat(e.isOutcomeUnknown()).isTrue();
            if (write) {
                assertThat(e.getMessage()).contains("whether it was applied is unknown");
            }
        });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("failed by the deadline").isLessThan(FAST);
    }
}
