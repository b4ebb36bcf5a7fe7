package io.tidelog.node.extension;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.tidelog.message.MutableMessage;
import io.tidelog.node.AppendResult;
import io.tidelog.node.NodeConfig;
import io.tidelog.node.StreamingWal;
import io.tidelog.node.WalExtension;
import io.tidelog.node.shard.GrowingSegmentBytes;
import io.tidelog.node.shard.ShardConfig;
import io.tidelog.node.shard.ShardManager;
import io.tidelog.node.txn.TxnConfig;
import io.tidelog.node.txn.TxnManager;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.RawHeader;
import io.tidelog.tso.HybridTimestamps;
import io.tidelog.tso.TimestampAllocator;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.memory.MemoryStorage;
import io.tidelog.wal.memory.MemoryWalBackend;
import io.tidelog.wal.memory.MemoryWalConfig;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ExtensionChainTest {
    final AtomicLong logical = new AtomicLong();
    final TimestampAllocator tso = count -> HybridTimestamps.compose(1_000_000, logical.getAndAdd(count));
    final ShardConfig shards = ShardConfig.defaults();
    final ExtensionChain.Shared shared = new ExtensionChain.Shared(DedupConfig.defaults(), TxnConfig.defaults(), shards,
            tso, InstantSource.system(), new GrowingSegmentBytes(shards), Runnable::run);
    final MemoryWalBackend backend = new MemoryWalBackend(MemoryWalConfig.defaults(), new MemoryStorage());

    /** A flush stage that records the appends that reach it. */
    static final class RecordingStage implements WalExtension {
        final List<String> appends = new CopyOnWriteArrayList<>();

        @Override
        public CompletableFuture<AppendResult> append(MutableMessage message, Next next) {
            appends.add(message.payload().toStringUtf8());
            return next.append(message);
        }
    }

    @AfterEach
    void close() {
        backend.close();
    }

    @Test
    void theChainRunsDedupThenTheFlushStageThenLocksThenTransactionsAndTheShardManagerLast() {
        RecordingStage flush = new RecordingStage();
        ExtensionChain.Extensions e = new ExtensionChain(shared, p -> flush).forPchannel("p-1");

        assertThat(e.inOrder()).extracting(Object::getClass).containsExactly(DedupWindow.class, RecordingStage.class,
                VchannelLocks.class, TxnManager.class, ShardManager.class);
        assertThat(e.inOrder().get(1)).isSameAs(flush);
        assertThat(e.inOrder().get(4)).isSameAs(e.shards());
    }

    @Test
    void withoutAFlushStageTheOthersKeepTheirOrder() {
        ExtensionChain.Extensions e = new ExtensionChain(shared, null).forPchannel("p-1");

        assertThat(e.inOrder()).extracting(Object::getClass).containsExactly(DedupWindow.class, VchannelLocks.class,
                TxnManager.class, ShardManager.class);
    }

    @Test
    void everyPchannelGetsExtensionsOfItsOwn() {
        ExtensionChain chain = new ExtensionChain(shared, p -> new RecordingStage());
        ExtensionChain.Extensions a = chain.forPchannel("p-1");
        ExtensionChain.Extensions b = chain.forPchannel("p-2");

        for (int i = 0; i < a.inOrder().size(); i++) {
            assertThat(a.inOrder().get(i)).isNotSameAs(b.inOrder().get(i));
        }
    }

    @Test
    void aRetryOfAnIdempotentAppendIsAnsweredBeforeItReachesAnyLaterStage() throws Exception {
        RecordingStage flush = new RecordingStage();
        StreamingWal wal = StreamingWal.start(backend.open(OpenOptions.readWrite("p-1", 1)), tso, NodeConfig.defaults(),
                new ExtensionChain(shared, p -> flush).forPchannel("p-1").inOrder());
        try (wal) {
            AppendResult first = wal.append(keyed("k1", "once")).get(10, TimeUnit.SECONDS);
            AppendResult retry = wal.append(keyed("k1", "once")).get(10, TimeUnit.SECONDS);

            assertThat(retry).isEqualTo(first);
            assertThat(flush.appends).as("appends that passed the dedup window").containsExactly("once");
        }
    }

    private static MutableMessage keyed(String key, String text) {
        return MutableMessage.builder(MessageType.RAW, "p-1_a").header(RawHeader.getDefaultInstance())
                .payload(ByteString.copyFromUtf8(text)).idempotencyKey(key).build();
    }
}
