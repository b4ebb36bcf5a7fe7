package io.tidelog.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tidelog.client.TimeTicks;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.Rows;
import io.tidelog.message.SchemaJson;
import io.tidelog.proto.AlterCollectionBody;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.CreateCollectionBody;
import io.tidelog.proto.CreatePartitionBody;
import io.tidelog.proto.CreateSegmentHeader;
import io.tidelog.proto.DeleteBody;
import io.tidelog.proto.FlushHeader;
import io.tidelog.proto.InsertBody;
import io.tidelog.proto.InsertHeader;
import io.tidelog.proto.ManualFlushHeader;
import io.tidelog.proto.MessageHeader;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.Partition;
import io.tidelog.proto.PartitionSegment;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How {@code consume} shows a message: one line of text for people, or one JSON object.
 *
 * <p>Every message has {@code vchannel}, {@code messageId}, {@code timeTick} and {@code type}; then the fields
 * of its type, below; then {@code properties}. Field names are stable (scripts may rely on them):
 * <pre>
 * RAW                payload (text, or base64 with "encoding":"base64")
 * INSERT             collectionId, partitionId, segmentId (0 until the node assigns one), rowCount, rows [{field: value}]
 * DELETE             collectionId, rowCount, pks
 * CREATE_COLLECTION  collectionId, name, schema {fields, version}, vchannels, partitions [{id, name}]
 * DROP_COLLECTION    collectionId
 * CREATE_PARTITION   collectionId, partitionId, name
 * DROP_PARTITION     collectionId, partitionId
 * ALTER_COLLECTION   collectionId, schemaVersion, schema
 * MANUAL_FLUSH       collectionId, flushTimeTick, segmentIds
 * CREATE_SEGMENT     collectionId, partitionId, segmentId
 * FLUSH              collectionId, partitionId, segmentId
 * TXN                txnId, messages [each part as its own object]
 * any part of a transaction also has txnId
 * </pre>
 * A payload that does not parse as its type's body shows as {@code payload} (base64 if not text). In text,
 * a TXN is one line followed by one indented line per part, and an INSERT shows its first
 * {@value #HUMAN_ROWS} rows.
 */
final class MessageRendering {
    static final int HUMAN_ROWS = 3;

    private MessageRendering() {
    }

    /** One JSON object on one line. */
    static String json(ImmutableMessage m) {
        return Rows.toJson(tree(m));
    }

    private static Map<String, Object> tree(ImmutableMessage m) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("vchannel", m.vchannel());
        j.put("messageId", m.id().toString());
        j.put("timeTick", unsigned(m.timeTick()));
        j.put("type", m.type().name());
        if (m.txn() != null && m.txn().getTxnId() != 0) {
            j.put("txnId", m.txn().getTxnId());
        }
        if (m.type() == MessageType.TXN) {
            List<Object> parts = new ArrayList<>();
            for (ImmutableMessage part : m.txnMessages()) {
                parts.add(tree(part));
            }
            j.put("messages", parts);
        } else {
            j.putAll(fields(m));
        }
        j.put("properties", new TreeMap<>(m.properties()));
        return j;
    }

    /** One line of text (a TXN: one line, then one indented line per part). */
    static String human(ImmutableMessage m) {
        StringBuilder b = new StringBuilder();
        line(b, m, "");
        if (m.type() == MessageType.TXN) {
            for (ImmutableMessage part : m.txnMessages()) {
                b.append(System.lineSeparator());
                line(b, part, "  ");
            }
        }
        return b.toString();
    }

    private static void line(StringBuilder b, ImmutableMessage m, String indent) {
        b.append(indent).append(m.vchannel()).append(' ').append(m.id())
                .append(" tt=").append(Long.toUnsignedString(m.timeTick()))
                .append(' ').append(TimeTicks.toInstant(m.timeTick()))
                .append(' ').append(m.type().name());
        Map<String, String> props = new TreeMap<>(m.properties());
        if (!props.isEmpty()) {
            b.append(' ').append(props);
        }
        if (m.type() == MessageType.TXN) {
            b.append(" txn=").append(m.txn() == null ? 0 : m.txn().getTxnId())
                    .append(" parts=").append(m.txnMessages().size());
            return;
        }
        if (m.txn() != null && m.txn().getTxnId() != 0) {
            b.append(" txn=").append(m.txn().getTxnId());
        }
        Map<String, Object> f = fields(m);
        if (f.containsKey("payload") && f.size() <= 2) {
            b.append(' ').append(Payloads.human(m.payload()));
            return;
        }
        f.forEach((k, v) -> b.append(' ').append(humanName(k)).append('=').append(humanValue(k, v)));
    }

    private static String humanName(String field) {
        switch (field) {
            case "collectionId":
                return "collection";
            case "partitionId":
                return "partition";
            case "segmentId":
                return "segment";
            case "rowCount":
                return "rowCount";
            default:
                return field;
        }
    }

    private static String humanValue(String field, Object v) {
        if (v instanceof String s) {
            return s;
        }
        if ("rows".equals(field) && v instanceof List<?> rows && rows.size() > HUMAN_ROWS) {
            return Rows.toJson(rows.subList(0, HUMAN_ROWS)) + "...(" + (rows.size() - HUMAN_ROWS) + " more)";
        }
        return Rows.toJson(v);
    }

    /** The type's fields, as the class comment lists them. */
    static Map<String, Object> fields(ImmutableMessage m) {
        Map<String, Object> f = new LinkedHashMap<>();
        MessageHeader h = m.header();
        try {
            switch (m.type()) {
                case INSERT:
                    insert(f, h.getInsert(), InsertBody.parseFrom(m.payload()));
                    break;
                case DELETE: {
                    DeleteBody body = DeleteBody.parseFrom(m.payload());
                    f.put("collectionId", h.getDelete().getCollectionId());
                    f.put("rowCount", h.getDelete().getRows());
                    f.put("pks", body.hasIntPks() ? body.getIntPks().getValuesList() : body.getStringPks().getValuesList());
                    break;
                }
                case CREATE_COLLECTION: {
                    CreateCollectionBody body = CreateCollectionBody.parseFrom(m.payload());
                    f.put("collectionId", h.getCreateCollection().getCollectionId());
                    f.put("name", body.getName());
                    f.put("schema", schema(body.getSchema()));
                    f.put("vchannels", body.getVchannelsList());
                    List<Object> partitions = new ArrayList<>();
                    for (Partition p : body.getPartitionsList()) {
                        Map<String, Object> pj = new LinkedHashMap<>();
                        pj.put("id", p.getId());
                        pj.put("name", p.getName());
                        partitions.add(pj);
                    }
                    f.put("partitions", partitions);
                    break;
                }
                case DROP_COLLECTION:
                    f.put("collectionId", h.getDropCollection().getCollectionId());
                    break;
                case CREATE_PARTITION:
                    f.put("collectionId", h.getCreatePartition().getCollectionId());
                    f.put("partitionId", h.getCreatePartition().getPartitionId());
                    f.put("name", CreatePartitionBody.parseFrom(m.payload()).getName());
                    break;
                case DROP_PARTITION:
                    f.put("collectionId", h.getDropPartition().getCollectionId());
                    f.put("partitionId", h.getDropPartition().getPartitionId());
                    break;
                case ALTER_COLLECTION:
                    f.put("collectionId", h.getAlterCollection().getCollectionId());
                    f.put("schemaVersion", (long) h.getAlterCollection().getSchemaVersion());
                    f.put("schema", schema(AlterCollectionBody.parseFrom(m.payload()).getSchema()));
                    break;
                case MANUAL_FLUSH: {
                    ManualFlushHeader mf = h.getManualFlush();
                    f.put("collectionId", mf.getCollectionId());
                    f.put("flushTimeTick", unsigned(mf.getFlushTimeTick()));
                    f.put("segmentIds", mf.getSegmentIdsList());
                    break;
                }
                case CREATE_SEGMENT: {
                    CreateSegmentHeader cs = h.getCreateSegment();
                    f.put("collectionId", cs.getCollectionId());
                    f.put("partitionId", cs.getPartitionId());
                    f.put("segmentId", cs.getSegmentId());
                    break;
                }
                case FLUSH: {
                    FlushHeader fh = h.getFlush();
                    f.put("collectionId", fh.getCollectionId());
                    f.put("partitionId", fh.getPartitionId());
                    f.put("segmentId", fh.getSegmentId());
                    break;
                }
                case TIME_TICK:
                case BEGIN_TXN:
                case COMMIT_TXN:
                case ROLLBACK_TXN:
                    break;
                default:
                    payload(f, m);
            }
        } catch (InvalidProtocolBufferException | StreamingException e) {
            f.clear();
            payload(f, m);
        }
        return f;
    }

    private static void insert(Map<String, Object> f, InsertHeader h, InsertBody body) {
        f.put("collectionId", h.getCollectionId());
        f.put("partitionId", body.getPartitionId());
        long segment = 0;
        for (PartitionSegment p : h.getPartitionsList()) {
            if (p.getPartitionId() == body.getPartitionId()) {
                segment = p.getSegmentId();
            }
        }
        f.put("segmentId", segment);
        f.put("rowCount", (long) body.getNumRows());
        f.put("rows", Rows.fromInsertBody(body));
    }

    private static Object schema(CollectionSchema schema) {
        return Rows.parseJsonValue(SchemaJson.toJson(schema));
    }

    private static void payload(Map<String, Object> f, ImmutableMessage m) {
        String text = Payloads.text(m.payload());
        if (text != null) {
            f.put("payload", text);
        } else {
            f.put("payload", Payloads.base64(m.payload()));
            f.put("encoding", "base64");
        }
    }

    /** A uint64 of the wire (a time tick) as a JSON number: a Long, or a BigInteger beyond Long.MAX_VALUE. */
    static Object unsigned(long v) {
        return v >= 0 ? (Object) v : new BigInteger(Long.toUnsignedString(v));
    }
}
