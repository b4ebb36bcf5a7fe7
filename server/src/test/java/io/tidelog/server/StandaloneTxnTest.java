package io.tidelog.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.client.Appended;
import io.tidelog.client.ConsumerOptions;
import io.tidelog.client.ResumableConsumer;
import io.tidelog.client.StreamingClient;
import io.tidelog.client.Txn;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MutableMessage;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.CreateCollectionBody;
import io.tidelog.proto.CreateCollectionHeader;
import io.tidelog.proto.CreatePartitionBody;
import io.tidelog.proto.CreatePartitionHeader;
import io.tidelog.proto.DataType;
import io.tidelog.proto.DeleteBody;
import io.tidelog.proto.DeleteHeader;
import io.tidelog.proto.FieldSchema;
import io.tidelog.proto.Int64Array;
import io.tidelog.proto.Partition;
import io.tidelog.proto.MessageType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Transactions through the standalone server and the Java client: what a consumer receives. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StandaloneTxnTest {
    static final Duration WAIT = Duration.ofSeconds(20);
    static final String V = "pchannel-1_orders";

    @TempDir
    Path dir;
    StandaloneServer server;
    StreamingClient client;

    @BeforeEach
    void start() {
        server = TestStandalone.start(dir, Map.of("server.port", "0", "coord.pchannel.count", "2",
                "wal.local.segment.bytes", "4MiB", "wal.local.spare.segments", "1", "message.max.bytes", "1MiB",
                "txn.max.bytes", "64KiB"));
        client = StreamingClient.builder().target(server.address()).build();
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    static String text(ImmutableMessage m) {
        return m.payload().toString(UTF_8);
    }

    /**
     * Appends an end marker (a RAW) and returns everything of {@code types} the vchannel holds before it,
     * TimeTicks hidden; {@code types} must let RAW through.
     */
    List<ImmutableMessage> consumeAll(Set<MessageType> types) {
        Appended end = client.appendRawBlocking(V, "end".getBytes(UTF_8));
        List<ImmutableMessage> out = new ArrayList<>();
        try (ResumableConsumer c = client.consumer(ConsumerOptions.vchannel(V).withTypes(types))) {
            while (true) {
                ImmutableMessage m = c.poll(WAIT);
                assertThat(m).as("a message before the end marker").isNotNull();
                if (m.id().equals(end.id())) {
                    return out;
                }
                out.add(m);
            }
        }
    }

    @Test
    void aCommittedTransactionReachesTheConsumerAsOneTxnMessageAndARolledBackOneNotAtAll() throws Exception {
        long committedId;
        Appended commit;
        try (Txn txn = client.txn(V)) {
            txn.appendRaw("a".getBytes(UTF_8));
            client.appendRawBlocking(V, "plain".getBytes(UTF_8));
            txn.appendRaw("b".getBytes(UTF_8));
            commit = txn.commitBlocking();
            committedId = txn.id().get();
        }
        assertThat(commit.txnId()).isEqualTo(committedId);
        try (Txn doomed = client.txn(V)) {
            doomed.appendRawBlocking("never".getBytes(UTF_8));
            doomed.rollbackBlocking();
        }
        List<ImmutableMessage> got = consumeAll(Set.of());
        assertThat(got).extracting(ImmutableMessage::type).containsExactly(MessageType.RAW, MessageType.TXN);
        ImmutableMessage txn = got.get(1);
        assertThat(txn.id()).isEqualTo(commit.id());
        assertThat(txn.timeTick()).isEqualTo(commit.timeTick());
        assertThat(txn.txnMessages()).extracting(StandaloneTxnTest::text).containsExactly("", "a", "b", "");
        assertThat(consumeAll(Set.of(MessageType.RAW))).extracting(StandaloneTxnTest::text).containsExactly("plain", "end");
    }

    @Test
    void appendAllWritesSeveralMessagesAsOneTransaction() {
        List<MutableMessage> ms = List.of(raw("x"), raw("y"), raw("z"));
        Appended a = client.appendAllBlocking(V, ms);
        assertThat(a.txnId()).isPositive();
        List<ImmutableMessage> got = consumeAll(Set.of(MessageType.TXN, MessageType.RAW));
        assertThat(got).hasSize(1);
        assertThat(got.get(0).txnMessages()).extracting(StandaloneTxnTest::text).containsExactly("", "x", "y", "z", "");
    }

    @Test
    void aTransactionOverItsByteLimitIsNeverVisible() throws Exception {
        try (Txn big = client.txn(V)) {
            big.appendRaw(new byte[40 << 10]);
            CompletableFuture<Appended> over = big.appendRaw(new byte[40 << 10]);
            assertThatThrownBy(big::commitBlocking).isInstanceOfSatisfying(StreamingException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
            assertThat(over).isCompletedExceptionally();
        }
        assertThat(consumeAll(Set.of())).isEmpty();
    }

    @Test
    void aTransactionAbortedByADdlIsNeverVisible() {
        // a DDL needs a collection on the vchannel (named for it): the node checks DDL against the collection state
        String c = "pchannel-1_1v0";
        client.appendBlocking(MutableMessage.builder(MessageType.CREATE_COLLECTION, c)
                .header(CreateCollectionHeader.newBuilder().setCollectionId(1).addPartitionIds(1).build())
                .payload(CreateCollectionBody.newBuilder().setName("orders").addVchannels(c)
                        .addPartitions(Partition.newBuilder().setId(1).setName("_default"))
                        .setSchema(CollectionSchema.newBuilder().setVersion(1).addFields(FieldSchema.newBuilder()
                                .setFieldId(100).setName("id").setType(DataType.INT64).setPrimaryKey(true)))
                        .build())
                .build());
        Txn aborted = client.txn(c);
        aborted.appendBlocking(MutableMessage.builder(MessageType.DELETE, c)
                .header(DeleteHeader.newBuilder().setCollectionId(1).build())
                .payload(DeleteBody.newBuilder().setIntPks(Int64Array.newBuilder().addValues(7)).build()).build());
        Appended ddl = client.appendBlocking(MutableMessage.builder(MessageType.CREATE_PARTITION, c)
                .header(CreatePartitionHeader.newBuilder().setCollectionId(1).setPartitionId(2).build())
                .payload(CreatePartitionBody.newBuilder().setName("p2").build()).build());
        assertThatThrownBy(aborted::commitBlocking).isInstanceOfSatisfying(StreamingException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_TRANSACTION_STATE));
        List<ImmutableMessage> got = new ArrayList<>();
        try (ResumableConsumer consumer = client.consumer(ConsumerOptions.vchannel(c))) {
            while (got.isEmpty() || !got.get(got.size() - 1).id().equals(ddl.id())) {
                ImmutableMessage m = consumer.poll(WAIT);
                assertThat(m).as("a message up to the CreatePartition").isNotNull();
                got.add(m);
            }
        }
        assertThat(got).extracting(ImmutableMessage::type)
                .containsExactly(MessageType.CREATE_COLLECTION, MessageType.CREATE_PARTITION);
    }

    @Test
    void aConsumerReadingWhileTransactionsAreAppendedSeesEachWholeOrNotAtAll() throws Exception {
        List<ImmutableMessage> seen = new ArrayList<>();
        try (ResumableConsumer c = client.consumer(ConsumerOptions.vchannel(V))) {
            List<Long> committed = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                Txn txn = client.txn(V);
                for (int b = 0; b < 5; b++) {
                    txn.appendRaw(("t" + i + "b" + b).getBytes(UTF_8));
                }
                if (i % 5 == 4) {
                    txn.rollbackBlocking();
                } else {
                    committed.add(txn.commitBlocking().txnId());
                }
                ImmutableMessage m;
                while ((m = c.poll(Duration.ZERO)) != null) {
                    seen.add(m);
                }
            }
            while (seen.size() < committed.size()) {
                ImmutableMessage m = c.poll(WAIT);
                assertThat(m).as("transaction %d of %d", seen.size(), committed.size()).isNotNull();
                seen.add(m);
            }
            assertThat(seen).extracting(m -> m.txn().getTxnId()).containsExactlyElementsOf(committed);
            for (ImmutableMessage m : seen) {
                assertThat(m.type()).isEqualTo(MessageType.TXN);
                assertThat(m.txnMessages()).hasSize(7);
            }
        }
    }

    static MutableMessage raw(String text) {
        return MutableMessage.builder(MessageType.RAW, V).payload(text.getBytes(UTF_8)).build();
    }
}
