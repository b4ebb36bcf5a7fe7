package io.tidelog.node.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MutableMessage;
import io.tidelog.node.AppendResult;
import io.tidelog.node.NodeConfig;
import io.tidelog.node.StreamingWal;
import io.tidelog.node.recovery.Checkpoint;
import io.tidelog.node.scan.MessageScanner;
import io.tidelog.node.scan.ReadOptions;
import io.tidelog.node.testing.MapRecoveryStore;
import io.tidelog.node.testing.MapSubscriptionStore;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.RawHeader;
import io.tidelog.tso.HybridTimestamps;
import io.tidelog.tso.TimestampAllocator;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.LogRecord;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.WalScanner;
import io.tidelog.wal.memory.MemoryStorage;
import io.tidelog.wal.memory.MemoryWalBackend;
import io.tidelog.wal.memory.MemoryWalConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * WAL retention on a manual clock over the {@code memory} backend (which truncates at the exact id asked): the log
 * is cut only below the checkpoint, the retention bound by time or by bytes, and every durable subscription within
 * its maximum lag.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RetentionTest {
    static final String P = "pch-1";
    static final String V = "pch-1_events";
    static final long BASE = 1_800_000_000_000L;
    static final Duration WAIT = Duration.ofSeconds(5);

    final MemoryStorage storage = new MemoryStorage();
    MemoryWalBackend backend = new MemoryWalBackend(MemoryWalConfig.defaults(), storage);
    final AtomicLong now = new AtomicLong(BASE);
    final AtomicLong logical = new AtomicLong();
    final TimestampAllocator tso = count -> HybridTimestamps.compose(now.get(), logical.getAndAdd(count));
    final InstantSource clock = () -> Instant.ofEpochMilli(now.get());
    final MapRecoveryStore recovery = new MapRecoveryStore();
    final MapSubscriptionStore subscriptions = new MapSubscriptionStore();
    final List<StreamingWal> wals = new ArrayList<>();

    @AfterEach
    void close() {
        wals.forEach(StreamingWal::close);
        backend.close();
    }

    StreamingWal start(long term, RetentionConfig config) {
        return start(term, config, NodeConfig.defaults());
    }

    StreamingWal start(long term, RetentionConfig config, NodeConfig node) {
        StreamingWal w = StreamingWal.start(backend.open(OpenOptions.readWrite(P, term)), tso, node,
                List.of(), recovery, new Retention(config, subscriptions, clock));
        wals.add(w);
        return w;
    }

    static RetentionConfig keep(Duration time, long bytes, Duration maxLag) {
        return new RetentionConfig(time, bytes, maxLag);
    }

    static MutableMessage raw(String text) {
        return MutableMessage.builder(MessageType.RAW, V).header(RawHeader.getDefaultInstance())
                .payload(text.getBytes(StandardCharsets.UTF_8)).build();
    }

    static AppendResult append(StreamingWal w, String text) {
        return w.append(raw(text)).join();
    }

    /** Every record the backend still holds: id and payload text of RAW messages ("" for others). */
    List<String> retained(StreamingWal w) throws InterruptedException {
        List<String> out = new ArrayList<>();
        try (WalScanner s = w.readLog(DeliverPolicy.all())) {
            LogRecord r;
            while ((r = s.poll(Duration.ofMillis(50))) != null) {
                ImmutableMessage m = ImmutableMessage.decode(r.id(), r.payload());
                out.add(m.type() == MessageType.RAW ? m.payload().toStringUtf8() : m.type().name());
            }
        }
        return out;
    }

    @Test
    void retentionByTimeKeepsExactlyTheMessagesYoungerThanIt() throws Exception {
        StreamingWal w = start(1, keep(Duration.ofMinutes(10), RetentionConfig.UNLIMITED, Duration.ofDays(7)));
        for (int i = 0; i < 10; i++) {
            now.addAndGet(60_000);
            append(w, "m" + i);
        }
        assertThat(w.checkpointNow()).isTrue();
        // the term's first TimeTick is exactly 10 minutes old: it goes; m0, 9 minutes old, stays
        assertThat(retained(w)).containsExactly("m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9");

        now.addAndGet(3 * 60_000 + 30_000);
        w.checkpointNow();
        // m0, m1 and m2 are now 12.5, 11.5 and 10.5 minutes old; m3, 9.5 minutes old, stays
        assertThat(retained(w)).containsExactly("m3", "m4", "m5", "m6", "m7", "m8", "m9");
        assertThat(w.status().retention().bound()).isEqualTo(RetentionConfig.TIME);
        assertThat(w.status().retention().earliest().messageId()).isEqualTo(w.earliest().messageId());
    }

    @Test
    void retentionByBytesKeepsTheNewestMessagesHoldingTheBound() throws Exception {
        StreamingWal w = start(1, keep(Duration.ofDays(3650), 1_000, Duration.ofDays(7)));
        for (int i = 0; i < 20; i++) {
            append(w, String.format("m%02d-%s", i, "x".repeat(90)));
        }
        List<Integer> sizes = new ArrayList<>();
        List<MessageId> ids = new ArrayList<>();
        try (WalScanner s = w.readLog(DeliverPolicy.all())) {
            LogRecord r;
            while ((r = s.poll(Duration.ofMillis(50))) != null) {
                sizes.add(r.payload().remaining());
                ids.add(r.id());
            }
        }
        int from = sizes.size();
        long sum = 0;
        while (sum < 1_000) {
            sum += sizes.get(--from);
        }

        w.checkpointNow();

        assertThat(w.earliest().messageId()).isEqualTo(ids.get(from));
        assertThat(w.status().retention().bound()).isEqualTo(RetentionConfig.BYTES);
        assertThat(retained(w)).hasSize(sizes.size() - from);
    }

    @Test
    void withRetentionZeroTheLogIsCutAtTheCheckpoint() throws Exception {
        StreamingWal w = start(1, RetentionConfig.untilCheckpoint());
        for (int i = 0; i < 5; i++) {
            append(w, "m" + i);
        }
        w.checkpointNow();
        assertThat(retained(w)).containsExactly("m4");
        assertThat(w.status().retention().bound()).isEqualTo("checkpoint");
    }

    @Test
    void aSubscriptionHoldsTheLogUntilItCommitsPastAndResumesWithNoGapAndNoDuplicate() throws Exception {
        StreamingWal w = start(1, RetentionConfig.untilCheckpoint());
        StreamingWal.Subscribed sub = w.subscribe(V, "audit", DeliverPolicy.all(), false);
        assertThat(sub.created()).isTrue();
        assertThat(w.subscribe(V, "audit", DeliverPolicy.latest(), false).created()).isFalse();
        for (int i = 0; i < 10; i++) {
            append(w, "m" + i);
        }
        w.checkpointNow();
        assertThat(retained(w)).hasSize(11).startsWith("TIME_TICK", "m0");
        assertThat(w.status().retention().bound()).isEqualTo("subscription audit of " + V);

        Checkpoint position = sub.subscription().position();
        List<String> first = new ArrayList<>();
        ImmutableMessage last = null;
        try (MessageScanner s = w.read(new ReadOptions(DeliverPolicy.startFrom(position.messageId()), V,
                position.timeTick(), 0, Set.of(MessageType.RAW)))) {
            for (int i = 0; i < 6; i++) {
                last = s.poll(WAIT);
                first.add(last.payload().toStringUtf8());
            }
        }
        assertThat(first).containsExactly("m0", "m1", "m2", "m3", "m4", "m5");
        Checkpoint committed = new Checkpoint(last.lastConfirmedId(), last.timeTick());
        w.commitSubscription(V, "audit", committed, 0);
        w.checkpointNow();

        assertThat(w.earliest().messageId()).isEqualTo(last.lastConfirmedId());
        List<String> rest = new ArrayList<>();
        try (MessageScanner s = w.read(new ReadOptions(DeliverPolicy.startFrom(committed.messageId()), V,
                committed.timeTick(), 0, Set.of(MessageType.RAW)))) {
            for (int i = 0; i < 4; i++) {
                rest.add(s.poll(WAIT).payload().toStringUtf8());
            }
            assertThat(s.poll(Duration.ofMillis(100))).isNull();
        }
        assertThat(rest).containsExactly("m6", "m7", "m8", "m9");
    }

    @Test
    void aSubscriptionLaggingBeyondTheMaximumIsLetGoAndThenFailsWithOutOfRangeNamingTheEarliest() throws Exception {
        // no write-ahead buffer: a reader finds in memory nothing the backend dropped
        StreamingWal w = start(1, keep(Duration.ZERO, RetentionConfig.UNLIMITED, Duration.ofHours(1)),
                NodeConfig.from(Map.of("node.buffer.capacity", "0")));
        Subscription s = w.subscribe(V, "slow", DeliverPolicy.all(), false).subscription();
        append(w, "m0");
        w.checkpointNow();
        assertThat(w.status().retention().letGo()).isZero();
        assertThat(retained(w)).startsWith("TIME_TICK", "m0");

        now.addAndGet(Duration.ofHours(2).toMillis());
        append(w, "m1");
        w.checkpointNow();
        w.checkpointNow();

        assertThat(w.isLetGo(s)).isTrue();
        assertThat(w.status().retention().letGo()).isEqualTo(1);
        assertThat(retained(w)).containsExactly("m1");
        MessageId earliest = w.earliest().messageId();
        assertThatThrownBy(() -> w.read(new ReadOptions(DeliverPolicy.startFrom(s.position().messageId()), V,
                s.position().timeTick(), 0, Set.of())))
                .isInstanceOfSatisfying(StreamingException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.OUT_OF_RANGE);
                    assertThat(e.getMessage()).contains("the earliest retained message is " + earliest);
                });
        assertThatThrownBy(() -> w.commitSubscription(V, "slow", s.position(), 0))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.OUT_OF_RANGE));
    }

    @Test
    void aDeletedSubscriptionNoLongerHoldsTheLogAndCannotBeCommitted() throws Exception {
        StreamingWal w = start(1, RetentionConfig.untilCheckpoint());
        Subscription s = w.subscribe(V, "gone", DeliverPolicy.all(), false).subscription();
        append(w, "m0");
        append(w, "m1");
        w.checkpointNow();
        assertThat(retained(w)).hasSize(3);

        assertThat(subscriptions.delete(V, "gone")).isTrue();
        w.checkpointNow();

        assertThat(retained(w)).containsExactly("m1");
        assertThatThrownBy(() -> w.commitSubscription(V, "gone", new Checkpoint(w.earliest().messageId(), 0), 0))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
        assertThat(s.name()).isEqualTo("gone");
    }

    @Test
    void aNewSubscriptionAtLatestStartsAfterWhatIsInTheLog() throws Exception {
        StreamingWal w = start(1, RetentionConfig.defaults());
        append(w, "before");
        Subscription s = w.subscribe(V, "tail", DeliverPolicy.latest(), false).subscription();
        append(w, "after");
        try (MessageScanner scanner = w.read(new ReadOptions(DeliverPolicy.startFrom(s.position().messageId()), V,
                s.position().timeTick(), 0, Set.of(MessageType.RAW)))) {
            assertThat(scanner.poll(WAIT).payload().toStringUtf8()).isEqualTo("after");
        }
    }

    @Test
    void theRetentionIndexIsSavedWithTheCheckpointSoARestartStillCutsByTime() throws Exception {
        RetentionConfig tenMinutes = keep(Duration.ofMinutes(10), RetentionConfig.UNLIMITED, Duration.ofDays(7));
        StreamingWal first = start(1, tenMinutes);
        for (int i = 0; i < 5; i++) {
            now.addAndGet(60_000);
            append(first, "m" + i);
        }
        first.checkpointNow();
        backend.crash();
        backend = new MemoryWalBackend(MemoryWalConfig.defaults(), storage);

        StreamingWal second = start(2, tenMinutes);
        // the replay started at the checkpoint: only the saved index knows when m0..m4 were appended
        now.addAndGet(7 * 60_000 + 30_000);
        second.checkpointNow();

        // 12.5 minutes after the start: the first TimeTick, m0 (11.5 min) and m1 (10.5 min) go, m2 (9.5 min) stays
        assertThat(retained(second)).startsWith("m2", "m3", "m4");
    }

    @Test
    void aSubscriptionStartingBelowTheRetainedLogIsRefused() throws Exception {
        StreamingWal w = start(1, RetentionConfig.untilCheckpoint());
        MessageId first = append(w, "m0").id();
        append(w, "m1");
        w.checkpointNow();
        assertThatThrownBy(() -> w.subscribe(V, "late", DeliverPolicy.startFrom(first), false))
                .isInstanceOfSatisfying(StreamingException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.OUT_OF_RANGE);
                    assertThat(e.getMessage()).contains("earliest retained message");
                });
        assertThat(subscriptions.list(P)).isEmpty();
        assertThatThrownBy(() -> w.subscribe("pch-2_x", "other", DeliverPolicy.all(), false))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        assertThatThrownBy(() -> w.subscribe(V, "bad/name", DeliverPolicy.all(), false))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }
}
