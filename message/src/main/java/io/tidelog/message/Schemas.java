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
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Collection schemas (DESIGN.md section 5): their JSON form, their rules, and names.
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
 *
 * <p><b>Rules</b> ({@link #validate}): one to {@value #MAX_FIELDS} fields with unique
 * {@linkplain #validateName names}; exactly one primary key, INT64 or VARCHAR and not nullable; a VARCHAR
 * has a {@code maxLength} of 1 to {@value #MAX_VARCHAR_LENGTH} bytes of UTF-8; at most
 * {@value #MAX_VECTOR_FIELDS} FLOAT_VECTOR fields, each with a {@code dim} of 1 to {@value #MAX_DIM} and
 * not nullable; {@code maxLength} and {@code dim} only where they apply.
 */
public final class Schemas {
    public static final int MAX_FIELDS = 64;
    public static final int MAX_VECTOR_FIELDS = 4;
    public static final int MAX_DIM = 32768;
    public static final int MAX_VARCHAR_LENGTH = 65535;
    public static final int MAX_NAME_LENGTH = 255;

    private static final Set<String> SCHEMA_KEYS = Set.of("fields", "version");
    private static final Set<String> FIELD_KEYS = Set.of("name", "type", "primaryKey", "nullable", "maxLength", "dim",
            "fieldId");

    private Schemas() {
    }

    /**
     * Checks a collection, partition or field name: 1 to {@value #MAX_NAME_LENGTH} ASCII letters, digits and
     * {@code _}, not starting with a digit.
     *
     * @param what what the name names, for the message ("collection", "field", ...)
     * @throws StreamingException {@code INVALID_ARGUMENT} naming the name and the rule
     */
    public static void validateName(String what, String name) {
        if (name == null || name.isEmpty()) {
            throw StreamingException.invalidArgument("a " + what + " name must not be empty");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw StreamingException.invalidArgument(what + " name '" + name.substring(0, 32) + "...' has "
                    + name.length() + " characters, at most " + MAX_NAME_LENGTH + " are allowed");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9';
            if (!ok) {
                throw StreamingException.invalidArgument(what + " name '" + name + "' may contain only ASCII letters,"
                        + " digits and '_' and may not start with a digit; found '" + c + "' at index " + i);
            }
        }
    }

    /**
     * Checks {@code schema} against the rules of the class comment.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} naming the first field that breaks a rule, and the rule
     */
    public static void validate(CollectionSchema schema) {
        int fields = schema.getFieldsCount();
        if (fields == 0) {
            throw StreamingException.invalidArgument("a schema needs at least one field (its primary key)");
        }
        if (fields > MAX_FIELDS) {
            throw StreamingException.invalidArgument("a schema has at most " + MAX_FIELDS + " fields, got " + fields);
        }
        Set<String> names = new HashSet<>();
        String primaryKey = null;
        int vectors = 0;
        for (FieldSchema f : schema.getFieldsList()) {
            validateName("field", f.getName());
            if (!names.add(f.getName())) {
                throw bad(f, "appears more than once");
            }
            validateField(f);
            if (f.getPrimaryKey()) {
                if (primaryKey != null) {
                    throw bad(f, "is a second primary key (the first is '" + primaryKey + "'); a schema has exactly one");
                }
                primaryKey = f.getName();
            }
            if (f.getType() == DataType.FLOAT_VECTOR && ++vectors > MAX_VECTOR_FIELDS) {
                throw bad(f, "is FLOAT_VECTOR field number " + vectors + "; a schema has at most " + MAX_VECTOR_FIELDS);
            }
        }
        if (primaryKey == null) {
            throw StreamingException.invalidArgument("the schema has no primary key: mark one INT64 or VARCHAR field"
                    + " with \"primaryKey\": true");
        }
    }

    /** Checks one field on its own (type, primary key, nullability, maxLength, dim); see {@link #validate}. */
    public static void validateField(FieldSchema f) {
        DataType t = f.getType();
        if (t == DataType.DATA_TYPE_UNSPECIFIED || t == DataType.UNRECOGNIZED) {
            throw bad(f, "has no type; one of BOOL, INT32, INT64, FLOAT, DOUBLE, VARCHAR, JSON, FLOAT_VECTOR");
        }
        if (f.getPrimaryKey()) {
            if (t != DataType.INT64 && t != DataType.VARCHAR) {
                throw bad(f, "is a primary key of type " + t + "; a primary key is INT64 or VARCHAR");
            }
            if (f.getNullable()) {
                throw bad(f, "is a primary key and may not be nullable");
            }
        }
        if (t == DataType.VARCHAR) {
            if (f.getMaxLength() < 1 || f.getMaxLength() > MAX_VARCHAR_LENGTH) {
                throw bad(f, "is VARCHAR and needs a maxLength of 1 to " + MAX_VARCHAR_LENGTH + " bytes, got "
                        + f.getMaxLength());
            }
        } else if (f.getMaxLength() != 0) {
            throw bad(f, "is " + t + "; maxLength applies to VARCHAR only");
        }
        if (t == DataType.FLOAT_VECTOR) {
            if (f.getDim() < 1 || f.getDim() > MAX_DIM) {
                throw bad(f, "is FLOAT_VECTOR and needs a dim of 1 to " + MAX_DIM + ", got " + f.getDim());
            }
            if (f.getNullable()) {
                throw bad(f, "is FLOAT_VECTOR and may not be nullable");
            }
        } else if (f.getDim() != 0) {
            throw bad(f, "is " + t + "; dim applies to FLOAT_VECTOR only");
        }
    }

    private static StreamingException bad(FieldSchema f, String problem) {
        return StreamingException.invalidArgument("field '" + f.getName() + "' " + problem);
    }

    /** The primary key field of a {@linkplain #validate valid} schema. */
    public static FieldSchema primaryKey(CollectionSchema schema) {
        for (FieldSchema f : schema.getFieldsList()) {
            if (f.getPrimaryKey()) {
                return f;
            }
        }
        throw StreamingException.invalidArgument("the schema has no primary key");
    }

    /**
     * The schema written in {@code json} (the class comment's form). Not {@linkplain #validate validated}:
     * only its form is checked.
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
