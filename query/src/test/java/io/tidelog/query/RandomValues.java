package io.tidelog.query;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.tidelog.proto.FieldSchema;
import java.util.Random;

/**
 * Random values of every field type for the filter's oracle tests (here and, through this module's test-jar, the
 * server's): pools of edge values that the generated expressions also use as literals, strings with non-ASCII,
 * astral and escape-worthy characters, and JSON documents of the shape {@link #JSON_PATHS} probes.
 *
 * <p>With {@code finite} the numbers leave out NaN and the infinities, which the service refuses on insert
 * (rows hold finite numbers); without it they are among the edge values, for tests of the filter alone.
 */
public final class RandomValues {
    public static final long TWO_53 = 1L << 53;
    /** Integers; the first ten fit an INT32. */
    public static final long[] INT_POOL = {0, 1, -1, 2, 3, -3, 7, 100, Integer.MAX_VALUE, Integer.MIN_VALUE,
        3_000_000_000L, Long.MAX_VALUE, Long.MIN_VALUE, TWO_53, TWO_53 + 1, -TWO_53 - 1, 16_777_217};
    public static final double[] DOUBLE_POOL = {0.0, -0.0, 0.5, -0.5, 0.1, 1.5, 2.0, 3.0, -3.0, 16_777_217.0, 1e300,
        -1e-300, 0.30000000000000004, 9007199254740993.0, 100.25};
    public static final String[] STRING_POOL = {"", "a", "ab", "abc", "b", "A", "é", "€", "😀", "\uFFFD", "\uE000",
        "a%b", "a_b", "50%", "x\\y", "ab😀", "😀b", "abcabc", "it's", "say \"hi\"", "tab\there", "ﬀ", "\u00e9t\u00e9"};
    /** The JSON paths the expressions test: keys and indexes of {@link #randomJson}'s documents, and some missing. */
    public static final String[][] JSON_PATHS = {{"k"}, {"a", "b"}, {"arr", "0"}, {"arr", "2"}, {"s"}, {"é"},
        {"missing"}, {"k", "x"}};

    private static final float[] EDGE_FLOATS = {-0.0f, 0.1f, 16_777_216f, Float.MAX_VALUE, Float.MIN_VALUE,
        Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
    private static final double[] EDGE_DOUBLES = {-0.0, Double.MAX_VALUE, Double.MIN_VALUE, 0.1f,
        Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
    /** How many of the edge values above come before the non-finite ones. */
    private static final int FINITE_EDGE_FLOATS = 5;
    private static final int FINITE_EDGE_DOUBLES = 4;

    private RandomValues() {
    }

    /**
     * A value of a field other than the primary key, as the rows of {@link TestTables} hold them: Boolean, Integer,
     * Long, Float, Double, String (VARCHAR, and JSON as its text), a float[] of small integers (a vector, so that
     * distances are exact); {@code null} one time in six if the field is nullable.
     */
    public static Object value(Random random, FieldSchema field, boolean finite) {
        if (field.getNullable() && random.nextInt(6) == 0) {
            return null;
        }
        return switch (field.getType()) {
            case BOOL -> random.nextBoolean();
            case INT32 -> random.nextInt(3) == 0 ? (int) INT_POOL[random.nextInt(10)] : random.nextInt(9) - 4;
            case INT64 -> random.nextInt(3) == 0 ? INT_POOL[random.nextInt(INT_POOL.length)]
                    : (long) (random.nextInt(9) - 4);
            case FLOAT -> randomFloat(random, finite);
            case DOUBLE -> randomDouble(random, finite);
            case VARCHAR -> randomString(random);
            case JSON -> randomJson(random).toString();
            case FLOAT_VECTOR -> smallIntegerVector(random, field.getDim());
            default -> throw new IllegalArgumentException("no random values of " + field);
        };
    }

    /** Components in [-3, 3]: every L2 and IP score of two such vectors is exact in float and in double. */
    public static float[] smallIntegerVector(Random random, int dim) {
        float[] v = new float[dim];
        for (int i = 0; i < dim; i++) {
            v[i] = random.nextInt(7) - 3;
        }
        return v;
    }

    /** Finite: a pool double beyond the range of float (1e300) becomes {@link Float#MAX_VALUE}, not infinity. */
    public static float randomFloat(Random random, boolean finite) {
        return switch (random.nextInt(5)) {
            case 0 -> EDGE_FLOATS[random.nextInt(finite ? FINITE_EDGE_FLOATS : EDGE_FLOATS.length)];
            case 1 -> {
                float f = (float) DOUBLE_POOL[random.nextInt(DOUBLE_POOL.length)];
                yield finite && !Float.isFinite(f) ? Math.copySign(Float.MAX_VALUE, f) : f;
            }
            default -> (random.nextInt(13) - 6) / 2f;
        };
    }

    public static double randomDouble(Random random, boolean finite) {
        return switch (random.nextInt(5)) {
            case 0 -> EDGE_DOUBLES[random.nextInt(finite ? FINITE_EDGE_DOUBLES : EDGE_DOUBLES.length)];
            case 1 -> DOUBLE_POOL[random.nextInt(DOUBLE_POOL.length)];
            default -> (random.nextInt(13) - 6) / 2.0;
        };
    }

    public static String randomString(Random random) {
        if (random.nextInt(3) > 0) {
            return STRING_POOL[random.nextInt(STRING_POOL.length)];
        }
        String[] alphabet = {"a", "b", "%", "_", "é", "😀", "\uFFFF", "\uE000", "\\", "'"};
        StringBuilder b = new StringBuilder();
        for (int i = random.nextInt(5); i > 0; i--) {
            b.append(alphabet[random.nextInt(alphabet.length)]);
        }
        return b.toString();
    }

    /**
     * A document: mostly an object with some of the keys of {@link #JSON_PATHS} (nested objects, arrays, numbers,
     * strings, booleans and nulls under them), sometimes a scalar, an array or {@code null} itself. No duplicate keys
     * (DuckDB keeps the first, the filter the last).
     */
    public static JsonElement randomJson(Random random) {
        if (random.nextInt(10) == 0) {
            return switch (random.nextInt(4)) {
                case 0 -> JsonNull.INSTANCE;
                case 1 -> new JsonPrimitive(3);
                case 2 -> array(random, 2);
                default -> new JsonPrimitive("k");
            };
        }
        JsonObject o = new JsonObject();
        if (random.nextInt(5) > 0) {
            o.add("k", randomJsonValue(random, true));
        }
        if (random.nextInt(3) > 0) {
            JsonObject a = new JsonObject();
            if (random.nextInt(4) > 0) {
                a.add("b", randomJsonValue(random, false));
            }
            o.add("a", random.nextInt(5) == 0 ? randomJsonValue(random, false) : a);
        }
        if (random.nextInt(3) > 0) {
            o.add("arr", array(random, random.nextInt(4)));
        }
        if (random.nextInt(2) > 0) {
            o.add("s", new JsonPrimitive(randomString(random)));
        }
        if (random.nextInt(3) == 0) {
            o.add("é", new JsonPrimitive(random.nextInt(5)));
        }
        return o;
    }

    private static JsonArray array(Random random, int n) {
        JsonArray a = new JsonArray();
        for (int i = 0; i < n; i++) {
            a.add(randomJsonValue(random, false));
        }
        return a;
    }

    private static JsonElement randomJsonValue(Random random, boolean nested) {
        return switch (random.nextInt(nested ? 9 : 7)) {
            case 0 -> new JsonPrimitive(random.nextInt(7) - 3);
            case 1 -> new JsonPrimitive((random.nextInt(13) - 6) / 2.0);
            case 2 -> new JsonPrimitive(INT_POOL[random.nextInt(INT_POOL.length)]);
            case 3 -> new JsonPrimitive(STRING_POOL[random.nextInt(STRING_POOL.length)]);
            case 4 -> new JsonPrimitive(random.nextBoolean());
            case 5 -> JsonNull.INSTANCE;
            case 6 -> new JsonPrimitive(DOUBLE_POOL[random.nextInt(DOUBLE_POOL.length)]);
            case 7 -> {
                JsonObject o = new JsonObject();
                o.add("x", new JsonPrimitive(1));
                yield o;
            }
            default -> array(random, 2);
        };
    }
}
