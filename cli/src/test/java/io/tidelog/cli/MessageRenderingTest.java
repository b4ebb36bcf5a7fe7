package io.tidelog.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import io.tidelog.common.MessageId;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MutableMessage;
import io.tidelog.message.RowBatch;
import io.tidelog.message.Rows;
import io.tidelog.message.SchemaJson;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.CreateCollectionBody;
import io.tidelog.proto.CreateCollectionHeader;
import io.tidelog.proto.DeleteBody;
import io.tidelog.proto.DeleteHeader;
import io.tidelog.proto.InsertBody;
import io.tidelog.proto.InsertHeader;
import io.tidelog.proto.Int64Array;
import io.tidelog.proto.ManualFlushHeader;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.Partition;
import io.tidelog.proto.PartitionSegment;
import java.util.List;
import org.junit.jupiter.api.Test;

class MessageRenderingTest {
    static final CollectionSchema SCHEMA = SchemaJson.parseJson("""
            {"fields": [{"name": "id", "type": "INT64", "primaryKey": true},
                        {"name": "title", "type": "VARCHAR", "maxLength": 16, "nullable": true}]}""");
    static final String V = "p-1_7v0";

    static ImmutableMessage appended(MutableMessage m, long offset) {
        return m.withTimeTick(1000 + offset).withLastConfirmedId(new MessageId(0, offset)).withTerm(1)
                .intoImmutable(new MessageId(0, offset));
    }

    static MutableMessage message(MessageType type, Message header, Message body) {
        return MutableMessage.builder(type, V).header(header).payload(body).build();
    }

    static ImmutableMessage insert(long offset, String... jsonRows) {
        RowBatch batch = new RowBatch(SCHEMA);
        for (int i = 0; i < jsonRows.length; i++) {
            batch.add(Rows.parseJson(jsonRows[i], i), i);
        }
        InsertBody body = batch.toInsertBody(8);
        return appended(message(MessageType.INSERT, InsertHeader.newBuilder().setCollectionId(7)
                .addPartitions(PartitionSegment.newBuilder().setPartitionId(8).setRows(jsonRows.length).setSegmentId(42))
                .build(), body), offset);
    }

    @Test
    void anInsertShowsItsCollectionPartitionSegmentAndRows() {
        ImmutableMessage m = insert(3, "{\"id\": 1, \"title\": \"a\"}", "{\"id\": 2}");
        assertThat(MessageRendering.json(m)).isEqualTo("{\"vchannel\":\"p-1_7v0\",\"messageId\":\"0:3\",\"timeTick\":1003,"
                + "\"type\":\"INSERT\",\"collectionId\":7,\"partitionId\":8,\"segmentId\":42,\"rowCount\":2,"
                + "\"rows\":[{\"id\":1,\"title\":\"a\"},{\"id\":2,\"title\":null}],\"properties\":{}}");
        assertThat(MessageRendering.human(m)).startsWith("p-1_7v0 0:3 tt=1003 ")
                .endsWith(" INSERT collection=7 partition=8 segment=42 rowCount=2 rows=[{\"id\":1,\"title\":\"a\"},{\"id\":2,\"title\":null}]");
    }

    @Test
    void aLargeInsertShowsItsFirstRowsInText() {
        ImmutableMessage m = insert(3, "{\"id\": 1}", "{\"id\": 2}", "{\"id\": 3}", "{\"id\": 4}", "{\"id\": 5}");
        assertThat(MessageRendering.human(m)).endsWith("rows=[{\"id\":1,\"title\":null},{\"id\":2,\"title\":null},"
                + "{\"id\":3,\"title\":null}]...(2 more)");
    }

    @Test
    void ddlShowsWhatItCreatesOrDrops() {
        ImmutableMessage create = appended(message(MessageType.CREATE_COLLECTION,
                CreateCollectionHeader.newBuilder().setCollectionId(7).addPartitionIds(8).build(),
                CreateCollectionBody.newBuilder().setName("books").setSchema(SCHEMA).addVchannels(V)
                        .addPartitions(Partition.newBuilder().setId(8).setName("_default")).build()), 1);
        assertThat(MessageRendering.json(create)).contains("\"type\":\"CREATE_COLLECTION\",\"collectionId\":7,"
                + "\"name\":\"books\",\"schema\":{\"fields\":[{\"name\":\"id\",\"type\":\"INT64\",\"primaryKey\":true},"
                + "{\"name\":\"title\",\"type\":\"VARCHAR\",\"nullable\":true,\"maxLength\":16}],\"version\":0},"
                + "\"vchannels\":[\"p-1_7v0\"],\"partitions\":[{\"id\":8,\"name\":\"_default\"}]");
        assertThat(MessageRendering.human(create)).contains("CREATE_COLLECTION collection=7 name=books schema=");

        ImmutableMessage flush = appended(MutableMessage.builder(MessageType.MANUAL_FLUSH, V)
                .header(ManualFlushHeader.newBuilder().setCollectionId(7).setFlushTimeTick(999).addSegmentIds(42).build())
                .build(), 2);
        assertThat(MessageRendering.json(flush)).contains("\"type\":\"MANUAL_FLUSH\",\"collectionId\":7,"
                + "\"flushTimeTick\":999,\"segmentIds\":[42]");
        assertThat(MessageRendering.human(flush)).endsWith("MANUAL_FLUSH collection=7 flushTimeTick=999 segmentIds=[42]");
    }

    @Test
    void aTransactionShowsAsItsParts() {
        MutableMessage begin = MutableMessage.builder(MessageType.BEGIN_TXN, V).build().withTxn(5, 10_000);
        MutableMessage delete = message(MessageType.DELETE, DeleteHeader.newBuilder().setCollectionId(7).setRows(2).build(),
                DeleteBody.newBuilder().setIntPks(Int64Array.newBuilder().addValues(1).addValues(2)).build()).withTxn(5, 10_000);
        MutableMessage commit = MutableMessage.builder(MessageType.COMMIT_TXN, V).build().withTxn(5, 10_000);
        ImmutableMessage txn = ImmutableMessage.txn(appended(begin, 1), List.of(appended(delete, 2)), appended(commit, 3));

        String json = MessageRendering.json(txn);
        assertThat(json).startsWith("{\"vchannel\":\"p-1_7v0\",\"messageId\":\"0:3\",\"timeTick\":1003,\"type\":\"TXN\","
                + "\"txnId\":5,\"messages\":[{\"vchannel\":\"p-1_7v0\",\"messageId\":\"0:1\"");
        assertThat(json).contains("{\"vchannel\":\"p-1_7v0\",\"messageId\":\"0:2\",\"timeTick\":1002,\"type\":\"DELETE\","
                + "\"txnId\":5,\"collectionId\":7,\"rowCount\":2,\"pks\":[1,2],\"properties\":{}}");
        List<String> lines = MessageRendering.human(txn).lines().toList();
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).endsWith("TXN txn=5 parts=3");
        assertThat(lines.get(2)).startsWith("  p-1_7v0 0:2 tt=1002").endsWith("DELETE txn=5 collection=7 rowCount=2 pks=[1,2]");
    }

    @Test
    void aPayloadThatDoesNotParseAsItsBodyShowsAsBase64() {
        ImmutableMessage m = appended(MutableMessage.builder(MessageType.INSERT, V)
                .header(InsertHeader.newBuilder().setCollectionId(7).build()).payload(new byte[] {(byte) 0xff, 1}).build(), 1);
        assertThat(MessageRendering.json(m)).contains("\"type\":\"INSERT\",\"payload\":\"/wE=\",\"encoding\":\"base64\"");
    }
}
