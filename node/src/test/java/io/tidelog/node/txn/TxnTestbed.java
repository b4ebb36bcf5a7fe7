package io.tidelog.node.txn;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MutableMessage;
import io.tidelog.node.AppendResult;
import io.tidelog.node.NodeConfig;
import io.tidelog.node.StreamingWal;
import io.tidelog.node.extension.VchannelLocks;
import io.tidelog.node.scan.MessageScanner;
import io.tidelog.node.scan.ReadOptions;
import io.tidelog.proto.BeginTxnHeader;
import io.tidelog.proto.CommitTxnHeader;
import io.tidelog.proto.CreatePartitionHeader;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.RawHeader;
import io.tidelog.proto.RollbackTxnHeader;
import io.tidelog.tso.HybridTimestamps;
import io.tidelog.tso.TimestampAllocator;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.memory.MemoryStorage;
import io.tidelog.wal.memory.MemoryWalBackend;
import io.tidelog.wal.memory.MemoryWalConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A pchannel's WAL with the transaction extension over the memory backend, driven by a manual clock, plus
 * the messages of a transaction and ways to read the log back. Everything waits at most {@link #WAIT}.
 */
public final class TxnTestbed implements AutoCloseable {
    static final String P = "txp";
    static final Duration WAIT = Duration.ofSeconds(10);

    /** A TSO whose physical part moves only when told: deterministic expiry. */
    static final class ManualTso implements TimestampAllocator {
        private long millis = 1_700_000_000_000L;
        private long logical;

        @Override
        public synchronized long allocate(int count) {
            long t = HybridTimestamps.compose(millis, logical);
            logical += count;
            return t;
        }

        synchronized void advance(long ms) {
            millis += ms;
            logical = 0;
        }

        synchronized long millis() {
            return millis;
        }
    }

    static final String END_MARKER = "end-marker-";

    final ManualTso tso;
    private int markers;
    final MemoryStorage storage;
    final MemoryWalBackend backend;
    final TxnConfig config;
    final TxnManager txns;
    final StreamingWal wal;

    TxnTestbed(TxnConfig config) {
        this(config, new MemoryStorage(), new ManualTso(), 1, w -> w);
    }

    /** A WAL at {@code term} over {@code storage} (which may hold earlier terms), its backend log wrapped by {@code wrap}. */
    TxnTestbed(TxnConfig config, MemoryStorage storage, ManualTso tso, long term, Function<io.tidelog.wal.Wal, io.tidelog.wal.Wal> wrap) {
        this.config = config;
        this.tso = tso;
        this.storage = storage;
        this.backend = new MemoryWalBackend(MemoryWalConfig.defaults(), storage);
        this.txns = new TxnManager(config, tso, Runnable::run);
        this.wal = StreamingWal.start(wrap.apply(backend.open(OpenOptions.readWrite(P, term))), tso, NodeConfig.defaults(),
                List.of(new VchannelLocks(), txns));
    }

    @Override
    public void close() {
        wal.close();
        backend.close();
    }

    public static String v(String suffix) {
        return P + "_" + suffix;
    }

    public static MutableMessage raw(String vchannel, String text) {
        return MutableMessage.builder(MessageType.RAW, vchannel).header(RawHeader.getDefaultInstance())
                .payload(ByteString.copyFromUtf8(text)).build();
    }

    public static MutableMessage raw(String vchannel, String text, long txnId) {
        return raw(vchannel, text).withTxn(txnId, 0);
    }

    public static MutableMessage begin(String vchannel, long keepaliveMillis) {
        return MutableMessage.builder(MessageType.BEGIN_TXN, vchannel)
                .header(BeginTxnHeader.newBuilder().setKeepaliveMillis(keepaliveMillis).build()).build();
    }

    public static MutableMessage commit(String vchannel, long txnId) {
        return MutableMessage.builder(MessageType.COMMIT_TXN, vchannel).header(CommitTxnHeader.getDefaultInstance())
                .build().withTxn(txnId, 0);
    }

    public static MutableMessage rollback(String vchannel, long txnId) {
        return MutableMessage.builder(MessageType.ROLLBACK_TXN, vchannel).header(RollbackTxnHeader.getDefaultInstance())
                .build().withTxn(txnId, 0);
    }

    /** A DDL: takes the vchannel's write lock. */
    static MutableMessage ddl(String vchannel) {
        return MutableMessage.builder(MessageType.CREATE_PARTITION, vchannel)
                .header(CreatePartitionHeader.newBuilder().setCollectionId(1).setPartitionId(2).build()).build();
    }

    public static String text(ImmutableMessage m) {
        return m.payload().toString(StandardCharsets.UTF_8);
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

    /** The code the append failed with; fails the test if it succeeded. */
    static ErrorCode failure(CompletableFuture<AppendResult> f) {
        try {
            AppendResult r = f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            throw new AssertionError("expected the append to fail, it succeeded at " + r.id());
        } catch (ExecutionException e) {
            return StreamingException.from(e.getCause()).code();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    AppendResult append(MutableMessage m) {
        return await(wal.append(m));
    }

    long beginTxn(String vchannel) {
        return append(begin(vchannel, 0)).txnId();
    }

    /**
     * Appends an end marker on {@code vchannel} and reads {@code options} until it: every message before it,
     * TimeTicks included; the marker itself is not returned.
     */
    List<ImmutableMessage> readToEnd(ReadOptions options, String vchannel) throws InterruptedException {
        String marker = END_MARKER + markers++;
        AppendResult end = append(raw(vchannel, marker));
        List<ImmutableMessage> out = new ArrayList<>();
        try (MessageScanner s = wal.read(options)) {
            while (true) {
                ImmutableMessage m = s.poll(WAIT);
                assertThat(m).as("a message before the end marker %s at %s", marker, end.id()).isNotNull();
                if (m.id().equals(end.id()) && m.type() == MessageType.RAW) {
                    return out;
                }
                out.add(m);
            }
        }
    }

    /** The messages of {@code ms} but TimeTicks and earlier end markers. */
    static List<ImmutableMessage> data(List<ImmutableMessage> ms) {
        return ms.stream().filter(m -> m.type() != MessageType.TIME_TICK && !isEndMarker(m)).toList();
    }

    static boolean isEndMarker(ImmutableMessage m) {
        return m.type() == MessageType.RAW && m.txn() == null && text(m).startsWith(END_MARKER);
    }
}
