package io.tidelog.node.shard;

import io.tidelog.common.StreamingException;
import io.tidelog.message.CollectionSchemas;
import io.tidelog.message.MutableMessage;
import io.tidelog.message.RowValidator;
import io.tidelog.message.Vchannels;
import io.tidelog.node.state.CollectionShard;
import io.tidelog.node.state.PchannelState;
import io.tidelog.proto.AlterCollectionBody;
import io.tidelog.proto.AlterCollectionHeader;
import io.tidelog.proto.CreateCollectionBody;
import io.tidelog.proto.CreateCollectionHeader;
import io.tidelog.proto.CreatePartitionHeader;
import io.tidelog.proto.DeleteBody;
import io.tidelog.proto.DeleteHeader;
import io.tidelog.proto.InsertBody;
import io.tidelog.proto.InsertHeader;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.Partition;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The DDL/DML invariants of a collection shard, checked on append before anything is written (each violation
 * fails with {@code INVALID_ARGUMENT} naming the vchannel and the collection, and nothing is appended):
 * <ul>
 *   <li>Insert and Delete only into a collection created and not dropped on their vchannel, naming it;
 *       an Insert only into a partition that exists, with rows matching the current schema
 *       ({@link RowValidator}); a Delete with primary keys of the key's type;</li>
 *   <li>CreateCollection only on a vchannel named for it ({@code <pchannel>_<collectionId>v<shard>}) that
 *       never held a collection, with a valid schema and at least one partition; CreatePartition of a new id;
 *       DropPartition of an existing partition other than the default; AlterCollection only to a compatible
 *       schema ({@link CollectionSchemas#validateChange}); every DDL only on a live collection;</li>
 *   <li>Raw (also as the body of a transaction) only on a vchannel that is not a collection's: neither of the
 *       collection form ({@link Vchannels#isCollectionVchannel}: the name decides, whatever the state, so a
 *       dropped collection's vchannel, one whose state was forgotten or never seen, and one of a collection not
 *       created yet all refuse it, identically after a restart) nor holding or having held a collection (a
 *       collection the log created under another name, before this rule).</li>
 * </ul>
 * Together they keep a vchannel's contents one kind: a collection's shard carries no Raw message, and a
 * vchannel that carries Raw never becomes a collection's shard (its name is not of the collection form).
 *
 * <p>Pure functions of a message and the collection its vchannel holds ({@link PchannelState}); the
 * {@link ShardManager} calls them inside the vchannel locks, so the collection they are given is the one the log
 * defines just before the message.
 */
final class ShardRules {
    /** The most partitions a collection has at once. */
    static final int MAX_PARTITIONS = 4096;

    private ShardRules() {
    }

    /** {@code c}, the collection of {@code vchannel} (or null), if it is {@code collectionId} and not dropped. */
    static CollectionShard live(CollectionShard c, String vchannel, long collectionId, MessageType what) {
        if (c == null) {
            throw invalid("vchannel " + vchannel + ", collection " + collectionId + ": the vchannel has no collection;"
                    + " no " + what + " before CreateCollection");
        }
        if (c.collectionId() != collectionId) {
            throw invalid(c.where() + ": the " + what + " names collection " + collectionId
                    + ", which is not on this vchannel");
        }
        if (c.isDropped()) {
            throw invalid(c.where() + ": the collection was dropped; no " + what + " after DropCollection");
        }
        return c;
    }

    /** The partition the insert goes to: named by the body (0: the default) or the header; it must exist. */
    static long insertPartition(CollectionShard c, InsertHeader h, InsertBody body) {
        if (h.getPartitionsCount() > 1) {
            throw invalid(c.where() + ": an insert's rows go to one partition, its header lists "
                    + h.getPartitionsCount());
        }
        long named = h.getPartitionsCount() == 1 ? h.getPartitions(0).getPartitionId() : 0;
        if (named != 0 && body.getPartitionId() != 0 && named != body.getPartitionId()) {
            throw invalid(c.where() + ": the insert's header names partition " + named + ", its body "
                    + body.getPartitionId());
        }
        long p = body.getPartitionId() != 0 ? body.getPartitionId() : named != 0 ? named : c.defaultPartition();
        if (!c.partitions().contains(p)) {
            throw invalid(c.where() + ": partition " + p + " does not exist (never created, or dropped)");
        }
        return p;
    }

    /** The insert's rows match the collection's current schema. */
    static void checkRows(CollectionShard c, InsertBody body) {
        RowValidator validator = c.rows();
        try {
            validator.checkInsert(body);
        } catch (StreamingException e) {
            throw invalid(c.where() + ", schema version " + validator.schema().getVersion() + ": " + e.detail());
        }
    }

    /** An insert of {@code rows} and {@code bytes} fits in one segment. */
    static void checkFitsASegment(CollectionShard c, ShardConfig config, long rows, long bytes) {
        if (bytes > config.segmentMaxBytes() || (config.segmentMaxRows() != 0 && rows > config.segmentMaxRows())) {
            throw invalid(c.where() + ": an insert of " + rows + " rows and " + bytes + " bytes is larger than a whole"
                    + " segment (" + config.segmentMaxBytes() + " bytes" + (config.segmentMaxRows() == 0 ? ""
                    : ", " + config.segmentMaxRows() + " rows") + "); split it");
        }
    }

    /** The delete of the live collection {@code c}, with its row count in the header. */
    static MutableMessage checkedDelete(CollectionShard c, MutableMessage m) {
        DeleteHeader h = m.header(DeleteHeader.class);
        DeleteBody body = m.body(DeleteBody.parser());
        int keys;
        try {
            keys = c.rows().checkDelete(body);
        } catch (StreamingException e) {
            throw invalid(c.where() + ": " + e.detail());
        }
        if (h.getRows() == keys) {
            return m;
        }
        if (h.getRows() != 0) {
            throw invalid(c.where() + ": the delete's header says " + h.getRows() + " rows, its body has " + keys
                    + " primary keys");
        }
        return m.withHeader(h.toBuilder().setRows(keys).build());
    }

    /** A Raw message goes to a vchannel that is not a collection's, by name or by state ({@code held}, or null). */
    static void checkRaw(String pchannel, MutableMessage m, CollectionShard held) {
        if (Vchannels.isCollectionVchannel(m.vchannel())) {
            throw invalid("vchannel " + m.vchannel() + ": a RAW message cannot go to a collection's vchannel (names"
                    + " <pchannel>_<collection id>v<shard> are reserved for collection shards); use another suffix,"
                    + " such as " + pchannel + "_events");
        }
        if (held != null) {
            throw invalid(held.where() + ": a RAW message cannot go to a vchannel that holds or held a collection ("
                    + held.state() + ")");
        }
    }

    /** A CreateCollection on a vchannel that holds {@code existing} (or nothing: null). */
    static void checkCreateCollection(MutableMessage m, CollectionShard existing) {
        CreateCollectionHeader h = m.header(CreateCollectionHeader.class);
        String where = "vchannel " + m.vchannel() + ", collection " + h.getCollectionId();
        if (h.getCollectionId() <= 0) {
            throw invalid(where + ": a collection id is positive");
        }
        OptionalLong named = Vchannels.collectionIdOf(m.vchannel());
        if (named.isEmpty() || named.getAsLong() != h.getCollectionId()) {
            throw invalid(where + ": the shards of collection " + h.getCollectionId() + " are named <pchannel>_"
                    + h.getCollectionId() + "v<shard>, and " + m.vchannel() + " is not");
        }
        CreateCollectionBody body = m.body(CreateCollectionBody.parser());
        checkPartitionIds(where, h.getPartitionIdsList(), body);
        if (body.getVchannelsCount() > 0 && !body.getVchannelsList().contains(m.vchannel())) {
            throw invalid(where + ": the CreateCollection lists vchannels " + body.getVchannelsList()
                    + ", not this one");
        }
        try {
            CollectionSchemas.validate(body.getSchema());
        } catch (StreamingException e) {
            throw invalid(where + ": " + e.detail());
        }
        if (existing != null) {
            throw invalid(where + ": the vchannel already holds collection " + existing.collectionId()
                    + " (" + existing.state() + "); a vchannel holds one collection, created once");
        }
    }

    private static void checkPartitionIds(String where, List<Long> ids, CreateCollectionBody body) {
        if (ids.isEmpty()) {
            throw invalid(where + ": a CreateCollection lists at least one partition (the first is the default)");
        }
        if (ids.size() > MAX_PARTITIONS) {
            throw invalid(where + ": a collection has at most " + MAX_PARTITIONS + " partitions");
        }
        Set<Long> seen = new HashSet<>();
        for (long p : ids) {
            if (p <= 0 || !seen.add(p)) {
                throw invalid(where + ": partition ids are positive and distinct, got " + ids);
            }
        }
        if (body.getPartitionsCount() > 0) {
            List<Long> named = new ArrayList<>();
            for (Partition p : body.getPartitionsList()) {
                named.add(p.getId());
            }
            if (!named.equals(ids)) {
                throw invalid(where + ": the header lists partitions " + ids + ", the body " + named);
            }
        }
    }

    static void checkCreatePartition(CollectionShard c, CreatePartitionHeader h) {
        if (h.getPartitionId() <= 0) {
            throw invalid(c.where() + ": a partition id is positive, got " + h.getPartitionId());
        }
        if (c.partitions().contains(h.getPartitionId())) {
            throw invalid(c.where() + ": partition " + h.getPartitionId() + " already exists");
        }
        if (c.partitions().size() >= MAX_PARTITIONS) {
            throw invalid(c.where() + ": a collection has at most " + MAX_PARTITIONS + " partitions");
        }
    }

    static void checkDropPartition(CollectionShard c, long p) {
        if (!c.partitions().contains(p)) {
            throw invalid(c.where() + ": cannot drop partition " + p + ": it does not exist (never created, or dropped)");
        }
        if (p == c.defaultPartition()) {
            throw invalid(c.where() + ": cannot drop partition " + p + ": it is the default partition");
        }
    }

    static void checkAlterCollection(CollectionShard c, AlterCollectionHeader h, AlterCollectionBody body) {
        try {
            CollectionSchemas.validateChange(c.rows().schema(), body.getSchema());
        } catch (StreamingException e) {
            throw invalid(c.where() + ": " + e.detail());
        }
        if (h.getSchemaVersion() != 0 && h.getSchemaVersion() != body.getSchema().getVersion()) {
            throw invalid(c.where() + ": the AlterCollection header names schema version " + h.getSchemaVersion()
                    + ", its body " + body.getSchema().getVersion());
        }
    }

    static StreamingException invalid(String message) {
        return StreamingException.invalidArgument(message);
    }
}
