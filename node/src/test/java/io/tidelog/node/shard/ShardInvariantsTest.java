package io.tidelog.node.shard;

import static io.tidelog.node.shard.ShardFixture.alterCollection;
import static io.tidelog.node.shard.ShardFixture.createCollection;
import static io.tidelog.node.shard.ShardFixture.createPartition;
import static io.tidelog.node.shard.ShardFixture.delete;
import static io.tidelog.node.shard.ShardFixture.dropCollection;
import static io.tidelog.node.shard.ShardFixture.dropPartition;
import static io.tidelog.node.shard.ShardFixture.insert;
import static io.tidelog.node.shard.ShardFixture.raw;
import static io.tidelog.node.shard.ShardFixture.rows;
import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.node.AppendResult;
import io.tidelog.node.StreamingWal;
import io.tidelog.node.testing.MapRecoveryStore;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.Column;
import io.tidelog.proto.DataType;
import io.tidelog.proto.DeleteHeader;
import io.tidelog.proto.FieldSchema;
import io.tidelog.proto.InsertBody;
import io.tidelog.proto.InsertHeader;
import io.tidelog.proto.Int64Array;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.StringArray;
import io.tidelog.testing.Seeds;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The DDL/DML invariants the shard manager enforces per vchannel: violations are rejected and nothing is written. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShardInvariantsTest {
    static final String P = "pch-1";
    static final String V = "pch-1_100v0";

    @RegisterExtension
    final Seeds seeds = new Seeds();
    final ShardFixture f = new ShardFixture();

    @AfterEach
    void close() {
        f.close();
    }

    @Test
    void anInsertBeforeCreateCollectionIsRejectedAndNothingIsWritten() {
        f.open(P);
        f.rejected(insert(V, 100, 0, 3), "vchannel " + V, "collection 100", "no INSERT before CreateCollection");
        f.rejected(delete(V, 100, 1), "no DELETE before CreateCollection");
        assertThat(f.types(V)).isEmpty();
    }

    @Test
    void anInsertAfterDropCollectionIsRejectedNamingTheVchannelAndTheCollection() {
        f.open(P);
        f.append(createCollection(V, 100, 1));
        f.append(insert(V, 100, 0, 3));
        f.append(dropCollection(V, 100));

        f.rejected(insert(V, 100, 0, 3), "vchannel " + V + ", collection 100", "dropped", "no INSERT after DropCollection");
        f.rejected(delete(V, 100, 1), "no DELETE after DropCollection");
        assertThat(f.types(V)).containsExactly("CREATE_COLLECTION", "CREATE_SEGMENT", "INSERT", "FLUSH", "DROP_COLLECTION");
    }

    @Test
    void anInsertNamingAnotherCollectionThanTheVchannelsIsRejected() {
        f.open(P);
        f.append(createCollection(V, 100, 1));
        f.rejected(insert(V, 101, 0, 1), "collection 100", "names collection 101");
    }

    @Test
    void anInsertIntoAnUnknownPartitionIsRejected() {
        f.open(P);
        f.append(createCollection(V, 100, 1, 2));
        f.rejected(insert(V, 100, 3, 1), "vchannel " + V + ", collection 100", "partition 3 does not exist");
        assertThat(f.types(V)).containsExactly("CREATE_COLLECTION");
    }

    @Test
    void anInsertIntoADroppedPartitionIsRejected() {
        f.open(P);
        f.append(createCollection(V, 100, 1));
        f.append(createPartition(V, 100, 7));
        f.append(insert(V, 100, 7, 2));
        f.append(dropPartition(V, 100, 7));

        f.rejected(insert(V, 100, 7, 2), "partition 7 does not exist (never created, or dropped)");
        assertThat(f.types(V)).containsExactly("CREATE_COLLECTION", "CREATE_PARTITION", "CREATE_SEGMENT", "INSERT",
                "FLUSH", "DROP_PARTITION");
    }

    @Test
    void anInsertNotMatchingTheSchemaIsRejectedNamingTheFieldAndTheRow() {
        f.open(P);
        f.append(createCollection(V, 100, 1));
        InsertBody good = rows(0, 5, 1, 8);
        InsertBody longTitle = good.toBuilder().setColumns(1, Column.newBuilder().setFieldName("title")
                .setStrings(StringArray.newBuilder().addValues("a").addValues("b").addValues("c")
                        .addValues("x".repeat(65)).addValues("e"))).build();
        InsertBody missingKey = good.toBuilder().removeColumns(0).build();
        InsertBody wrongType = good.toBuilder().setColumns(0, Column.newBuilder().setFieldName("id")
                .setStrings(StringArray.newBuilder().addValues("1"))).build();

        f.rejected(insert(V, 100, longTitle), "vchannel " + V + ", collection 100", "field 'title' row 3",
                "65 UTF-8 bytes exceed max_length 64");
        f.rejected(insert(V, 100, missingKey), "field 'id' is missing (the primary key)");
        f.rejected(insert(V, 100, wrongType), "field 'id' is INT64 but its column holds strings");
        assertThat(f.types(V)).containsExactly("CREATE_COLLECTION");
        f.append(insert(V, 100, good));
    }

    @Test
    void aDeleteIsAcceptedForALiveCollectionWithItsKeyCountAndRejectedWithKeysOfAnotherType() {
        f.open(P);
        f.append(createCollection(V, 100, 1));
        f.append(delete(V, 100, 4, 5, 6));
        io.tidelog.message.MutableMessage stringKeys = io.tidelog.message.MutableMessage
                .builder(MessageType.DELETE, V).header(DeleteHeader.newBuilder().setCollectionId(100).build())
                .payload(io.tidelog.proto.DeleteBody.newBuilder().setStringPks(StringArray.newBuilder().addValues("a")).build())
                .build();
        f.rejected(stringKeys, "collection 100", "needs int_pks");

        List<ImmutableMessage> deletes = f.messages(V, m -> m.type() == MessageType.DELETE);
        assertThat(deletes).hasSize(1);
        assertThat(deletes.get(0).header(DeleteHeader.class).getRows()).isEqualTo(3);
        assertThat(f.messages(V, m -> m.type() == MessageType.CREATE_SEGMENT)).isEmpty();
    }

    @Test
    void createCollectionTwiceIsRejectedAlsoAfterItWasDropped() {
        f.open(P);
        f.append(createCollection(V, 100, 1));
        f.rejected(createCollection(V, 100, 1), "already holds collection 100 (NORMAL)");
        f.append(dropCollection(V, 100));
        f.rejected(createCollection(V, 100, 1), "already holds collection 100 (DROPPED)");
        assertThat(f.types(V)).containsExactly("CREATE_COLLECTION", "DROP_COLLECTION");
    }

    @Test
    void createCollectionGoesOnlyToAVchannelNamedForTheCollection() {
        f.open(P);
        f.rejected(createCollection(V, 200, 1), "vchannel " + V + ", collection 200",
                "the shards of collection 200 are named <pchannel>_200v<shard>");
        f.rejected(createCollection(P + "_orders", 100, 1), "vchannel pch-1_orders", "<pchannel>_100v<shard>");
        f.append(raw(P + "_events", "a raw vchannel"));
        f.rejected(createCollection(P + "_events", 100, 1), "vchannel pch-1_events, collection 100");
        f.append(createCollection(P + "_100v3", 100, 1));
        assertThat(f.types(V)).isEmpty();
        assertThat(f.types(P + "_orders")).isEmpty();
        assertThat(f.types(P + "_events")).containsExactly("RAW");
    }

    @Test
    void createCollectionNeedsAValidSchemaAndADefaultPartition() {
        f.open(P);
        CollectionSchema noKey = CollectionSchema.newBuilder().addFields(FieldSchema.newBuilder().setName("a")
                .setType(DataType.INT64)).build();
        f.rejected(createCollection(V, 100, noKey, 1), "collection 100", "exactly one primary key");
        f.rejected(createCollection(V, 100), "at least one partition");
        f.rejected(createCollection(V, 100, 1, 1), "positive and distinct");
        f.rejected(createCollection(V, 0, 1), "a collection id is positive");
        assertThat(f.types(V)).isEmpty();
    }

    @Test
    void partitionDdlIsChecked() {
        f.open(P);
        f.rejected(createPartition(V, 100, 7), "no CREATE_PARTITION before CreateCollection");
        f.append(createCollection(V, 100, 1));
        f.rejected(dropPartition(V, 100, 9), "vchannel " + V + ", collection 100", "cannot drop partition 9",
                "does not exist");
        f.rejected(dropPartition(V, 100, 1), "cannot drop partition 1: it is the default partition");
        f.rejected(createPartition(V, 100, 1), "partition 1 already exists");
        f.append(createPartition(V, 100, 7));
        f.append(dropPartition(V, 100, 7));
        f.rejected(dropPartition(V, 100, 7), "cannot drop partition 7");
        assertThat(f.types(V)).containsExactly("CREATE_COLLECTION", "CREATE_PARTITION", "DROP_PARTITION");
    }

    @Test
    void ddlOnADroppedCollectionIsRejected() {
        f.open(P);
        f.append(createCollection(V, 100, 1));
        f.append(dropCollection(V, 100));
        f.rejected(dropCollection(V, 100), "no DROP_COLLECTION after DropCollection");
        f.rejected(createPartition(V, 100, 5), "no CREATE_PARTITION after DropCollection");
        f.rejected(ShardFixture.manualFlush(V, 100, 0), "no MANUAL_FLUSH after DropCollection");
    }

    @Test
    void alterCollectionAddsANullableFieldThatLaterInsertsMayUse() {
        f.open(P);
        f.append(createCollection(V, 100, 1));
        f.append(insert(V, 100, 0, 2));
        CollectionSchema v2 = ShardFixture.SCHEMA.toBuilder().setVersion(2).addFields(FieldSchema.newBuilder()
                .setFieldId(103).setName("rank").setType(DataType.INT64).setNullable(true)).build();
        f.rejected(alterCollection(V, 100, ShardFixture.SCHEMA.toBuilder().setVersion(2).addFields(FieldSchema
                .newBuilder().setName("rank").setType(DataType.INT64)).build()), "field 'rank'", "must be nullable");
        f.append(alterCollection(V, 100, v2));

        InsertBody withRank = rows(0, 2, 10, 4).toBuilder().addColumns(Column.newBuilder().setFieldName("rank")
                .setInt64S(Int64Array.newBuilder().addValues(1).addValues(2))).build();
        f.append(insert(V, 100, withRank));
        f.append(insert(V, 100, 0, 1)); // the new field is nullable: it may be left out
        assertThat(f.types(V)).containsExactly("CREATE_COLLECTION", "CREATE_SEGMENT", "INSERT", "FLUSH",
                "ALTER_COLLECTION", "CREATE_SEGMENT", "INSERT", "INSERT");
        assertThat(f.shards(P).snapshot().collections().get(V).schemaVersions()).containsExactly(1, 2);
    }

    @Test
    void aRawMessageOnACollectionsVchannelIsRejectedBeforeDuringAndAfterTheCollectionAndNothingIsWritten() {
        f.open(P);
        f.rejected(raw(V, "before any collection"), "vchannel " + V, "a RAW message cannot go to a collection's"
                + " vchannel", "reserved for collection shards", "such as pch-1_events");
        f.append(createCollection(V, 100, 1));
        f.rejected(raw(V, "while it lives"), "a RAW message cannot go to a collection's vchannel");
        f.append(dropCollection(V, 100));
        f.rejected(raw(V, "after the drop"), "a RAW message cannot go to a collection's vchannel");
        f.rejected(raw(P + "_999v7", "a collection that never was"), "vchannel pch-1_999v7");
        assertThat(f.types(V)).containsExactly("CREATE_COLLECTION", "DROP_COLLECTION");
        assertThat(f.types(P + "_999v7")).isEmpty();

        f.append(raw(P + "_events", "any other name"));
        f.append(raw(P + "_100v0x", "not the collection form"));
        assertThat(f.types(P + "_events")).containsExactly("RAW");
        assertThat(f.types(P + "_100v0x")).containsExactly("RAW");
    }

    @Test
    void aRawMessageIsRejectedOnAVchannelThatHeldACollectionUnderAnotherNameAlsoAfterARestart() {
        String legacy = P + "_legacy";
        f.recovery = new MapRecoveryStore();
        StreamingWal unchecked = f.openWithoutExtensions(P);
        ShardFixture.await(unchecked.append(createCollection(legacy, 100, 1))); // written before the naming rule
        f.open(P);
        f.rejected(raw(legacy, "x"), "vchannel " + legacy + ", collection 100",
                "cannot go to a vchannel that holds or held a collection (NORMAL)");
        f.append(dropCollection(legacy, 100));
        f.rejected(raw(legacy, "x"), "holds or held a collection (DROPPED)");
        assertThat(f.types(legacy)).containsExactly("CREATE_COLLECTION", "DROP_COLLECTION");
        assertThat(f.wal(P).checkpointNow()).isTrue(); // the restart restores the shards from here
        f.crashAndRestart();
        f.rejected(raw(legacy, "x"), "holds or held a collection (DROPPED)");
        f.rejected(raw(V, "x"), "a RAW message cannot go to a collection's vchannel");
        // the log before the checkpoint is gone: what refused the RAW came from the checkpointed shard state
        assertThat(f.types(legacy)).isEmpty();
    }

    @Test
    void anInsertNamingPartitionZeroGoesToTheDefaultPartition() {
        f.open(P);
        f.append(createCollection(V, 100, 41, 42));
        f.append(insert(V, 100, 0, 3));
        ImmutableMessage m = f.messages(V, x -> x.type() == MessageType.INSERT).get(0);
        assertThat(m.header(InsertHeader.class).getPartitions(0).getPartitionId()).isEqualTo(41);
        assertThat(m.header(InsertHeader.class).getPartitions(0).getRows()).isEqualTo(3);
    }

    /**
     * Writers insert into two shards of a collection while the collection is dropped on each: consuming
     * each vchannel shows no insert after its DropCollection, every acknowledged insert before it, and
     * no rejected one.
     */
    @Test
    void ddlIsOrderedWithConcurrentDmlOnEveryVchannel() throws Exception {
        Random rnd = seeds.random();
        String p2 = "pch-2";
        List<String> shards = List.of("pch-1_300v0", "pch-2_300v1");
        f.open(P);
        f.open(p2);
        for (String v : shards) {
            f.append(createCollection(v, 300, 1));
        }
        int writers = 4;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        ConcurrentLinkedQueue<Long> acknowledged = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> rejected = new ConcurrentLinkedQueue<>();
        CountDownLatch started = new CountDownLatch(writers);
        CountDownLatch enoughBeforeTheDrop = new CountDownLatch(200 + rnd.nextInt(400));
        AtomicBoolean stop = new AtomicBoolean();
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            long base = (w + 1) * 1_000_000L;
            done.add(pool.submit(() -> {
                List<CompletableFuture<AppendResult>> window = new ArrayList<>();
                List<Long> ids = new ArrayList<>();
                started.countDown();
                for (long i = 0; i < 2000; i++) {
                    // Stopping still settles the window: its appends may be in the log.
                    boolean last = i == 1999 || stop.get();
                    long id = base + i;
                    String v = shards.get((int) (id % 2));
                    window.add(f.wal(v.substring(0, 5)).append(insert(v, 300, rows(0, 1, id, 4))));
                    ids.add(id);
                    if (window.size() == 16 || last) {
                        for (int k = 0; k < window.size(); k++) {
                            try {
                                ShardFixture.await(window.get(k));
                                acknowledged.add(ids.get(k));
                                enoughBeforeTheDrop.countDown();
                            } catch (StreamingException e) {
                                assertThat(e.getMessage()).contains("after DropCollection");
                                rejected.add(ids.get(k));
                            }
                        }
                        window.clear();
                        ids.clear();
                    }
                    if (last) {
                        break;
                    }
                }
                return null;
            }));
        }
        started.await();
        assertThat(enoughBeforeTheDrop.await(30, TimeUnit.SECONDS)).isTrue();
        List<CompletableFuture<AppendResult>> drops = new ArrayList<>();
        for (String v : shards) {
            drops.add(f.wal(v.substring(0, 5)).append(dropCollection(v, 300)));
        }
        drops.forEach(ShardFixture::await);
        stop.set(true);
        for (Future<?> d : done) {
            d.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();

        List<Long> inLog = new ArrayList<>();
        for (String v : shards) {
            boolean dropped = false;
            for (ImmutableMessage m : f.messages(v, x -> true)) {
                if (m.type() == MessageType.DROP_COLLECTION) {
                    dropped = true;
                } else if (m.type() == MessageType.INSERT) {
                    assertThat(dropped).as("an insert after the DropCollection on %s", v).isFalse();
                    inLog.add(m.body(InsertBody.parser()).getColumns(0).getInt64S().getValues(0));
                }
            }
            assertThat(dropped).isTrue();
        }
        assertThat(inLog).containsExactlyInAnyOrderElementsOf(acknowledged);
        assertThat(inLog).doesNotContainAnyElementsOf(rejected);
    }
}
