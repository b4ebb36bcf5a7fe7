package io.tidelog.node.testing;

import com.google.protobuf.ByteString;
import io.tidelog.message.MutableMessage;
import io.tidelog.proto.AlterCollectionBody;
import io.tidelog.proto.AlterCollectionHeader;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.Column;
import io.tidelog.proto.CreateCollectionBody;
import io.tidelog.proto.CreateCollectionHeader;
import io.tidelog.proto.CreatePartitionBody;
import io.tidelog.proto.CreatePartitionHeader;
import io.tidelog.proto.DataType;
import io.tidelog.proto.DeleteBody;
import io.tidelog.proto.DeleteHeader;
import io.tidelog.proto.DropCollectionHeader;
import io.tidelog.proto.DropPartitionHeader;
import io.tidelog.proto.FieldSchema;
import io.tidelog.proto.FloatVectorArray;
import io.tidelog.proto.InsertBody;
import io.tidelog.proto.InsertHeader;
import io.tidelog.proto.Int64Array;
import io.tidelog.proto.ManualFlushHeader;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.Partition;
import io.tidelog.proto.RawHeader;
import io.tidelog.proto.StringArray;

/**
 * Messages of a small collection for tests of what sits on the log (the shard manager, the flusher): schema
 * {@code id} INT64 primary key, {@code title} VARCHAR(64), {@code emb} FLOAT_VECTOR(2); DDL and DML builders.
 */
public final class CollectionMessages {
    public static final CollectionSchema SCHEMA = CollectionSchema.newBuilder().setVersion(1)
            .addFields(FieldSchema.newBuilder().setFieldId(100).setName("id").setType(DataType.INT64).setPrimaryKey(true))
            .addFields(FieldSchema.newBuilder().setFieldId(101).setName("title").setType(DataType.VARCHAR).setMaxLength(64))
            .addFields(FieldSchema.newBuilder().setFieldId(102).setName("emb").setType(DataType.FLOAT_VECTOR).setDim(2))
            .build();

    private CollectionMessages() {
    }


    public static MutableMessage raw(String vchannel, String text) {
        return MutableMessage.builder(MessageType.RAW, vchannel).header(RawHeader.getDefaultInstance())
                .payload(ByteString.copyFromUtf8(text)).build();
    }

    public static MutableMessage createCollection(String vchannel, long collection, CollectionSchema schema, long... partitions) {
        CreateCollectionHeader.Builder h = CreateCollectionHeader.newBuilder().setCollectionId(collection);
        CreateCollectionBody.Builder b = CreateCollectionBody.newBuilder().setName("c" + collection).setSchema(schema)
                .addVchannels(vchannel);
        for (int i = 0; i < partitions.length; i++) {
            h.addPartitionIds(partitions[i]);
            b.addPartitions(Partition.newBuilder().setId(partitions[i]).setName(i == 0 ? "_default" : "p" + partitions[i]));
        }
        return MutableMessage.builder(MessageType.CREATE_COLLECTION, vchannel).header(h.build()).payload(b.build()).build();
    }

    public static MutableMessage createCollection(String vchannel, long collection, long... partitions) {
        return createCollection(vchannel, collection, SCHEMA, partitions);
    }

    public static MutableMessage dropCollection(String vchannel, long collection) {
        return MutableMessage.builder(MessageType.DROP_COLLECTION, vchannel)
                .header(DropCollectionHeader.newBuilder().setCollectionId(collection).build()).build();
    }

    public static MutableMessage createPartition(String vchannel, long collection, long partition) {
        return MutableMessage.builder(MessageType.CREATE_PARTITION, vchannel)
                .header(CreatePartitionHeader.newBuilder().setCollectionId(collection).setPartitionId(partition).build())
                .payload(CreatePartitionBody.newBuilder().setName("p" + partition).build()).build();
    }

    public static MutableMessage dropPartition(String vchannel, long collection, long partition) {
        return MutableMessage.builder(MessageType.DROP_PARTITION, vchannel)
                .header(DropPartitionHeader.newBuilder().setCollectionId(collection).setPartitionId(partition).build())
                .build();
    }

    public static MutableMessage alterCollection(String vchannel, long collection, CollectionSchema schema) {
        return MutableMessage.builder(MessageType.ALTER_COLLECTION, vchannel)
                .header(AlterCollectionHeader.newBuilder().setCollectionId(collection).setSchemaVersion(schema.getVersion()).build())
                .payload(AlterCollectionBody.newBuilder().setSchema(schema).build()).build();
    }

    public static MutableMessage manualFlush(String vchannel, long collection, long flushTimeTick) {
        return MutableMessage.builder(MessageType.MANUAL_FLUSH, vchannel)
                .header(ManualFlushHeader.newBuilder().setCollectionId(collection).setFlushTimeTick(flushTimeTick).build())
                .build();
    }

    public static MutableMessage delete(String vchannel, long collection, long... keys) {
        Int64Array.Builder pks = Int64Array.newBuilder();
        for (long k : keys) {
            pks.addValues(k);
        }
        return MutableMessage.builder(MessageType.DELETE, vchannel)
                .header(DeleteHeader.newBuilder().setCollectionId(collection).build())
                .payload(DeleteBody.newBuilder().setIntPks(pks).build()).build();
    }

    /** {@code rows} valid rows with ids from {@code firstId}, titles padded to {@code titleBytes}. */
    public static InsertBody rows(long partition, int rows, long firstId, int titleBytes) {
        Int64Array.Builder id = Int64Array.newBuilder();
        StringArray.Builder title = StringArray.newBuilder();
        FloatVectorArray.Builder emb = FloatVectorArray.newBuilder().setDim(2);
        for (int i = 0; i < rows; i++) {
            id.addValues(firstId + i);
            title.addValues("x".repeat(titleBytes));
            emb.addValues(i).addValues(-i);
        }
        return InsertBody.newBuilder().setPartitionId(partition).setNumRows(rows)
                .addColumns(Column.newBuilder().setFieldName("id").setInt64S(id))
                .addColumns(Column.newBuilder().setFieldName("title").setStrings(title))
                .addColumns(Column.newBuilder().setFieldName("emb").setFloatVectors(emb))
                .build();
    }

    public static MutableMessage insert(String vchannel, long collection, InsertBody body) {
        return MutableMessage.builder(MessageType.INSERT, vchannel)
                .header(InsertHeader.newBuilder().setCollectionId(collection).build()).payload(body).build();
    }

    public static MutableMessage insert(String vchannel, long collection, long partition, int rows) {
        return insert(vchannel, collection, rows(partition, rows, 1, 8));
    }
}
