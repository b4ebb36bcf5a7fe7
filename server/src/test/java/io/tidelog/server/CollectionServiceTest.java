package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.client.CollectionDescription;
import io.tidelog.client.Collections;
import io.tidelog.client.Flushed;
import io.tidelog.client.StreamingClient;
import io.tidelog.client.WriteResult;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.PrimaryKeyHash;
import io.tidelog.message.Rows;
import io.tidelog.message.SchemaJson;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.CollectionServiceGrpc;
import io.tidelog.proto.CollectionState;
import io.tidelog.proto.CreateCollectionRequest;
import io.tidelog.proto.CreateSegmentHeader;
import io.tidelog.proto.DeleteBody;
import io.tidelog.proto.InsertBody;
import io.tidelog.proto.InsertHeader;
import io.tidelog.proto.MessageType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The collection catalog and DML over gRPC against a standalone server in this process. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CollectionServiceTest {
    static final CollectionSchema BOOKS = SchemaJson.parseJson("""
            {"fields": [{"name": "id", "type": "INT64", "primaryKey": true},
                        {"name": "title", "type": "VARCHAR", "maxLength": 256},
                        {"name": "price", "type": "DOUBLE", "nullable": true},
                        {"name": "emb", "type": "FLOAT_VECTOR", "dim": 4}]}""");

    @TempDir
    Path dir;
    StandaloneServer server;
    StreamingClient client;
    Collections collections;

    static Map<String, String> config() {
        return Map.of("server.port", "0", "coord.pchannel.count", "4", "wal.local.segment.bytes", "4MiB",
                "wal.local.spare.segments", "1", "message.max.bytes", "1MiB");
    }

    @BeforeEach
    void start() {
        server = TestStandalone.start(dir, config());
        client = StreamingClient.builder().target(server.address()).build();
        collections = client.collections();
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    static List<MessageType> types(List<ImmutableMessage> history) {
        return history.stream().map(ImmutableMessage::type).toList();
    }

    static Map<String, Object> book(long id) {
        Map<String, Object> row = new HashMap<>();
        row.put("id", id);
        row.put("title", "book " + id);
        row.put("emb", List.of(0.1, 0.2, 0.3, id));
        return row;
    }

    static ErrorCode code(Throwable t) {
        return StreamingException.from(t).code();
    }

    @Test
    void createCollectionIsTheFirstMessageOfEachOfItsVchannelsAndAppearsOnce() {
        CollectionDescription c = collections.createBlocking("books", BOOKS, 3);

        assertThat(c.state()).isEqualTo(CollectionState.COLLECTION_CREATED);
        assertThat(c.vchannels()).hasSize(3);
        for (String v : c.vchannels()) {
            List<ImmutableMessage> history = VchannelHistory.of(client, v);
            assertThat(types(history)).as(v).containsExactly(MessageType.CREATE_COLLECTION);
        }
        assertThat(collections.describeBlocking("books")).isEqualTo(c);
        assertThat(collections.listBlocking()).containsExactly(c);
    }

    @Test
    void badRequestsFailWithStableCodesNamingWhatIsWrong() {
        CollectionSchema noDim = BOOKS.toBuilder().setFields(3, BOOKS.getFields(3).toBuilder().setDim(0)).build();
        assertThatThrownBy(() -> collections.createBlocking("books", noDim, 1))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("field 'emb'");
        collections.createBlocking("books", BOOKS, 1);
        assertThatThrownBy(() -> collections.createBlocking("books", BOOKS, 1))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.ALREADY_EXISTS));
        assertThatThrownBy(() -> collections.describeBlocking("nope"))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.NOT_FOUND));
        assertThatThrownBy(() -> collections.dropBlocking("nope"))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.NOT_FOUND));
    }

    /** A shard count that is sent is checked, 0 included; one left out is the coordinator's default. */
    @Test
    void aShardCountBelowOneOrAboveTheMaximumFailsWithInvalidArgumentAndALeftOutOneIsTheDefault() {
        io.grpc.ManagedChannel channel = io.grpc.ManagedChannelBuilder.forTarget(server.address()).usePlaintext().build();
        CollectionServiceGrpc.CollectionServiceBlockingStub stub = CollectionServiceGrpc.newBlockingStub(channel);
        try {
            for (int shards : new int[] {0, -1, 17}) {
                assertThatThrownBy(() -> stub.createCollection(CreateCollectionRequest.newBuilder().setName("books")
                        .setSchema(BOOKS).setShards(shards).build()))
                        .satisfies(e -> assertThat(StandaloneServerTest.code(e)).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                        .hasMessageContaining("a collection has 1 to 16 shards (catalog.max.shards), got " + shards);
            }
            assertThat(collections.listBlocking()).isEmpty();
            assertThat(stub.createCollection(CreateCollectionRequest.newBuilder().setName("books").setSchema(BOOKS)
                    .build()).getVchannelsCount()).as("catalog.default.shards").isEqualTo(1);
        } finally {
            channel.shutdownNow();
        }
        assertThatThrownBy(() -> collections.createBlocking("films", BOOKS, 0))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        assertThat(collections.createBlocking("films", BOOKS).vchannels()).hasSize(1);
    }

    @Test
    void insertedRowsGoToTheVchannelOfTheirPrimaryKeyAsOneColumnarInsertPerVchannel() throws Exception {
        CollectionDescription c = collections.createBlocking("books", BOOKS, 3);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (long id = 0; id < 30; id++) {
            rows.add(book(id));
        }
        WriteResult r = client.insert("books", rows).get(30, TimeUnit.SECONDS);
        assertThat(r.rows()).isEqualTo(30);
        assertThat(r.appends()).hasSize(3);

        int seen = 0;
        for (int shard = 0; shard < 3; shard++) {
            String v = c.vchannels().get(shard);
            List<ImmutableMessage> history = VchannelHistory.of(client, v);
            assertThat(types(history)).containsExactly(MessageType.CREATE_COLLECTION, MessageType.CREATE_SEGMENT,
                    MessageType.INSERT);
            ImmutableMessage insert = history.get(2);
            assertThat(insert.header(InsertHeader.class).getCollectionId()).isEqualTo(c.id());
            assertThat(insert.header(InsertHeader.class).getPartitions(0).getSegmentId())
                    .isEqualTo(history.get(1).header(CreateSegmentHeader.class).getSegmentId());
            InsertBody body = insert.body(InsertBody.parser());
            assertThat(body.getPartitionId()).isEqualTo(c.partitions().get(0).id());
            for (Map<String, Object> row : Rows.fromInsertBody(body)) {
                long id = (Long) row.get("id");
                assertThat(PrimaryKeyHash.shardOf(id, 3)).isEqualTo(shard);
                assertThat(row.get("title")).isEqualTo("book " + id);
                assertThat(row.get("price")).isNull();
                seen++;
            }
        }
        assertThat(seen).isEqualTo(30);
    }

    @Test
    void anUpsertIsADeleteAndAnInsertInOneTransactionPerVchannel() throws Exception {
        CollectionDescription c = collections.createBlocking("books", BOOKS, 2);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (long id = 0; id < 10; id++) {
            rows.add(book(id));
        }
        client.insert("books", rows).get(30, TimeUnit.SECONDS);
        List<Map<String, Object>> changed = new ArrayList<>();
        for (long id = 0; id < 10; id += 2) {
            Map<String, Object> row = book(id);
            row.put("title", "second edition " + id);
            changed.add(row);
        }
        WriteResult r = client.upsert("books", changed).get(30, TimeUnit.SECONDS);
        assertThat(r.appends()).allSatisfy(a -> assertThat(a.txnId()).isPositive());

        int upserted = 0;
        for (String v : c.vchannels()) {
            List<ImmutableMessage> history = VchannelHistory.of(client, v);
            ImmutableMessage txn = history.get(history.size() - 1);
            assertThat(txn.type()).as("the upsert on %s is one transaction", v).isEqualTo(MessageType.TXN);
            List<MessageType> bodies = txn.txnMessages().stream().map(ImmutableMessage::type)
                    .filter(t -> t == MessageType.DELETE || t == MessageType.INSERT).toList();
            assertThat(bodies).containsExactly(MessageType.DELETE, MessageType.INSERT);
            for (ImmutableMessage m : txn.txnMessages()) {
                if (m.type() == MessageType.INSERT) {
                    for (Map<String, Object> row : Rows.fromInsertBody(m.body(InsertBody.parser()))) {
                        assertThat((String) row.get("title")).startsWith("second edition");
                        upserted++;
                    }
                }
            }
        }
        assertThat(upserted).isEqualTo(5);
    }

    @Test
    void aBadRowFailsTheInsertNamingRowAndFieldAndNothingIsWritten() {
        CollectionDescription c = collections.createBlocking("books", BOOKS, 2);
        Map<String, Object> bad = book(5);
        bad.put("emb", List.of(1, 2, 3));
        assertThatThrownBy(() -> client.insert("books", List.of(book(1), bad)).join())
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("row 1: field 'emb'");
        for (String v : c.vchannels()) {
            assertThat(types(VchannelHistory.of(client, v))).containsExactly(MessageType.CREATE_COLLECTION);
        }
    }

    @Test
    void ddlAndDmlAreOrderedOnEveryVchannelAsTheyWereIssued() throws Exception {
        CollectionDescription c = collections.createBlocking("books", BOOKS, 2);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (long id = 0; id < 20; id++) {
            rows.add(book(id));
        }
        client.insert("books", rows).get(30, TimeUnit.SECONDS);
        collections.createPartition("books", "p2").get(30, TimeUnit.SECONDS);
        client.insert("books", "p2", rows).get(30, TimeUnit.SECONDS);
        WriteResult deleted = client.delete("books", List.of(1L, 2L, 3L, 4L)).get(30, TimeUnit.SECONDS);
        Flushed flushed = collections.flushBlocking("books");
        collections.dropPartition("books", "p2").get(30, TimeUnit.SECONDS);
        collections.dropBlocking("books");

        assertThat(deleted.rows()).isEqualTo(4);
        assertThat(flushed.collectionId()).isEqualTo(c.id());
        int deletedKeys = 0;
        java.util.Set<Long> segmentsBeforeTheFlush = new java.util.TreeSet<>();
        for (String v : c.vchannels()) {
            List<ImmutableMessage> history = VchannelHistory.of(client, v);
            for (ImmutableMessage m : history) {
                if (m.type() == MessageType.MANUAL_FLUSH) {
                    break;
                }
                if (m.type() == MessageType.CREATE_SEGMENT) {
                    segmentsBeforeTheFlush.add(m.header(CreateSegmentHeader.class).getSegmentId());
                }
            }
            List<MessageType> types = types(history).stream()
                    .filter(t -> t != MessageType.CREATE_SEGMENT && t != MessageType.FLUSH).toList();
            assertThat(types).as(v).containsExactly(MessageType.CREATE_COLLECTION, MessageType.INSERT,
                    MessageType.CREATE_PARTITION, MessageType.INSERT, MessageType.DELETE, MessageType.MANUAL_FLUSH,
                    MessageType.DROP_PARTITION, MessageType.DROP_COLLECTION);
            for (ImmutableMessage m : history) {
                if (m.type() == MessageType.DELETE) {
                    deletedKeys += m.body(DeleteBody.parser()).getIntPks().getValuesCount();
                }
            }
        }
        assertThat(deletedKeys).isEqualTo(4);
        assertThat(flushed.segmentIds()).as("the flush returns every growing segment of every vchannel")
                .containsExactlyElementsOf(segmentsBeforeTheFlush).hasSize(4);
        assertThat(collections.listBlocking()).isEmpty();
    }

    @Test
    void theCatalogSurvivesARestartAndIdsKeepGrowing() {
        CollectionDescription first = collections.createBlocking("books", BOOKS, 2);
        client.close();
        server.close();
        server = TestStandalone.start(dir, config());
        client = StreamingClient.builder().target(server.address()).build();
        collections = client.collections();

        assertThat(collections.describeBlocking("books")).isEqualTo(first);
        CollectionDescription second = collections.createBlocking("films", BOOKS, 2);
        assertThat(second.id()).isGreaterThan(first.partitions().get(0).id());
        assertThat(second.vchannels()).extracting(io.tidelog.message.Vchannels::pchannelOf)
                .doesNotContainAnyElementsOf(first.vchannels().stream().map(io.tidelog.message.Vchannels::pchannelOf).toList());
    }

    @Test
    void segmentsAreListedAsGrowingUntilAFlushReturnsAndThenAsFlushedWithTheirFilesInObjectStorage() throws Exception {
        collections.createBlocking("books", BOOKS, 2);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (long id = 0; id < 40; id++) {
            rows.add(book(id));
        }
        client.insert("books", rows).get(30, TimeUnit.SECONDS);
        client.delete("books", List.of(3L, 4L)).get(30, TimeUnit.SECONDS);

        List<io.tidelog.proto.SegmentInfo> growing = collections.segmentsBlocking("books");
        assertThat(growing).hasSize(2).allSatisfy(s ->
                assertThat(s.getState()).isEqualTo(io.tidelog.proto.SegmentState.SEGMENT_GROWING));
        assertThat(growing.stream().mapToLong(io.tidelog.proto.SegmentInfo::getRows).sum()).isEqualTo(40);

        Flushed f = collections.flushBlocking("books");
        List<io.tidelog.proto.SegmentInfo> after = collections.segmentsBlocking("books");

        List<io.tidelog.proto.SegmentInfo> flushed = after.stream()
                .filter(s -> s.getState() == io.tidelog.proto.SegmentState.SEGMENT_FLUSHED).toList();
        assertThat(flushed).extracting(io.tidelog.proto.SegmentInfo::getSegmentId)
                .containsExactlyInAnyOrderElementsOf(f.segmentIds());
        assertThat(flushed.stream().mapToLong(io.tidelog.proto.SegmentInfo::getRows).sum()).isEqualTo(40);
        assertThat(after.stream().filter(s -> s.getState() == io.tidelog.proto.SegmentState.SEGMENT_DELETE_LOG)
                .mapToLong(io.tidelog.proto.SegmentInfo::getRows).sum()).as("keys in delete logs").isEqualTo(2);
        for (io.tidelog.proto.SegmentInfo s : after) {
            assertThat(s.getObjectKeysList()).hasSize(2).allSatisfy(k ->
                    assertThat(dir.resolve("objects").resolve(k)).isRegularFile());
        }
        assertThat(after).noneMatch(s -> s.getState() == io.tidelog.proto.SegmentState.SEGMENT_GROWING);
    }

    /**
     * The node refuses RAW on a collection's vchannel, from before the collection exists to after its drop,
     * alone or as a transaction's body, and writes nothing; a vchannel of another name takes RAW.
     */
    @Test
    void aRawMessageOnACollectionsVchannelFailsWithInvalidArgumentAndNothingIsWritten() throws Exception {
        String future = "pchannel-0_" + (1L << 40) + "v0";
        assertThatThrownBy(() -> client.appendRawBlocking(future, new byte[] {1}))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("a RAW message cannot go to a collection's vchannel");
        CollectionDescription c = collections.createBlocking("books", BOOKS, 1);
        String v = c.vchannels().get(0);
        assertThatThrownBy(() -> client.appendRawBlocking(v, new byte[] {2}))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("vchannel " + v + ": a RAW message cannot go to a collection's vchannel");
        try (io.tidelog.client.Txn txn = client.txn(v)) {
            assertThatThrownBy(() -> txn.appendRawBlocking(new byte[] {3}))
                    .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
        collections.dropBlocking("books");
        assertThatThrownBy(() -> client.appendRawBlocking(v, new byte[] {4}))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        String other = io.tidelog.message.Vchannels.pchannelOf(v) + "_events";
        client.appendRawBlocking(other, new byte[] {5});

        assertThat(types(VchannelHistory.of(client, v))).doesNotContain(MessageType.RAW)
                .startsWith(MessageType.CREATE_COLLECTION).endsWith(MessageType.DROP_COLLECTION);
        assertThat(types(VchannelHistory.of(client, future))).isEmpty();
        assertThat(types(VchannelHistory.of(client, other))).containsExactly(MessageType.RAW);
    }
}
