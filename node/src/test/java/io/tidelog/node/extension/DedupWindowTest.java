package io.tidelog.node.extension;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MutableMessage;
import io.tidelog.node.AppendResult;
import io.tidelog.node.NodeConfig;
import io.tidelog.node.StreamingWal;
import io.tidelog.node.scan.MessageScanner;
import io.tidelog.node.scan.ReadOptions;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.RawHeader;
import io.tidelog.tso.HybridTimestamps;
import io.tidelog.tso.TimestampAllocator;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.memory.MemoryStorage;
import io.tidelog.wal.memory.MemoryWalBackend;
import io.tidelog.wal.memory.MemoryWalConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DedupWindowTest {
    final MemoryWalBackend backend = new MemoryWalBackend(MemoryWalConfig.defaults(), new MemoryStorage());
    /** Time ticks whose physical part is a controllable clock in milliseconds. */
    final AtomicLong millis = new AtomicLong(1_000_000);
    final AtomicLong logical = new AtomicLong();
    final TimestampAllocator tso = count -> HybridTimestamps.compose(millis.get(), logical.getAndAdd(count));
    final List<StreamingWal> open = new ArrayList<>();

    @AfterEach
    void close() {
        open.forEach(StreamingWal::close);
        backend.close();
    }

    StreamingWal start(long term, DedupConfig config) {
        StreamingWal w = StreamingWal.start(backend.open(OpenOptions.readWrite("p-1", term)), tso, NodeConfig.defaults(),
                List.of(new DedupWindow(config)));
        open.add(w);
        return w;
    }

    static MutableMessage keyed(String vchannel, String key, String text) {
        return MutableMessage.builder(MessageType.RAW, vchannel).header(RawHeader.getDefaultInstance())
                .payload(ByteString.copyFromUtf8(text)).idempotencyKey(key).build();
    }

    static AppendResult await(CompletableFuture<AppendResult> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    List<String> log(StreamingWal w) throws Exception {
        List<String> out = new ArrayList<>();
        try (MessageScanner s = w.read(ReadOptions.from(DeliverPolicy.all()).withTypes(java.util.Set.of(MessageType.RAW)))) {
            ImmutableMessage m;
            while ((m = s.poll(Duration.ofMillis(200))) != null) {
                out.add(m.payload().toStringUtf8());
            }
        }
        return out;
    }

    @Test
    void aRetryWithAKeyAlreadyAppendedReturnsTheOriginalResultAndWritesNothing() throws Exception {
        StreamingWal w = start(1, DedupConfig.defaults());
        AppendResult first = await(w.append(keyed("p-1_a", "k1", "once")));
        AppendResult retry = await(w.append(keyed("p-1_a", "k1", "once")));
        assertThat(retry).isEqualTo(first);
        AppendResult otherVchannel = await(w.append(keyed("p-1_b", "k1", "same key elsewhere")));
        assertThat(otherVchannel.id()).isNotEqualTo(first.id());
        assertThat(log(w)).containsExactly("once", "same key elsewhere");
    }

    @Test
    void concurrentRetriesOfAnAppendInFlightGetItsOutcome() throws Exception {
        StreamingWal w = start(1, DedupConfig.defaults());
        List<CompletableFuture<AppendResult>> fs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            fs.add(w.append(keyed("p-1_a", "k", "x")));
        }
        AppendResult first = await(fs.get(0));
        for (CompletableFuture<AppendResult> f : fs) {
            assertThat(await(f)).isEqualTo(first);
        }
        assertThat(log(w)).containsExactly("x");
    }

    @Test
    void theWindowSurvivesARestartAndEndsAfterItsDuration() throws Exception {
        DedupConfig config = DedupConfig.from(Map.of("dedup.window", "10m"));
        StreamingWal w1 = start(1, config);
        AppendResult first = await(w1.append(keyed("p-1_a", "k", "x")));
        w1.close();

        millis.addAndGet(Duration.ofMinutes(5).toMillis());
        StreamingWal w2 = start(2, config);
        assertThat(await(w2.append(keyed("p-1_a", "k", "x")))).as("a retry after the restart, inside the window")
                .extracting(AppendResult::id).isEqualTo(first.id());
        assertThat(log(w2)).containsExactly("x");

        millis.addAndGet(Duration.ofMinutes(6).toMillis());
        w2.tick();
        AppendResult late = await(w2.append(keyed("p-1_a", "k", "x")));
        assertThat(late.id()).as("past the window the key is forgotten").isNotEqualTo(first.id());
    }

    @Test
    void theNumberOfRememberedKeysIsBounded() throws Exception {
        DedupWindow window = new DedupWindow(DedupConfig.from(Map.of("dedup.max.entries", "100")));
        StreamingWal w = StreamingWal.start(backend.open(OpenOptions.readWrite("p-1", 1)), tso, NodeConfig.defaults(), List.of(window));
        open.add(w);
        for (int i = 0; i < 300; i++) {
            await(w.append(keyed("p-1_a", "k" + i, "m" + i)));
        }
        assertThat(window.size()).isEqualTo(100);
    }
}
