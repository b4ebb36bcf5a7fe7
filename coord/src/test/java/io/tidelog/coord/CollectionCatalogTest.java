package io.tidelog.coord;

import io.tidelog.testing.Await;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.MutableMessage;
import io.tidelog.message.SchemaJson;
import io.tidelog.message.Vchannels;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.MetaStores;
import io.tidelog.proto.AlterCollectionBody;
import io.tidelog.proto.CollectionInfo;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.CollectionState;
import io.tidelog.proto.CreateCollectionBody;
import io.tidelog.proto.CreateCollectionHeader;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.PartitionInfo;
import io.tidelog.proto.PartitionState;
import io.tidelog.tso.TsoConfig;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CollectionCatalogTest {
    static final CollectionSchema BOOKS = SchemaJson.parseJson("""
            {"fields": [{"name": "id", "type": "INT64", "primaryKey": true},
                        {"name": "title", "type": "VARCHAR", "maxLength": 256},
                        {"name": "price", "type": "DOUBLE", "nullable": true},
                        {"name": "emb", "type": "FLOAT_VECTOR", "dim": 4}]}""");
    static final List<String> PCHANNELS = List.of("p-0", "p-1", "p-2", "p-3");

    @TempDir
    Path dir;
    MetaStore meta;
    StreamingCoordinator coordinator;
    final FakeVchannels vchannels = new FakeVchannels();
    final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void open() {
        meta = MetaStores.create("embedded", Map.of("meta.embedded.dir", dir.resolve("meta").toString()));
        coordinator = new StreamingCoordinator(meta, CoordConfig.from(Map.of("coord.pchannel.count", "4",
                "coord.pchannel.prefix", "p")), TsoConfig.from(Map.of()), InstantSource.system());
    }

    @AfterEach
    void close() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        coordinator.close();
        meta.close();
    }

    CollectionCatalog catalog(Map<String, String> config) {
        CollectionCatalog c = new CollectionCatalog(meta, PCHANNELS, CatalogConfig.from(config), coordinator.tso(),
                InstantSource.system());
        toClose.add(c);
        c.start(vchannels);
        return c;
    }

    CollectionCatalog catalog() {
        return catalog(Map.of());
    }

    static <T> T await(CompletableFuture<T> f) throws Exception {
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    static ErrorCode codeOf(CompletableFuture<?> f) {
        try {
            f.get(30, TimeUnit.SECONDS);
            throw new AssertionError("expected a failure");
        } catch (ExecutionException e) {
            return StreamingException.from(e.getCause()).code();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aCreatedCollectionIsDescribedListedAndItsCreateCollectionReachedEveryVchannelOnce() throws Exception {
        CollectionCatalog c = catalog();
        CollectionInfo info = await(c.createCollection("books", BOOKS, 3));

        assertThat(info.getState()).isEqualTo(CollectionState.COLLECTION_CREATED);
        assertThat(info.getVchannelsList()).containsExactly(
                "p-0_" + info.getCollectionId() + "v0", "p-1_" + info.getCollectionId() + "v1",
                "p-2_" + info.getCollectionId() + "v2");
        assertThat(info.getSchema().getVersion()).isEqualTo(1);
        assertThat(info.getSchema().getFieldsList()).extracting(FieldSchema::getFieldId).containsExactly(100L, 101L, 102L, 103L);
        assertThat(info.getPartitionsList()).singleElement().satisfies(p -> {
            assertThat(p.getName()).isEqualTo("_default");
            assertThat(p.getState()).isEqualTo(PartitionState.PARTITION_CREATED);
        });
        assertThat(c.describe("books")).isEqualTo(info);
        assertThat(c.list()).containsExactly(info);
        for (String v : info.getVchannelsList()) {
            List<MutableMessage> log = vchannels.log(v);
            assertThat(log).singleElement().satisfies(m -> {
                assertThat(m.type()).isEqualTo(MessageType.CREATE_COLLECTION);
                assertThat(m.header(CreateCollectionHeader.class).getCollectionId()).isEqualTo(info.getCollectionId());
                CreateCollectionBody body = m.body(CreateCollectionBody.parser());
                assertThat(body.getName()).isEqualTo("books");
                assertThat(body.getSchema()).isEqualTo(info.getSchema());
                assertThat(body.getVchannelsList()).isEqualTo(info.getVchannelsList());
                assertThat(body.getPartitions(0).getId()).isEqualTo(info.getPartitions(0).getPartitionId());
                assertThat(m.idempotencyKey()).startsWith("broadcast/").endsWith("/" + v);
            });
        }
    }

    @Test
    void aSchemaThatBreaksARuleIsRejectedNamingTheFieldAndNothingIsCreated() {
        CollectionCatalog c = catalog();
        CollectionSchema twoKeys = BOOKS.toBuilder().setFields(1, BOOKS.getFields(1).toBuilder().setPrimaryKey(true)).build();
        CompletableFuture<CollectionInfo> f = c.createCollection("books", twoKeys, 1);
        assertThat(codeOf(f)).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThatThrownBy(f::join).hasMessageContaining("field 'title'");
        CollectionSchema badDim = BOOKS.toBuilder().setFields(3, BOOKS.getFields(3).toBuilder().setDim(0)).build();
        assertThatThrownBy(() -> c.createCollection("books", badDim, 1).join()).hasMessageContaining("field 'emb'");
        assertThatThrownBy(() -> c.createCollection("bad name", BOOKS, 1).join()).hasMessageContaining("collection name");
        assertThat(c.list()).isEmpty();
        assertThat(vchannels.calls()).isZero();
    }

    @Test
    void aShardCountBelowOneOrAboveTheMaximumIsRejectedAndNothingIsCreated() throws Exception {
        CollectionCatalog c = catalog(Map.of("catalog.max.shards", "8", "catalog.default.shards", "3"));
        for (int shards : new int[] {0, -1, Integer.MIN_VALUE, 9, Integer.MAX_VALUE}) {
            CompletableFuture<CollectionInfo> f = c.createCollection("books", BOOKS, shards);
            assertThat(codeOf(f)).as("%d shards", shards).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThatThrownBy(f::join).hasMessageContaining("a collection has 1 to 8 shards (catalog.max.shards), got "
                    + shards);
        }
        assertThat(c.list()).isEmpty();
        assertThat(vchannels.calls()).isZero();
        assertThat(await(c.createCollection("books", BOOKS, 8)).getVchannelsCount()).isEqualTo(8);
        assertThat(await(c.createCollection("films", BOOKS)).getVchannelsCount()).as("the default").isEqualTo(3);
    }

    @Test
    void aSecondCollectionOfTheSameNameFailsWithAlreadyExists() throws Exception {
        CollectionCatalog c = catalog();
        await(c.createCollection("books", BOOKS, 1));
        CompletableFuture<CollectionInfo> again = c.createCollection("books", BOOKS, 2);
        assertThat(codeOf(again)).isEqualTo(ErrorCode.ALREADY_EXISTS);
        assertThat(c.list()).hasSize(1);
    }

    @Test
    void vchannelsArePlacedOnThePchannelsWithTheFewestAndNeverTwiceOnOneWhileOthersAreFree() throws Exception {
        CollectionCatalog c = catalog();
        CollectionInfo a = await(c.createCollection("a", BOOKS, 3));
        CollectionInfo b = await(c.createCollection("b", BOOKS, 2));
        CollectionInfo d = await(c.createCollection("d", BOOKS, 7));

        assertThat(a.getVchannelsList()).extracting(Vchannels::pchannelOf).containsExactly("p-0", "p-1", "p-2");
        assertThat(b.getVchannelsList()).extracting(Vchannels::pchannelOf).containsExactly("p-3", "p-0");
        // seven shards over four pchannels: first every pchannel once (emptiest first), then the emptiest again
        assertThat(d.getVchannelsList()).extracting(Vchannels::pchannelOf)
                .containsExactly("p-1", "p-2", "p-3", "p-0", "p-1", "p-2", "p-3");
        Map<String, Integer> counts = new HashMap<>();
        for (CollectionInfo info : c.list()) {
            info.getVchannelsList().forEach(v -> counts.merge(Vchannels.pchannelOf(v), 1, Integer::sum));
        }
        assertThat(counts.values().stream().mapToInt(Integer::intValue).max().getAsInt()
                - counts.values().stream().mapToInt(Integer::intValue).min().getAsInt()).isLessThanOrEqualTo(1);
        assertThat(d.getVchannelsList()).extracting(v -> v.substring(v.lastIndexOf('v') + 1))
                .containsExactly("0", "1", "2", "3", "4", "5", "6");
    }

    @Test
    void aBroadcastIsRetriedUntilEveryVchannelHasItAndEachHasItOnce() throws Exception {
        vchannels.failWhen((m, attempt) -> attempt <= 3 ? new StreamingException(
                attempt % 2 == 0 ? ErrorCode.INVALID_ARGUMENT : ErrorCode.ON_SHUTDOWN, "injected") : null);
        CollectionCatalog c = catalog(Map.of("catalog.broadcast.backoff.initial", "1ms",
                "catalog.broadcast.backoff.max", "4ms"));
        CollectionInfo info = await(c.createCollection("books", BOOKS, 4));

        assertThat(vchannels.calls()).isEqualTo(4 * 4);
        for (String v : info.getVchannelsList()) {
            assertThat(vchannels.types(v)).containsExactly(MessageType.CREATE_COLLECTION);
        }
    }

    @Test
    void conflictingDdlWaitsForTheBroadcastBeforeIt() throws Exception {
        CollectionCatalog c = catalog();
        vchannels.hold(true);
        CompletableFuture<CollectionInfo> create = c.createCollection("books", BOOKS, 2);
        Await.until("both CreateCollection appends are in flight", () -> vchannels.heldCount() == 2);
        CompletableFuture<CollectionInfo> drop = c.dropCollection("books");
        CompletableFuture<CollectionInfo> other = c.createCollection("other", BOOKS, 1);
        Await.until("the other collection's create, which takes no conflicting key, is in flight",
                () -> vchannels.heldCount() == 3);
        assertThat(drop).isNotDone();

        vchannels.releaseHeld();
        CollectionInfo created = await(create);
        await(drop);
        await(other);
        for (String v : created.getVchannelsList()) {
            assertThat(vchannels.types(v)).containsExactly(MessageType.CREATE_COLLECTION, MessageType.DROP_COLLECTION);
        }
        assertThat(c.list()).extracting(CollectionInfo::getName).containsExactly("other");
        assertThat(codeOf(CompletableFuture.supplyAsync(() -> c.describe("books")))).isEqualTo(ErrorCode.NOT_FOUND);
    }

    @Test
    void aDdlInterruptedByACoordinatorStopReachesEveryVchannelExactlyOnceAfterTheRestart() throws Exception {
        CollectionCatalog first = catalog(Map.of("catalog.broadcast.pause.after.appends", "2"));
        CompletableFuture<CollectionInfo> create = first.createCollection("books", BOOKS, 4);
        Await.until("two appends were made", () -> vchannels.calls() == 2);
        CollectionInfo creating = first.describe("books");
        assertThat(creating.getState()).isEqualTo(CollectionState.COLLECTION_CREATING);
        first.close();
        assertThat(codeOf(create)).isEqualTo(ErrorCode.ON_SHUTDOWN);
        assertThat(vchannels.messages()).isEqualTo(2);

        CollectionCatalog second = catalog();
        Await.until("the collection is created", () -> second.describe("books").getState() == CollectionState.COLLECTION_CREATED);
        for (String v : creating.getVchannelsList()) {
            assertThat(vchannels.types(v)).as(v).containsExactly(MessageType.CREATE_COLLECTION);
        }
        // the first append's ack was persisted: skipped; the paused one is appended again and answered from the
        // dedup window; the two never sent are appended
        assertThat(vchannels.calls()).isEqualTo(5);
        assertThat(vchannels.messages()).isEqualTo(4);
        assertThat(await(second.dropCollection("books")).getCollectionId()).isEqualTo(creating.getCollectionId());
    }

    @Test
    void partitionsAreCreatedAndDroppedOnEveryVchannelButTheDefaultPartitionStays() throws Exception {
        CollectionCatalog c = catalog();
        CollectionInfo info = await(c.createCollection("books", BOOKS, 2));
        CollectionInfo withP = await(c.createPartition("books", "p2024"));
        PartitionInfo p = withP.getPartitions(1);
        assertThat(p.getName()).isEqualTo("p2024");
        assertThat(p.getState()).isEqualTo(PartitionState.PARTITION_CREATED);
        assertThat(p.getPartitionId()).isNotEqualTo(info.getPartitions(0).getPartitionId());

        assertThat(codeOf(c.createPartition("books", "p2024"))).isEqualTo(ErrorCode.ALREADY_EXISTS);
        assertThat(codeOf(c.dropPartition("books", "_default"))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(codeOf(c.dropPartition("books", "nope"))).isEqualTo(ErrorCode.NOT_FOUND);
        assertThat(codeOf(c.createPartition("nope", "p"))).isEqualTo(ErrorCode.NOT_FOUND);

        CollectionInfo after = await(c.dropPartition("books", "p2024"));
        assertThat(after.getPartitionsList()).extracting(PartitionInfo::getName).containsExactly("_default");
        for (String v : info.getVchannelsList()) {
            assertThat(vchannels.types(v)).containsExactly(MessageType.CREATE_COLLECTION, MessageType.CREATE_PARTITION,
                    MessageType.DROP_PARTITION);
        }
    }

    @Test
    void alterAddsANullableFieldWithTheNextIdAndBumpsTheSchemaVersion() throws Exception {
        CollectionCatalog c = catalog();
        CollectionInfo info = await(c.createCollection("books", BOOKS, 2));
        FieldSchema year = FieldSchema.newBuilder().setName("year").setType(DataType.INT32).setNullable(true).build();
        CollectionInfo altered = await(c.addField("books", year));

        assertThat(altered.getSchema().getVersion()).isEqualTo(2);
        assertThat(altered.getSchema().getFields(4)).isEqualTo(year.toBuilder().setFieldId(104).build());
        for (String v : info.getVchannelsList()) {
            MutableMessage m = vchannels.log(v).get(1);
            assertThat(m.type()).isEqualTo(MessageType.ALTER_COLLECTION);
            assertThat(m.body(AlterCollectionBody.parser()).getSchema()).isEqualTo(altered.getSchema());
        }
        CompletableFuture<CollectionInfo> notNullable = c.addField("books", year.toBuilder().setName("y2").setNullable(false).build());
        assertThat(codeOf(notNullable)).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThatThrownBy(notNullable::join).hasMessageContaining("field 'y2'").hasMessageContaining("nullable");
        assertThat(codeOf(c.addField("books", year))).isEqualTo(ErrorCode.ALREADY_EXISTS);
    }

    @Test
    void aFlushReturnsTheSegmentsSealedOnEveryVchannel() throws Exception {
        CollectionCatalog c = catalog();
        CollectionInfo info = await(c.createCollection("books", BOOKS, 2));
        vchannels.flushes(info.getVchannels(0), List.of(7L, 3L));
        vchannels.flushes(info.getVchannels(1), List.of(5L));
        FlushResult r = await(c.flush("books"));

        assertThat(r.collectionId()).isEqualTo(info.getCollectionId());
        assertThat(r.segmentIds()).containsExactly(3L, 5L, 7L);
        assertThat(r.flushTimeTick()).isPositive();
        for (String v : info.getVchannelsList()) {
            MutableMessage m = vchannels.log(v).get(1);
            assertThat(m.type()).isEqualTo(MessageType.MANUAL_FLUSH);
            assertThat(m.barrierTimeTick()).isEqualTo(r.flushTimeTick());
        }
    }

    @Test
    void finishedTasksAreKeptAsTombstonesUpToTheConfiguredCount() throws Exception {
        CollectionCatalog c = catalog(Map.of("catalog.broadcast.tombstones", "2"));
        await(c.createCollection("a", BOOKS, 1));
        await(c.createCollection("b", BOOKS, 1));
        await(c.createCollection("d", BOOKS, 1));
        assertThat(meta.scan(Broadcaster.TASK_KEYS)).hasSize(2);
        assertThat(meta.scan(Broadcaster.ACK_KEYS)).isEmpty();
    }

    @Test
    void ddlBeforeStartFailsWithOnShutdown() {
        CollectionCatalog c = new CollectionCatalog(meta, PCHANNELS, CatalogConfig.defaults(), coordinator.tso(),
                InstantSource.system());
        toClose.add(c);
        assertThat(codeOf(c.createCollection("books", BOOKS, 1))).isEqualTo(ErrorCode.ON_SHUTDOWN);
    }
}
