package io.tidelog.message;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import java.util.Map;
import java.util.Set;

/**
 * The JSON form of collection schemas (DESIGN.md section 5); their rules are {@link CollectionSchemas}'.
 *
 * <p><b>JSON form</b>, as the CLI reads it from a file and {@code describe} prints it:
 * <pre>
 * {"fields": [{"name": "id",    "type": "INT64", "primaryKey": true},
 *             {"name": "title", "type": "VARCHAR", "maxLength": 256},
 *             {"name": "price", "type": "DOUBLE", "nullable": true},
 *             {"name": "emb",   "type": "FLOAT_VECTOR", "dim": 4}]}
 * </pre>
 * Field keys: {@code name}, {@code type} (a {@link DataType} name), {@code primaryKey}, {@code nullable},
 * {@code maxLength} (VARCHAR), {@code dim} (FLOAT_VECTOR), and {@code fieldId}; the schema also takes
 * {@code version}. Ids and the version are assigned by the coordinator: {@link #toJson} prints them,
 * {@link #parseJson} accepts them so that printed schemas read back. Any other key is an error.
 */
public final class SchemaJson {

    private static final Set<String> SCHEMA_KEYS = Set.of("fields", "version");
    private static final Set<String> FIELD_KEYS = Set.of("name", "type", "primaryKey", "nullable", "maxLength", "dim",
            "fieldId");

    private SchemaJson() {
    }

    /**
     * The schema written in {@code json} (the class comment's form). Not
     * {@linkplain CollectionSchemas#validate validated}: only its form is checked.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} for malformed JSON, an unknown key, a value of the
     *         wrong JSON type or an unknown type name, naming the field
     */
    public static CollectionSchema parseJson(String json) {
        JsonElement root;
        try {
            root = JsonParser.parseString(json);
        } catch (JsonParseException e) {
            throw StreamingException.invalidArgument("the schema is not valid JSON: " + Rows.cause(e));
        }
        if (!root.isJsonObject()) {
            throw StreamingException.invalidArgument("a schema is a JSON object {\"fields\": [...]}");
        }
        JsonObject o = root.getAsJsonObject();
        rejectUnknownKeys(o, SCHEMA_KEYS, "the schema");
        CollectionSchema.Builder b = CollectionSchema.newBuilder();
        if (o.has("version")) {
            b.setVersion(integer(o.get("version"), "the schema's version"));
        }
        JsonElement fields = o.get("fields");
        if (fields == null || !fields.isJsonArray()) {
            throw StreamingException.invalidArgument("a schema needs \"fields\": an array of field objects");
        }
        JsonArray array = fields.getAsJsonArray();
        for (int i = 0; i < array.size(); i++) {
            b.addFields(parseField(array.get(i), i));
        }
        return b.build();
    }

    /**
     * One field in the class comment's form, as {@code alter} takes it.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} as {@link #parseJson}
     */
    public static FieldSchema parseFieldJson(String json) {
        try {
            return parseField(JsonParser.parseString(json), 0);
        } catch (JsonParseException e) {
            throw StreamingException.invalidArgument("the field is not valid JSON: " + Rows.cause(e));
        }
    }

    private static FieldSchema parseField(JsonElement e, int index) {
        String where = "field " + index;
        if (!e.isJsonObject()) {
            throw StreamingException.invalidArgument(where + " of the schema is not a JSON object");
        }
        JsonObject o = e.getAsJsonObject();
        JsonElement name = o.get("name");
        if (name == null || !isString(name)) {
            throw StreamingException.invalidArgument(where + " of the schema needs a \"name\" string");
        }
        FieldSchema.Builder f = FieldSchema.newBuilder().setName(name.getAsString());
        where = "field '" + f.getName() + "'";
        rejectUnknownKeys(o, FIELD_KEYS, where);
        JsonElement type = o.get("type");
        if (type == null || !isString(type)) {
            throw StreamingException.invalidArgument(where + " needs a \"type\": one of BOOL, INT32, INT64, FLOAT,"
                    + " DOUBLE, VARCHAR, JSON, FLOAT_VECTOR");
        }
        DataType t = dataType(type.getAsString());
        if (t == null) {
            throw StreamingException.invalidArgument(where + " has unknown type '" + type.getAsString()
                    + "'; one of BOOL, INT32, INT64, FLOAT, DOUBLE, VARCHAR, JSON, FLOAT_VECTOR");
        }
        f.setType(t);
        if (o.has("primaryKey")) {
            f.setPrimaryKey(bool(o.get("primaryKey"), where + ": primaryKey"));
        }
        if (o.has("nullable")) {
            f.setNullable(bool(o.get("nullable"), where + ": nullable"));
        }
        if (o.has("maxLength")) {
            f.setMaxLength(integer(o.get("maxLength"), where + ": maxLength"));
        }
        if (o.has("dim")) {
            f.setDim(integer(o.get("dim"), where + ": dim"));
        }
        if (o.has("fieldId")) {
            f.setFieldId(integer(o.get("fieldId"), where + ": fieldId"));
        }
        return f.build();
    }

    private static DataType dataType(String name) {
        for (DataType t : DataType.values()) {
            if (t != DataType.UNRECOGNIZED && t != DataType.DATA_TYPE_UNSPECIFIED && t.name().equalsIgnoreCase(name)) {
                return t;
            }
        }
        return null;
    }

    private static void rejectUnknownKeys(JsonObject o, Set<String> known, String where) {
        for (Map.Entry<String, JsonElement> e : o.entrySet()) {
            if (!known.contains(e.getKey())) {
                throw StreamingException.invalidArgument(where + " has unknown key \"" + e.getKey() + "\"; known: "
                        + new java.util.TreeSet<>(known));
            }
        }
    }

    private static boolean isString(JsonElement e) {
        return e.isJsonPrimitive() && e.getAsJsonPrimitive().isString();
    }

    private static boolean bool(JsonElement e, String what) {
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw StreamingException.invalidArgument(what + " must be true or false, got " + e);
        }
        return e.getAsBoolean();
    }

    private static int integer(JsonElement e, String what) {
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            Object v = Rows.number(e.getAsJsonPrimitive().getAsString());
            if (v instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) {
                return l.intValue();
            }
        }
        throw StreamingException.invalidArgument(what + " must be an integer, got " + e);
    }

    /** {@code schema} in the class comment's JSON form, on one line; keys in a fixed order. */
    public static String toJson(CollectionSchema schema) {
        JsonObject o = new JsonObject();
        JsonArray fields = new JsonArray();
        for (FieldSchema f : schema.getFieldsList()) {
            fields.add(fieldToJsonTree(f));
        }
        o.add("fields", fields);
        o.addProperty("version", schema.getVersion());
        return o.toString();
    }

    /** One field in the class comment's JSON form, on one line. */
    public static String toJson(FieldSchema field) {
        return fieldToJsonTree(field).toString();
    }

    private static JsonObject fieldToJsonTree(FieldSchema f) {
        JsonObject j = new JsonObject();
        j.addProperty("name", f.getName());
        j.addProperty("type", f.getType().name());
        if (f.getFieldId() != 0) {
            j.addProperty("fieldId", f.getFieldId());
        }
        if (f.getPrimaryKey()) {
            j.add("primaryKey", new JsonPrimitive(true));
        }
        if (f.getNullable()) {
            j.add("nullable", new JsonPrimitive(true));
        }
        if (f.getMaxLength() != 0) {
            j.addProperty("maxLength", f.getMaxLength());
        }
        if (f.getDim() != 0) {
            j.addProperty("dim", f.getDim());
        }
        return j;
    }
}
