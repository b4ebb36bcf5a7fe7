package io.tidelog.query;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.tidelog.query.Expr.PathStep;
import java.util.List;

/**
 * A condition on the value at a JSON path of a JSON field, evaluated row by row (JSON has no columns to loop
 * over). The path is followed from the document: a key step needs an object holding the key, an index step an
 * array long enough; anything else makes the value <em>missing</em>.
 *
 * <p>A comparison (and {@code in}, {@code like}) is UNKNOWN when the field is null, the value is missing, JSON
 * null, or of another kind than the literal (numbers, strings, booleans; objects and arrays match no literal);
 * otherwise numbers compare as doubles, strings by code point, booleans by equality. {@code is null} is TRUE
 * when the field is null, the value missing or JSON null, and never UNKNOWN.
 */
final class JsonPredicate implements Node {
    /** The truth of the test for one value: TRUE, FALSE or UNKNOWN. */
    enum Truth { TRUE, FALSE, UNKNOWN }

    /** The test applied to the value at the path ({@code null} when missing). */
    interface ValueTest {
        Truth test(JsonElement value);
    }

    private final String field;
    private final PathStep[] path;
    private final ValueTest test;
    /** The truth for a row whose field is null: UNKNOWN, or for {@code is [not] null} TRUE [FALSE]. */
    private final Truth whenFieldNull;

    JsonPredicate(String field, List<PathStep> path, ValueTest test, Truth whenFieldNull) {
        this.field = field;
        this.path = path.toArray(new PathStep[0]);
        this.test = test;
        this.whenFieldNull = whenFieldNull;
    }

    @Override
    public void eval(SegmentView view, int from, int to, long[] care, long[] t, long[] n) {
        JsonElement[] docs = ((Column.Jsons) view.column(field)).values();
        int base = from >>> 6;
        for (int i = 0, words = Node.words(from, to); i < words; i++) {
            t[i] = 0;
            n[i] = 0;
        }
        for (int r = from; r < to; r++) {
            int w = (r >>> 6) - base;
            if (care != null && ((care[w] >>> r) & 1) == 0) {
                continue;
            }
            JsonElement doc = docs[r];
            Truth truth = doc == null ? whenFieldNull : test.test(follow(doc));
            if (truth == Truth.TRUE) {
                t[w] |= 1L << r;
            } else if (truth == Truth.UNKNOWN) {
                n[w] |= 1L << r;
            }
        }
    }

    private JsonElement follow(JsonElement doc) {
        JsonElement v = doc;
        for (PathStep step : path) {
            if (step instanceof Expr.Key key) {
                if (!(v instanceof JsonObject o)) {
                    return null;
                }
                v = o.get(key.name());
            } else {
                int index = ((Expr.Index) step).index();
                if (!(v instanceof JsonArray a) || index >= a.size()) {
                    return null;
                }
                v = a.get(index);
            }
            if (v == null) {
                return null;
            }
        }
        return v;
    }

    /** {@code is null}: missing or JSON null (a null field is handled by the node). */
    static ValueTest isNull(boolean negated) {
        return v -> (v == null || v.isJsonNull()) != negated ? Truth.TRUE : Truth.FALSE;
    }

    /** A comparison with a literal: a {@link Double}, a {@link String} or a {@link Boolean}. */
    static ValueTest compare(CompareOp op, Object literal) {
        return v -> {
            int cmp;
            if (!(v instanceof JsonPrimitive p)) {
                return Truth.UNKNOWN;
            }
            if (literal instanceof Double d && p.isNumber()) {
                cmp = Double.compare(p.getAsDouble() + 0.0, d + 0.0);
            } else if (literal instanceof String s && p.isString()) {
                cmp = Utf8Order.compare(p.getAsString(), s);
            } else if (literal instanceof Boolean b && p.isBoolean()) {
                cmp = Boolean.compare(p.getAsBoolean(), b);
            } else {
                return Truth.UNKNOWN;
            }
            return of(switch (op) {
                case EQ -> cmp == 0;
                case NE -> cmp != 0;
                case LT -> cmp < 0;
                case LE -> cmp <= 0;
                case GT -> cmp > 0;
                case GE -> cmp >= 0;
            });
        };
    }

    /** {@code in}: the disjunction of {@code ==} with each literal. */
    static ValueTest in(List<Object> literals, boolean negated) {
        List<ValueTest> equals = literals.stream().map(l -> compare(CompareOp.EQ, l)).toList();
        return v -> {
            Truth any = Truth.FALSE;
            for (ValueTest eq : equals) {
                Truth t = eq.test(v);
                if (t == Truth.TRUE) {
                    any = Truth.TRUE;
                    break;
                }
                if (t == Truth.UNKNOWN) {
                    any = Truth.UNKNOWN;
                }
            }
            return negated ? not(any) : any;
        };
    }

    static ValueTest like(LikePattern pattern, boolean negated) {
        return v -> v instanceof JsonPrimitive p && p.isString() ? of(pattern.matches(p.getAsString()) != negated)
                : Truth.UNKNOWN;
    }

    private static Truth of(boolean b) {
        return b ? Truth.TRUE : Truth.FALSE;
    }

    private static Truth not(Truth t) {
        return t == Truth.TRUE ? Truth.FALSE : t == Truth.FALSE ? Truth.TRUE : Truth.UNKNOWN;
    }
}
