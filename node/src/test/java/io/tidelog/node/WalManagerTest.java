package io.tidelog.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.node.scan.MessageScanner;
import io.tidelog.node.scan.ReadOptions;
import io.tidelog.proto.MessageType;
import io.tidelog.testing.Await;
import io.tidelog.tso.TimestampAllocator;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalBackend;
import io.tidelog.wal.memory.MemoryStorage;
import io.tidelog.wal.memory.MemoryWalBackend;
import io.tidelog.wal.memory.MemoryWalConfig;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WalManagerTest {
    final MemoryWalBackend backend = new MemoryWalBackend(MemoryWalConfig.defaults(), new MemoryStorage());
    final AtomicLong clock = new AtomicLong(1);
    final TimestampAllocator tso = count -> clock.getAndAdd(count);
    final WalManager manager = new WalManager(backend, tso,
            NodeConfig.from(Map.of("node.timetick.interval", "5ms")), p -> List.of());

    @AfterEach
    void close() {
        manager.close();
        backend.close();
    }

    @Test
    void lookupsCheckThePchannelAndTheTerm() {
        StreamingWal w = manager.open("p-1", 3);
        assertThat(manager.get("p-1", 3)).isSameAs(w);
        assertThat(manager.get("p-1", 0)).isSameAs(w);
        assertThat(manager.open("p-1", 3)).isSameAs(w);
        assertThatThrownBy(() -> manager.get("p-1", 2)).isInstanceOfSatisfying(StreamingException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.UNMATCHED_CHANNEL_TERM));
        assertThatThrownBy(() -> manager.get("p-9", 0)).isInstanceOfSatisfying(StreamingException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.CHANNEL_NOT_EXIST));
        assertThatThrownBy(() -> manager.open("p-1", 2)).isInstanceOfSatisfying(StreamingException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.UNMATCHED_CHANNEL_TERM));
    }

    @Test
    void anOpenThatTakesLongHoldsBackNoOtherPchannel() throws Exception {
        CountDownLatch slowOpenStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        WalBackend slow = new WalBackend() {
            @Override
            public String name() {
                return backend.name();
            }

            @Override
            public Wal open(OpenOptions options) {
                if (options.pchannel().equals("p-slow")) {
                    slowOpenStarted.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return backend.open(options);
            }

            @Override
            public void close() {
            }
        };
        WalManager m = new WalManager(slow, tso, NodeConfig.from(Map.of("node.timetick.interval", "5ms")), p -> List.of());
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<StreamingWal> slowOpen = pool.submit(() -> m.open("p-slow", 1));
            assertThat(slowOpenStarted.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(m.open("p-quick", 1).isAvailable()).as("another pchannel opens meanwhile").isTrue();
            m.remove("p-quick", 1);
            assertThat(slowOpen).isNotDone();
            release.countDown();
            assertThat(slowOpen.get(10, TimeUnit.SECONDS).isAvailable()).isTrue();
            assertThat(m.open("p-slow", 1)).as("an open at the same term finds the WAL").isSameAs(slowOpen.get());
        } finally {
            release.countDown();
            pool.shutdownNow();
            m.close();
        }
    }

    @Test
    void closingWhileAnOpenRecoversClosesThatWalToo() throws Exception {
        CountDownLatch openStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Wal[] opened = new Wal[1];
        WalBackend slow = new WalBackend() {
            @Override
            public String name() {
                return backend.name();
            }

            @Override
            public Wal open(OpenOptions options) {
                if (!options.pchannel().equals("p-1")) {
                    return backend.open(options);
                }
                openStarted.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                opened[0] = backend.open(options);
                return opened[0];
            }

            @Override
            public void close() {
            }
        };
        WalManager m = new WalManager(slow, tso, NodeConfig.from(Map.of("node.timetick.interval", "5ms")), p -> List.of());
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<StreamingWal> open = pool.submit(() -> m.open("p-1", 1));
            assertThat(openStarted.await(10, TimeUnit.SECONDS)).isTrue();
            Future<?> closing = pool.submit(m::close);
            Await.until("close() marked the manager closed", () -> {
                try {
                    m.open("p-other", 1);
                    return false;
                } catch (StreamingException e) {
                    return e.code() == ErrorCode.ON_SHUTDOWN;
                }
            });
            release.countDown();
            assertThatThrownBy(() -> open.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(StreamingException.class);
            closing.get(10, TimeUnit.SECONDS);
            assertThatThrownBy(() -> opened[0].append(ByteBuffer.wrap(new byte[] {1})).join())
                    .as("the WAL opened meanwhile was closed").isInstanceOf(RuntimeException.class);
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void openingANewerTermReplacesTheOldWal() {
        StreamingWal old = manager.open("p-1", 1);
        StreamingWal newer = manager.open("p-1", 2);
        assertThat(old.isAvailable()).isFalse();
        assertThat(newer.isAvailable()).isTrue();
        assertThat(manager.get("p-1", 2)).isSameAs(newer);
        manager.remove("p-1", 1); // stale: keeps term 2
        assertThat(manager.get("p-1", 0)).isSameAs(newer);
        manager.remove("p-1", 2);
        assertThatThrownBy(() -> manager.get("p-1", 0)).isInstanceOf(StreamingException.class);
    }

    @Test
    void theTickerSendsTimeTicksToTailingReaders() throws Exception {
        StreamingWal w = manager.open("p-1", 1);
        try (MessageScanner s = w.read(ReadOptions.from(DeliverPolicy.latest()))) {
            ImmutableMessage a = s.poll(Duration.ofSeconds(10));
            ImmutableMessage b = s.poll(Duration.ofSeconds(10));
            assertThat(a.type()).isEqualTo(MessageType.TIME_TICK);
            assertThat(b.timeTick()).isGreaterThan(a.timeTick());
        }
        assertThat(manager.status()).singleElement().satisfies(st -> {
            assertThat(st.pchannel()).isEqualTo("p-1");
            assertThat(st.term()).isEqualTo(1);
            assertThat(st.available()).isTrue();
        });
    }
}
