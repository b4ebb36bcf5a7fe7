package io.tidelog.cli;

import io.tidelog.client.CollectionDescription;
import io.tidelog.common.StreamingException;
import io.tidelog.message.CollectionSchemas;
import io.tidelog.message.Rows;
import io.tidelog.message.SchemaJson;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How the collection commands show a collection. JSON (stable field names): {@code {"name", "collectionId",
 * "state", "shards", "vchannels", "replicas", "partitions": [{"id", "name", "state"}], "schema": {"fields", "version"}}};
 * states are the catalog's (COLLECTION_CREATED, PARTITION_CREATED, ...).
 */
final class CollectionText {
    private CollectionText() {
    }

    static String json(CollectionDescription c) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("name", c.name());
        j.put("collectionId", c.id());
        j.put("state", c.state().name());
        j.put("shards", (long) c.shards());
        j.put("vchannels", c.vchannels());
        j.put("replicas", (long) c.replicas());
        List<Object> partitions = new ArrayList<>();
        for (CollectionDescription.Partition p : c.partitions()) {
            Map<String, Object> pj = new LinkedHashMap<>();
            pj.put("id", p.id());
            pj.put("name", p.name());
            pj.put("state", p.state().name());
            partitions.add(pj);
        }
        j.put("partitions", partitions);
        j.put("schema", Rows.parseJsonValue(SchemaJson.toJson(c.schema())));
        return Rows.toJson(j);
    }

    /** Several lines: the collection, its vchannels, replicas and partitions, then one line per field. */
    static String human(CollectionDescription c) {
        String nl = System.lineSeparator();
        StringBuilder b = new StringBuilder();
        b.append("collection ").append(c.name()).append(" (id ").append(c.id()).append("): ")
                .append(c.state().name()).append(", ").append(c.shards()).append(c.shards() == 1 ? " shard" : " shards").append(nl);
        b.append("  vchannels:  ").append(String.join(" ", c.vchannels())).append(nl);
        b.append("  replicas:   ").append(c.replicas()).append(nl);
        b.append("  partitions:");
        for (CollectionDescription.Partition p : c.partitions()) {
            b.append(' ').append(p.name()).append(" (id ").append(p.id()).append(')');
        }
        b.append(nl).append("  schema version ").append(c.schema().getVersion()).append(':').append(nl);
        int width = c.schema().getFieldsList().stream().mapToInt(f -> f.getName().length()).max().orElse(0);
        for (FieldSchema f : c.schema().getFieldsList()) {
            b.append("    ").append(String.format("%-" + width + "s", f.getName())).append("  ").append(type(f));
            if (f.getPrimaryKey()) {
                b.append(" primary key");
            }
            if (f.getNullable()) {
                b.append(" nullable");
            }
            b.append("  (field ").append(f.getFieldId()).append(')').append(nl);
        }
        return b.toString();
    }

    static String type(FieldSchema f) {
        if (f.getType() == DataType.VARCHAR) {
            return "VARCHAR(" + f.getMaxLength() + ")";
        }
        if (f.getType() == DataType.FLOAT_VECTOR) {
            return "FLOAT_VECTOR(" + f.getDim() + ")";
        }
        return f.getType().name();
    }

    /** A table of collections: name, id, state, shards, partitions, fields. */
    static String table(List<CollectionDescription> all) {
        if (all.isEmpty()) {
            return "no collections" + System.lineSeparator();
        }
        TextTable table = new TextTable("NAME", "ID", "STATE", "SHARDS", "PARTITIONS", "FIELDS");
        for (CollectionDescription c : all) {
            table.row(c.name(), Long.toString(c.id()), c.state().name(), Integer.toString(c.shards()),
                Integer.toString(c.partitions().size()), Integer.toString(c.schema().getFieldsCount()));
        }
        return table.toString();
    }

    /** The keys as the collection's key type: numbers for INT64, the text itself for VARCHAR. */
    static List<Object> primaryKeys(CollectionDescription c, List<String> pks) {
        boolean intKeys = CollectionSchemas.primaryKey(c.schema()).getType() == DataType.INT64;
        List<Object> keys = new ArrayList<>();
        for (String pk : pks) {
            if (!intKeys) {
                keys.add(pk);
                continue;
            }
            try {
                keys.add(Long.parseLong(pk.trim()));
            } catch (NumberFormatException e) {
                throw StreamingException.invalidArgument("primary key '" + pk + "' is not an INT64 (the primary key of "
                        + c.name() + " is " + CollectionSchemas.primaryKey(c.schema()).getName() + ", INT64)");
            }
        }
        return keys;
    }
}
