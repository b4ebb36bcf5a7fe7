package io.tidelog.bench;

import io.tidelog.message.MutableMessage;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.Column;
import io.tidelog.proto.CreateCollectionBody;
import io.tidelog.proto.CreateCollectionHeader;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import io.tidelog.proto.FloatVectorArray;
import io.tidelog.proto.InsertBody;
import io.tidelog.proto.InsertHeader;
import io.tidelog.proto.Int64Array;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.Partition;
import io.tidelog.proto.StringArray;

/**
 * The collection the node benchmarks write: one shard (so one vchannel, named as the node requires), one
 * partition, rows of an INT64 id, a VARCHAR title and a FLOAT_VECTOR of {@value #DIM} floats (about 530 bytes
 * each once encoded).
 */
final class BenchMessages {
    static final int DIM = 128;
    static final long PARTITION = 1;

    static final CollectionSchema SCHEMA = CollectionSchema.newBuilder().setVersion(1)
            .addFields(FieldSchema.newBuilder().setFieldId(100).setName("id").setType(DataType.INT64).setPrimaryKey(true))
            .addFields(FieldSchema.newBuilder().setFieldId(101).setName("title").setType(DataType.VARCHAR).setMaxLength(64))
            .addFields(FieldSchema.newBuilder().setFieldId(102).setName("emb").setType(DataType.FLOAT_VECTOR).setDim(DIM))
            .build();

    private BenchMessages() {
    }

    /** The one vchannel of collection {@code collection} on {@code pchannel}: {@code <pchannel>_<collection>v0}. */
    static String vchannel(String pchannel, long collection) {
        return pchannel + "_" + collection + "v0";
    }

    /** Creates {@code collection} with its one shard on {@code vchannel}. */
    static MutableMessage createCollection(long collection, String vchannel) {
        return MutableMessage.builder(MessageType.CREATE_COLLECTION, vchannel)
                .header(CreateCollectionHeader.newBuilder().setCollectionId(collection).addPartitionIds(PARTITION).build())
                .payload(CreateCollectionBody.newBuilder().setName("bench" + collection).setSchema(SCHEMA)
                        .addVchannels(vchannel)
                        .addPartitions(Partition.newBuilder().setId(PARTITION).setName("_default")).build())
                .build();
    }

    /** {@code rows} rows with ids from {@code firstId}: a title of about 16 bytes and a vector of 128 floats. */
    static InsertBody insertBody(long firstId, int rows) {
        Int64Array.Builder id = Int64Array.newBuilder();
        StringArray.Builder title = StringArray.newBuilder();
        FloatVectorArray.Builder emb = FloatVectorArray.newBuilder().setDim(DIM);
        for (int i = 0; i < rows; i++) {
            long k = firstId + i;
            id.addValues(k);
            title.addValues("title-" + k);
            for (int d = 0; d < DIM; d++) {
                emb.addValues((float) ((k * 31 + d) % 1000) / 1000f);
            }
        }
        return InsertBody.newBuilder().setPartitionId(PARTITION).setNumRows(rows)
                .addColumns(Column.newBuilder().setFieldName("id").setInt64S(id))
                .addColumns(Column.newBuilder().setFieldName("title").setStrings(title))
                .addColumns(Column.newBuilder().setFieldName("emb").setFloatVectors(emb))
                .build();
    }

    /** An Insert of {@code body} into {@code collection} through its vchannel. */
    static MutableMessage insert(long collection, String vchannel, InsertBody body) {
        return MutableMessage.builder(MessageType.INSERT, vchannel)
                .header(InsertHeader.newBuilder().setCollectionId(collection).build()).payload(body).build();
    }
}
