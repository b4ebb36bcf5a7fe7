package io.tidelog.client;

import io.tidelog.message.MessageLimits;
import io.tidelog.message.MutableMessage;
import io.tidelog.message.PrimaryKeyHash;
import io.tidelog.message.RowBatch;
import io.tidelog.proto.DataType;
import io.tidelog.proto.DeleteBody;
import io.tidelog.proto.DeleteHeader;
import io.tidelog.proto.InsertBody;
import io.tidelog.proto.InsertHeader;
import io.tidelog.proto.Int64Array;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.PartitionSegment;
import io.tidelog.proto.StringArray;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns rows and primary keys into the DML messages of a collection: rows are routed to shards by
 * {@link PrimaryKeyHash}, and each shard's rows become one columnar {@code Insert} (or {@code Delete}) on its
 * vchannel, in shard order. Stateless.
 */
final class CollectionWriter {
    private CollectionWriter() {
    }

    /**
     * One Insert per vchannel that gets rows.
     *
     * @param firstRowNumber the number of {@code rows.get(0)} in errors ("row N: field 'f': ...")
     * @throws io.tidelog.common.StreamingException {@code INVALID_ARGUMENT} naming the row and the field for a
     *         row that does not match the schema, or for a vchannel's rows too large for one message;
     *         {@code NOT_FOUND} for a collection or partition that takes no rows
     */
    static List<MutableMessage> inserts(CollectionDescription c, String partition, List<? extends Map<String, ?>> rows,
                                        long firstRowNumber, MessageLimits limits) {
        c.requireWritable();
        long partitionId = c.writablePartition(partition).id();
        RowBatch[] shards = new RowBatch[c.shards()];
        for (int i = 0; i < rows.size(); i++) {
            long rowNumber = firstRowNumber + i;
            Object pk = RowBatch.primaryKey(c.schema(), rows.get(i), rowNumber);
            int shard = PrimaryKeyHash.shardOf(pk, c.shards());
            if (shards[shard] == null) {
                shards[shard] = new RowBatch(c.schema());
            }
            shards[shard].add(rows.get(i), rowNumber);
        }
        List<MutableMessage> out = new ArrayList<>();
        for (int shard = 0; shard < shards.length; shard++) {
            if (shards[shard] == null) {
                continue;
            }
            InsertBody body = shards[shard].toInsertBody(partitionId);
            InsertHeader header = InsertHeader.newBuilder().setCollectionId(c.id())
                    .addPartitions(PartitionSegment.newBuilder().setPartitionId(partitionId).setRows(body.getNumRows())
                            .setBinarySize(body.getSerializedSize()))
                    .build();
            try {
                out.add(MutableMessage.builder(MessageType.INSERT, c.vchannels().get(shard)).header(header).payload(body)
                        .limits(limits).build());
            } catch (io.tidelog.common.StreamingException e) {
                throw io.tidelog.common.StreamingException.invalidArgument("the " + body.getNumRows() + " rows for "
                        + c.vchannels().get(shard) + " do not fit one message (" + e.detail() + "): insert fewer rows at once");
            }
        }
        return out;
    }

    /**
     * One Delete per vchannel that holds some of the keys.
     *
     * @throws io.tidelog.common.StreamingException {@code INVALID_ARGUMENT} for a key of the wrong type,
     *         naming its position
     */
    static List<MutableMessage> deletes(CollectionDescription c, List<?> primaryKeys, MessageLimits limits) {
        c.requireWritable();
        boolean intKeys = io.tidelog.message.CollectionSchemas.primaryKey(c.schema()).getType() == DataType.INT64;
        List<List<Object>> byShard = new ArrayList<>();
        for (int i = 0; i < c.shards(); i++) {
            byShard.add(new ArrayList<>());
        }
        for (int i = 0; i < primaryKeys.size(); i++) {
            Object pk = RowBatch.primaryKeyValue(c.schema(), primaryKeys.get(i), "primary key " + i);
            byShard.get(PrimaryKeyHash.shardOf(pk, c.shards())).add(pk);
        }
        List<MutableMessage> out = new ArrayList<>();
        for (int shard = 0; shard < c.shards(); shard++) {
            List<Object> keys = byShard.get(shard);
            if (keys.isEmpty()) {
                continue;
            }
            DeleteBody.Builder body = DeleteBody.newBuilder();
            if (intKeys) {
                Int64Array.Builder a = Int64Array.newBuilder();
                keys.forEach(k -> a.addValues((Long) k));
                body.setIntPks(a);
            } else {
                StringArray.Builder a = StringArray.newBuilder();
                keys.forEach(k -> a.addValues((String) k));
                body.setStringPks(a);
            }
            out.add(MutableMessage.builder(MessageType.DELETE, c.vchannels().get(shard))
                    .header(DeleteHeader.newBuilder().setCollectionId(c.id()).setRows(keys.size()).build())
                    .payload(body.build()).limits(limits).build());
        }
        return out;
    }
}
