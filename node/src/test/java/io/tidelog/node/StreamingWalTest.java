package io.tidelog.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MutableMessage;
import io.tidelog.node.scan.MessageScanner;
import io.tidelog.node.scan.ReadOptions;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.RawHeader;
import io.tidelog.testing.Seeds;
import io.tidelog.tso.TimestampAllocator;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.LogRecord;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalScanner;
import io.tidelog.wal.memory.MemoryStorage;
import io.tidelog.wal.memory.MemoryWalBackend;
import io.tidelog.wal.memory.MemoryWalConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StreamingWalTest {
    static final String P = "pch-1";
    static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    final Seeds seeds = new Seeds();

    final MemoryStorage storage = new MemoryStorage();
    final MemoryWalBackend backend = new MemoryWalBackend(
            MemoryWalConfig.from(Map.of("wal.memory.max.record.bytes", "64KiB")), storage);
    final AtomicLong clock = new AtomicLong(1000);
    final TimestampAllocator tso = count -> clock.getAndAdd(count);
    final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        backend.close();
    }

    StreamingWal start(long term, NodeConfig config) {
        StreamingWal w = StreamingWal.start(backend.open(OpenOptions.readWrite(P, term)), tso, config, List.of());
        toClose.add(w);
        return w;
    }

    StreamingWal start() {
        return start(1, NodeConfig.defaults());
    }

    static MutableMessage raw(String vchannel, String text) {
        return MutableMessage.builder(MessageType.RAW, vchannel).header(RawHeader.getDefaultInstance())
                .payload(ByteString.copyFromUtf8(text)).build();
    }

    static AppendResult await(CompletableFuture<AppendResult> f) {
        try {
            return f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw StreamingException.from(e.getCause());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static String text(ImmutableMessage m) {
        return m.payload().toString(StandardCharsets.UTF_8);
    }

    static List<ImmutableMessage> readData(MessageScanner s, int count) throws InterruptedException {
        List<ImmutableMessage> out = new ArrayList<>();
        while (out.size() < count) {
            ImmutableMessage m = s.poll(WAIT);
            assertThat(m).as("message %d of %d", out.size(), count).isNotNull();
            if (m.type() != MessageType.TIME_TICK) {
                out.add(m);
            }
        }
        return out;
    }

    @Test
    void appendsGetIncreasingTimeTicksAndALastConfirmedIdBeforeThemselves() {
        StreamingWal wal = start();
        AppendResult prev = null;
        for (int i = 0; i < 50; i++) {
            AppendResult r = await(wal.append(raw(P + "_a", "m" + i)));
            assertThat(r.lastConfirmedId()).isLessThan(r.id());
            if (prev != null) {
                assertThat(r.timeTick()).isGreaterThan(prev.timeTick());
                assertThat(r.id()).isGreaterThan(prev.id());
                assertThat(r.lastConfirmedId()).isEqualTo(prev.id());
            }
            prev = r;
        }
    }

    @Test
    void concurrentAppendsAreDeliveredInStrictTimeTickOrderAndEachOnce() throws Exception {
        StreamingWal wal = start();
        int threads = 8;
        int perThread = 400;
        Map<String, AppendResult> acked = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (MessageScanner s = wal.read(ReadOptions.from(DeliverPolicy.all()))) {
            List<Future<?>> jobs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                jobs.add(pool.submit(() -> {
                    List<CompletableFuture<AppendResult>> fs = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        String key = thread + "/" + i;
                        fs.add(wal.append(raw(P + "_v" + (i % 4), key)).whenComplete((r, e) -> acked.put(key, r)));
                        if (i % 50 == 0) {
                            wal.tick();
                        }
                    }
                    fs.forEach(StreamingWalTest::await);
                    return null;
                }));
            }
            for (Future<?> j : jobs) {
                j.get(30, TimeUnit.SECONDS);
            }
            List<ImmutableMessage> got = readData(s, threads * perThread);
            long lastTt = 0;
            int[] next = new int[threads];
            Set<String> seen = new HashSet<>();
            for (ImmutableMessage m : got) {
                assertThat(m.timeTick()).isGreaterThan(lastTt);
                lastTt = m.timeTick();
                String key = text(m);
                assertThat(seen.add(key)).isTrue();
                AppendResult r = acked.get(key);
                assertThat(m.id()).isEqualTo(r.id());
                assertThat(m.timeTick()).isEqualTo(r.timeTick());
                String[] p = key.split("/");
                assertThat(Integer.parseInt(p[1])).isEqualTo(next[Integer.parseInt(p[0])]++);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** A backend log whose batches can be held in {@code appendBatch} (as a full queue holds them) or not taken. */
    static final class GatedWal extends io.tidelog.node.testing.ForwardingWal {
        final java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        volatile java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(0);
        volatile boolean refuseTries;

        GatedWal(Wal inner) {
            super(inner);
        }

        @Override
        public CompletableFuture<MessageId[]> appendBatch(RecordBatch batch) {
            entered.countDown();
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return delegate.appendBatch(batch);
        }

        @Override
        public CompletableFuture<MessageId[]> tryAppendBatch(RecordBatch batch) {
            return refuseTries ? null : delegate.tryAppendBatch(batch);
        }
    }

    /** Issues from the test's clock; a try gets 0 while {@code refuse} is set (as a TSO that must save or fetch). */
    static final class TryableTso implements TimestampAllocator {
        final AtomicLong clock = new AtomicLong(1000);
        volatile boolean refuse;

        @Override
        public long allocate(int count) {
            return clock.getAndAdd(count);
        }

        @Override
        public long tryAllocate(int count) {
            return refuse ? 0 : clock.getAndAdd(count);
        }
    }

    @Test
    void aRunAppendedWithoutWaitingIsNotTakenWhileSomethingWouldWaitAndOtherwiseGoesInOrderLikeAnyRun()
            throws Exception {
        TryableTso tryable = new TryableTso();
        GatedWal gated = new GatedWal(backend.open(OpenOptions.readWrite(P, 1)));
        StreamingWal wal = StreamingWal.start(gated, tryable, NodeConfig.defaults(), List.of());
        toClose.add(wal);
        String v = P + "_v";
        ExecutorService other = Executors.newSingleThreadExecutor();
        try (MessageScanner s = wal.read(ReadOptions.from(DeliverPolicy.all()))) {
            // Another thread's run waits in the backend, holding the append lock: a try is refused at once.
            gated.gate = new java.util.concurrent.CountDownLatch(1);
            Future<CompletableFuture<AppendedRun>> waiting = other.submit(
                    () -> wal.tryAppendRun(List.of(raw(v, "w1"), raw(v, "w2"))));
            assertThat(gated.entered.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(10),
                    () -> wal.appendRunWithoutWaiting(List.of(raw(v, "lock"))))).as("append lock held").isNull();
            gated.gate.countDown();
            AppendedRun first = waiting.get(10, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS);

            tryable.refuse = true;
            assertThat(wal.appendRunWithoutWaiting(List.of(raw(v, "tso")))).as("the TSO would wait").isNull();
            tryable.refuse = false;
            gated.refuseTries = true;
            assertThat(wal.appendRunWithoutWaiting(List.of(raw(v, "backend")))).as("the backend would wait").isNull();
            gated.refuseTries = false;

            AppendedRun taken = wal.appendRunWithoutWaiting(List.of(raw(v, "t1"), raw(v, "t2"), raw(v, "t3")))
                    .get(10, TimeUnit.SECONDS);
            AppendResult after = await(wal.append(raw(v, "after")));
            assertThat(taken.firstTimeTick()).isGreaterThan(first.result(1).timeTick());
            assertThat(taken.ids()[0]).isGreaterThan(first.ids()[1]);
            assertThat(after.timeTick()).isGreaterThan(taken.result(2).timeTick());
            List<ImmutableMessage> got = readData(s, 6);
            assertThat(got).extracting(StreamingWalTest::text).containsExactly("w1", "w2", "t1", "t2", "t3", "after");
            assertThat(got.get(2).id()).isEqualTo(taken.ids()[0]);
            assertThat(got.get(4).timeTick()).isEqualTo(taken.result(2).timeTick());
        } finally {
            gated.gate.countDown();
            other.shutdownNow();
        }
    }

    @Test
    void aTimeTickIsWrittenOnlyWhenDataWasAppendedSinceTheLastWrittenOne() throws Exception {
        StreamingWal wal = start();
        try (MessageScanner tail = wal.read(ReadOptions.from(DeliverPolicy.latest()))) {
            wal.tick();
            wal.tick();
            assertThat(backendRecordTypes()).containsExactly(MessageType.TIME_TICK); // the term's first tick only
            ImmutableMessage t1 = tail.poll(WAIT);
            ImmutableMessage t2 = tail.poll(WAIT);
            assertThat(t1.type()).isEqualTo(MessageType.TIME_TICK);
            assertThat(t2.timeTick()).isGreaterThan(t1.timeTick());

            await(wal.append(raw(P + "_a", "x")));
            wal.tick();
            wal.tick();
            assertThat(backendRecordTypes()).containsExactly(MessageType.TIME_TICK, MessageType.RAW, MessageType.TIME_TICK);
            assertThat(tail.poll(WAIT).type()).isEqualTo(MessageType.RAW);
            assertThat(tail.poll(WAIT).type()).isEqualTo(MessageType.TIME_TICK);
            assertThat(tail.poll(WAIT).type()).isEqualTo(MessageType.TIME_TICK);
        }
    }

    private List<MessageType> backendRecordTypes() throws InterruptedException {
        List<MessageType> types = new ArrayList<>();
        try (Wal ro = backend.open(OpenOptions.readOnly(P)); WalScanner s = ro.read(DeliverPolicy.all())) {
            LogRecord r;
            while ((r = s.poll(Duration.ofMillis(100))) != null) {
                types.add(ImmutableMessage.decode(r.id(), r.payload()).type());
            }
        }
        return types;
    }

    @Test
    void aReaderThatFellBehindTheBufferCatchesUpFromTheBackendWithoutGapOrDuplicate() throws Exception {
        NodeConfig tiny = NodeConfig.from(Map.of("node.buffer.capacity", "2KiB"));
        StreamingWal wal = start(1, tiny);
        for (int i = 0; i < 5; i++) {
            await(wal.append(raw(P + "_a", "before" + i)));
        }
        try (MessageScanner lagging = wal.read(ReadOptions.from(DeliverPolicy.latest()))) {
            List<String> sent = new ArrayList<>();
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < 150; i++) {
                    String t = "r" + round + "m" + i;
                    sent.add(t);
                    await(wal.append(raw(P + "_a", t)));
                }
                // the first round is read while the buffer still holds its tail, the second after eviction
                assertThat(readData(lagging, round == 0 ? 140 : 160)).extracting(StreamingWalTest::text)
                        .containsExactlyElementsOf(round == 0 ? sent.subList(0, 140) : sent.subList(140, 300));
            }
            // and it is back on the buffer: a new message arrives without the backend
            await(wal.append(raw(P + "_a", "last")));
            assertThat(text(readData(lagging, 1).get(0))).isEqualTo("last");
        }
    }

    @Test
    void resumingFromLastConfirmedWithATimeTickFilterGivesNoGapAndNoDuplicate() throws Exception {
        StreamingWal wal = start(1, NodeConfig.from(Map.of("node.buffer.capacity", "4KiB")));
        Random rnd = seeds.random();
        List<CompletableFuture<AppendResult>> fs = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            fs.add(wal.append(raw(P + "_" + (char) ('a' + rnd.nextInt(3)), "m" + i)));
            if (rnd.nextInt(20) == 0) {
                wal.tick();
            }
        }
        fs.forEach(StreamingWalTest::await);
        ReadOptions onA = ReadOptions.from(DeliverPolicy.all()).withVchannel(P + "_a");
        List<ImmutableMessage> all = new ArrayList<>();
        try (MessageScanner s = wal.read(onA)) {
            ImmutableMessage m;
            while ((m = s.poll(Duration.ofMillis(200))) != null) {
                all.add(m);
            }
        }
        for (int round = 0; round < 20; round++) {
            int cut = rnd.nextInt(all.size());
            ImmutableMessage lastSeen = all.get(cut);
            MessageId from = lastSeen.lastConfirmedId() != null ? lastSeen.lastConfirmedId() : lastSeen.id();
            List<ImmutableMessage> rest = new ArrayList<>();
            try (MessageScanner s = wal.read(new ReadOptions(DeliverPolicy.startFrom(from), P + "_a",
                    lastSeen.timeTick(), 0, Set.of()))) {
                ImmutableMessage m;
                while ((m = s.poll(Duration.ofMillis(200))) != null) {
                    rest.add(m);
                }
            }
            assertThat(rest).as("resume after %s", lastSeen.id()).extracting(ImmutableMessage::timeTick)
                    .containsExactlyElementsOf(all.subList(cut + 1, all.size()).stream().map(ImmutableMessage::timeTick).toList());
        }
    }

    @Test
    void filtersSelectVchannelTypesAndTimeTicks() throws Exception {
        StreamingWal wal = start();
        AppendResult a1 = await(wal.append(raw(P + "_a", "a1")));
        await(wal.append(raw(P + "_b", "b1")));
        AppendResult a2 = await(wal.append(raw(P + "_a", "a2")));
        try (MessageScanner s = wal.read(ReadOptions.from(DeliverPolicy.all()).withVchannel(P + "_a")
                .withTypes(Set.of(MessageType.RAW)))) {
            assertThat(text(s.poll(WAIT))).isEqualTo("a1");
            assertThat(text(s.poll(WAIT))).isEqualTo("a2");
            assertThat(s.poll(Duration.ofMillis(50))).isNull();
        }
        try (MessageScanner s = wal.read(ReadOptions.from(DeliverPolicy.all()).withTimeTickGreaterThan(a1.timeTick())
                .withTypes(Set.of(MessageType.RAW)))) {
            assertThat(text(s.poll(WAIT))).isEqualTo("b1");
        }
        try (MessageScanner s = wal.read(ReadOptions.from(DeliverPolicy.all()).withTimeTickAtLeast(a2.timeTick()))) {
            assertThat(s.poll(WAIT).id()).isEqualTo(a2.id());
        }
        try (MessageScanner s = wal.read(ReadOptions.from(DeliverPolicy.startAfter(a1.id())).withTypes(Set.of(MessageType.RAW)))) {
            assertThat(text(s.poll(WAIT))).isEqualTo("b1");
        }
        try (MessageScanner s = wal.read(ReadOptions.from(DeliverPolicy.startFrom(a2.id())))) {
            assertThat(text(s.poll(WAIT))).isEqualTo("a2");
        }
    }

    @Test
    void aFencedWalRefusesAppendsAndItsReadersStillSeeEverythingAcknowledged() throws Exception {
        StreamingWal old = start();
        List<AppendResult> acked = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            acked.add(await(old.append(raw(P + "_a", "old" + i))));
        }
        try (MessageScanner s = old.read(ReadOptions.from(DeliverPolicy.latest()))) {
            StreamingWal newer = start(2, NodeConfig.defaults());
            assertThatThrownBy(() -> await(old.append(raw(P + "_a", "stale"))))
                    .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CHANNEL_FENCED));
            assertThat(old.isAvailable()).isFalse();
            assertThatThrownBy(() -> await(old.append(raw(P + "_a", "stale2"))))
                    .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CHANNEL_FENCED));
            AppendResult fresh = await(newer.append(raw(P + "_a", "new")));
            // the old reader falls back to the backend and sees the new term's data
            ImmutableMessage m;
            List<String> texts = new ArrayList<>();
            while ((m = s.poll(Duration.ofMillis(300))) != null) {
                if (m.type() == MessageType.RAW) {
                    texts.add(text(m));
                }
            }
            assertThat(texts).containsExactly("new");
            assertThat(fresh.timeTick()).isGreaterThan(acked.get(9).timeTick());
        }
    }

    @Test
    void aMessageTooLargeForTheBackendIsRejectedAndTheWalStaysAvailable() {
        StreamingWal wal = start();
        byte[] big = new byte[100 << 10];
        MutableMessage m = MutableMessage.builder(MessageType.RAW, P + "_a").header(RawHeader.getDefaultInstance())
                .payload(big).build();
        assertThatThrownBy(() -> await(wal.append(m)))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        assertThat(wal.isAvailable()).isTrue();
        assertThat(await(wal.append(raw(P + "_a", "ok")))).isNotNull();
    }

    @Test
    void aMessageOfAnotherPchannelIsRejected() {
        StreamingWal wal = start();
        assertThatThrownBy(() -> await(wal.append(raw("other-2_a", "x"))))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }

    @Test
    void closingTheWalReleasesItsReaders() throws Exception {
        StreamingWal wal = start();
        MessageScanner s = wal.read(ReadOptions.from(DeliverPolicy.latest()));
        CompletableFuture<Object> polled = CompletableFuture.supplyAsync(() -> {
            try {
                return s.poll(Duration.ofMinutes(1));
            } catch (Exception e) {
                return e;
            }
        });
        wal.close();
        Object outcome = polled.get(10, TimeUnit.SECONDS);
        assertThat(outcome).isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ON_SHUTDOWN));
        assertThatThrownBy(() -> await(wal.append(raw(P + "_a", "late"))))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code())
                        .as("refused, not written: a client sends it to the next owner").isEqualTo(ErrorCode.CHANNEL_NOT_EXIST));
    }

    @Test
    void consumersOfTheNextTermResumeAcrossTheTransferWithoutGapOrDuplicate() throws Exception {
        StreamingWal first = start();
        Map<String, AppendResult> acked = new HashMap<>();
        for (int i = 0; i < 20; i++) {
            acked.put("t1-" + i, await(first.append(raw(P + "_a", "t1-" + i))));
        }
        ImmutableMessage lastSeen;
        try (MessageScanner s = first.read(ReadOptions.from(DeliverPolicy.all()).withTypes(Set.of(MessageType.RAW)))) {
            List<ImmutableMessage> got = readData(s, 12);
            lastSeen = got.get(11);
        }
        first.close();
        StreamingWal second = start(2, NodeConfig.defaults());
        for (int i = 0; i < 5; i++) {
            await(second.append(raw(P + "_a", "t2-" + i)));
        }
        try (MessageScanner s = second.read(new ReadOptions(DeliverPolicy.startFrom(lastSeen.lastConfirmedId()), null,
                lastSeen.timeTick(), 0, Set.of(MessageType.RAW)))) {
            List<String> rest = new ArrayList<>();
            for (ImmutableMessage m : readData(s, 13)) {
                rest.add(text(m));
            }
            List<String> expected = new ArrayList<>();
            for (int i = 12; i < 20; i++) {
                expected.add("t1-" + i);
            }
            for (int i = 0; i < 5; i++) {
                expected.add("t2-" + i);
            }
            assertThat(rest).containsExactlyElementsOf(expected);
        }
    }
}
