package io.tidelog.message;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.protobuf.ByteString;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.Column;
import io.tidelog.proto.InsertBody;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rows as Java values and as JSON: a row is a {@code Map<String, ?>} from field name to value.
 *
 * <p><b>Values.</b> {@code null}; {@link Boolean}; a {@link Number} ({@link #parseJson} makes a {@link Long}
 * of an integer literal that fits, a {@link BigInteger} of one that does not, and a {@link Double} of any
 * other number); {@link String}; a {@link List} (a vector, or a JSON array); a {@link Map} (a JSON object);
 * or a {@code float[]} (a vector). {@link RowBatch} checks them against a schema.
 *
 * <p>JSON is read with Gson's tree parser, which keeps each number's literal text, so an INT64 such as
 * {@code 9007199254740993} is read exactly (a parser that goes through {@code double} would not).
 */
public final class Rows {
    private Rows() {
    }

    /**
     * The JSON object {@code json} as a row (keys in document order).
     *
     * @param rowNumber the row's number in what the caller reads, for the error message
     * @throws StreamingException {@code INVALID_ARGUMENT} "row N: ..." if it is not one JSON object
     */
    public static Map<String, Object> parseJson(String json, long rowNumber) {
        JsonElement e;
        try {
            e = JsonParser.parseString(json);
        } catch (JsonParseException ex) {
            throw StreamingException.invalidArgument("row " + rowNumber + ": not valid JSON: " + cause(ex));
        }
        if (!e.isJsonObject()) {
            throw StreamingException.invalidArgument("row " + rowNumber + ": a row is a JSON object {\"field\": value,"
                    + " ...}, got " + abbreviate(json));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> row = (Map<String, Object>) fromJsonTree(e);
        return row;
    }

    /** The value of a JSON document (any JSON value), as {@link #parseJson} makes values. */
    public static Object parseJsonValue(String json) {
        try {
            return fromJsonTree(JsonParser.parseString(json));
        } catch (JsonParseException ex) {
            throw StreamingException.invalidArgument("not valid JSON: " + cause(ex));
        }
    }

    /**
     * The index of the first UTF-16 unit of {@code s} that is half of a surrogate pair alone, or -1 if there is none.
     * Such a string is not Unicode text and has no UTF-8 form: encoding it (protobuf, {@code String.getBytes}) puts a
     * '?' in place of the half, silently, so whatever is sent or stored must be checked before.
     */
    public static int unpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    /** {@code value} (a row, or any value of the class comment) as JSON on one line; nulls are written. */
    public static String toJson(Object value) {
        return toJsonTree(value).toString();
    }

    /**
     * The rows of an insert body, in order, as {@link #parseJson} would read them back: a field that is not
     * valid in a row is {@code null}; vectors are lists of {@link Float}; JSON fields are their parsed values.
     */
    public static List<Map<String, Object>> fromInsertBody(InsertBody body) {
        List<Map<String, Object>> rows = new ArrayList<>(body.getNumRows());
        for (int i = 0; i < body.getNumRows(); i++) {
            rows.add(new LinkedHashMap<>());
        }
        for (Column c : body.getColumnsList()) {
            for (int i = 0; i < body.getNumRows(); i++) {
                boolean valid = c.getValidCount() == 0 || i < c.getValidCount() && c.getValid(i);
                rows.get(i).put(c.getFieldName(), valid ? cell(c, i) : null);
            }
        }
        return rows;
    }

    private static Object cell(Column c, int i) {
        switch (c.getValuesCase()) {
            case BOOLS:
                return i < c.getBools().getValuesCount() ? c.getBools().getValues(i) : null;
            case INT32S:
                return i < c.getInt32S().getValuesCount() ? c.getInt32S().getValues(i) : null;
            case INT64S:
                return i < c.getInt64S().getValuesCount() ? c.getInt64S().getValues(i) : null;
            case FLOATS:
                return i < c.getFloats().getValuesCount() ? c.getFloats().getValues(i) : null;
            case DOUBLES:
                return i < c.getDoubles().getValuesCount() ? c.getDoubles().getValues(i) : null;
            case STRINGS:
                return i < c.getStrings().getValuesCount() ? c.getStrings().getValues(i) : null;
            case JSONS:
                if (i >= c.getJsons().getValuesCount()) {
                    return null;
                }
                ByteString json = c.getJsons().getValues(i);
                try {
                    return parseJsonValue(json.toStringUtf8());
                } catch (StreamingException e) {
                    return json.toStringUtf8();
                }
            case FLOAT_VECTORS:
                int dim = c.getFloatVectors().getDim();
                List<Float> all = c.getFloatVectors().getValuesList();
                if (dim <= 0 || (i + 1) * dim > all.size()) {
                    return null;
                }
                return List.copyOf(all.subList(i * dim, (i + 1) * dim));
            default:
                return null;
        }
    }

    static Object fromJsonTree(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (e.isJsonObject()) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> f : e.getAsJsonObject().entrySet()) {
                m.put(f.getKey(), fromJsonTree(f.getValue()));
            }
            return m;
        }
        if (e.isJsonArray()) {
            List<Object> l = new ArrayList<>(e.getAsJsonArray().size());
            for (JsonElement x : e.getAsJsonArray()) {
                l.add(fromJsonTree(x));
            }
            return l;
        }
        JsonPrimitive p = e.getAsJsonPrimitive();
        if (p.isBoolean()) {
            return p.getAsBoolean();
        }
        if (p.isNumber()) {
            return number(p.getAsString());
        }
        return p.getAsString();
    }

    /** A JSON number literal as a {@link Long}, a {@link BigInteger} (integers beyond long) or a {@link Double}. */
    static Object number(String literal) {
        boolean integral = !literal.isEmpty();
        for (int i = 0; i < literal.length(); i++) {
            char c = literal.charAt(i);
            if (!(c >= '0' && c <= '9' || i == 0 && c == '-' && literal.length() > 1)) {
                integral = false;
                break;
            }
        }
        if (integral) {
            try {
                return Long.parseLong(literal);
            } catch (NumberFormatException e) {
                return new BigInteger(literal);
            }
        }
        try {
            return Double.parseDouble(literal);
        } catch (NumberFormatException e) {
            throw StreamingException.invalidArgument("not a number: " + literal);
        }
    }

    static JsonElement toJsonTree(Object v) {
        if (v == null) {
            return JsonNull.INSTANCE;
        }
        if (v instanceof JsonElement j) {
            return j;
        }
        if (v instanceof Boolean b) {
            return new JsonPrimitive(b);
        }
        if (v instanceof Number n) {
            if ((n instanceof Double d && !Double.isFinite(d)) || (n instanceof Float f && !Float.isFinite(f))) {
                return new JsonPrimitive(n.toString());
            }
            return new JsonPrimitive(n instanceof BigDecimal || n instanceof BigInteger ? n : normalized(n));
        }
        if (v instanceof String s) {
            return new JsonPrimitive(s);
        }
        if (v instanceof byte[] bytes) {
            return new JsonPrimitive(new String(bytes, StandardCharsets.UTF_8));
        }
        if (v instanceof float[] fs) {
            JsonArray a = new JsonArray(fs.length);
            for (float f : fs) {
                a.add(toJsonTree(f));
            }
            return a;
        }
        if (v instanceof Map<?, ?> m) {
            JsonObject o = new JsonObject();
            m.forEach((k, x) -> o.add(String.valueOf(k), toJsonTree(x)));
            return o;
        }
        if (v instanceof Iterable<?> it) {
            JsonArray a = new JsonArray();
            it.forEach(x -> a.add(toJsonTree(x)));
            return a;
        }
        return new JsonPrimitive(v.toString());
    }

    private static Number normalized(Number n) {
        if (n instanceof Byte || n instanceof Short || n instanceof Integer) {
            return n.longValue();
        }
        return n;
    }

    static String cause(JsonParseException e) {
        Throwable t = e.getCause() != null ? e.getCause() : e;
        String m = t.getMessage();
        return m == null ? t.toString() : m.lines().findFirst().orElse(m);
    }

    static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
