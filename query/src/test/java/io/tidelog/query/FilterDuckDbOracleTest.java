package io.tidelog.query;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import io.tidelog.testing.Seeds;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The filter against DuckDB as an oracle: random rows (every scalar type, nulls, edge values, non-ASCII and
 * astral strings, nested JSON) go into a {@link ColumnarSegment} and into a DuckDB table; random well-typed
 * expressions are generated as a pair, the filter text and its SQL (written from the documented semantics by
 * this test alone, not by the evaluator); the rows the filter selects must be the rows DuckDB returns.
 */
class FilterDuckDbOracleTest {
    @RegisterExtension
    final Seeds seeds = new Seeds();

    static final CollectionSchema SCHEMA = TestTables.schema(
            TestTables.primaryKey("id", DataType.INT64),
            TestTables.field("flag", DataType.BOOL, true),
            TestTables.field("i32", DataType.INT32, true),
            TestTables.field("i64", DataType.INT64, true),
            TestTables.field("f", DataType.FLOAT, true),
            TestTables.field("d", DataType.DOUBLE, true),
            TestTables.field("s", DataType.VARCHAR, true),
            TestTables.field("meta", DataType.JSON, true),
            TestTables.field("n", DataType.INT64, false),
            TestTables.vector("emb", 4));

    static final long TWO_53 = 1L << 53;
    static final long[] INT_POOL = {0, 1, -1, 2, 3, -3, 7, 100, Integer.MAX_VALUE, Integer.MIN_VALUE,
        3_000_000_000L, Long.MAX_VALUE, Long.MIN_VALUE, TWO_53, TWO_53 + 1, -TWO_53 - 1, 16_777_217};
    static final double[] DOUBLE_POOL = {0.0, -0.0, 0.5, -0.5, 0.1, 1.5, 2.0, 3.0, -3.0, 16_777_217.0, 1e300,
        -1e-300, 0.30000000000000004, 9007199254740993.0, 100.25};
    static final String[] STRING_POOL = {"", "a", "ab", "abc", "b", "A", "é", "€", "😀", "\uFFFD", "\uE000",
        "a%b", "a_b", "50%", "x\\y", "ab😀", "😀b", "abcabc", "it's", "say \"hi\"", "tab\there", "ﬀ", "\u00e9t\u00e9"};
    static final String[][] JSON_PATHS = {{"k"}, {"a", "b"}, {"arr", "0"}, {"arr", "2"}, {"s"}, {"é"}, {"missing"},
        {"k", "x"}};

    @Test
    void everyGeneratedFilterSelectsTheRowsDuckDbSelects() throws SQLException {
        Random random = seeds.random();
        int checked = 0;
        int datasets = Integer.getInteger("tidelog.test.oracle.datasets", 4);
        try (Connection db = DriverManager.getConnection("jdbc:duckdb:")) {
            for (int dataset = 0; dataset < datasets; dataset++) {
                List<Object[]> rows = rows(random, 150 + random.nextInt(250));
                ColumnarSegment segment = load(random, rows);
                createTable(db, rows);
                SegmentView view = segment.view();
                for (int e = 0; e < 300; e++) {
                    Gen g = new Generator(random).expr(random.nextInt(4));
                    BitSet candidates = null;
                    int from = 0;
                    int to = view.rowCount();
                    if (e % 3 == 0) {
                        candidates = randomMask(random, to);
                        from = random.nextInt(to);
                        to = from + random.nextInt(to - from + 1);
                    }
                    BitSet ours = parse(g).select(view, from, to, candidates);
                    BitSet expected = duck(db, g.sql);
                    BitSet range = new BitSet();
                    range.set(from, to);
                    expected.and(range);
                    if (candidates != null) {
                        expected.and(candidates);
                    }
                    if (!ours.equals(expected)) {
                        Gen smallest = smallestFailing(db, view, g);
                        assertThat(Filter.parse(smallest.text, SCHEMA).select(view, null))
                                .as("filter %s%nSQL %s%n(in filter %s)", smallest.text, smallest.sql, g.text)
                                .isEqualTo(duck(db, smallest.sql));
                        assertThat(ours).as("filter %s%nSQL %s%nrows [%d, %d), candidates %s", g.text, g.sql, from,
                                to, candidates).isEqualTo(expected);
                    }
                    checked++;
                }
            }
        }
        assertThat(checked).isEqualTo(datasets * 300);
    }

    static Filter parse(Gen g) {
        try {
            return Filter.parse(g.text, SCHEMA);
        } catch (RuntimeException e) {
            throw new AssertionError("refused: " + g.text, e);
        }
    }

    /** The innermost part of {@code g} that selects other rows than DuckDB over the whole segment (or g). */
    static Gen smallestFailing(Connection db, SegmentView view, Gen g) throws SQLException {
        for (Gen part : g.parts) {
            if (!Filter.parse(part.text, SCHEMA).select(view, null).equals(duck(db, part.sql))) {
                return smallestFailing(db, view, part);
            }
        }
        return g;
    }

    static BitSet randomMask(Random random, int n) {
        BitSet mask = new BitSet();
        double density = random.nextDouble();
        for (int i = 0; i < n; i++) {
            if (random.nextDouble() < density) {
                mask.set(i);
            }
        }
        return mask;
    }

    // ------------------------------------------------------------------------------------------------ data

    static List<Object[]> rows(Random random, int count) {
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Object[] r = new Object[SCHEMA.getFieldsCount()];
            r[0] = (long) i;
            r[1] = nullOr(random, random.nextBoolean());
            r[2] = nullOr(random, random.nextInt(3) == 0 ? (int) INT_POOL[random.nextInt(10)] : random.nextInt(9) - 4);
            r[3] = nullOr(random, random.nextInt(3) == 0 ? INT_POOL[random.nextInt(INT_POOL.length)]
                    : (long) (random.nextInt(9) - 4));
            r[4] = nullOr(random, randomFloat(random));
            r[5] = nullOr(random, randomDouble(random));
            r[6] = nullOr(random, randomString(random));
            r[7] = nullOr(random, randomJson(random).toString());
            r[8] = (long) (random.nextInt(9) - 4);
            r[9] = new float[] {random.nextFloat(), random.nextFloat(), random.nextFloat(), random.nextFloat()};
            rows.add(r);
        }
        return rows;
    }

    static Object nullOr(Random random, Object value) {
        return random.nextInt(6) == 0 ? null : value;
    }

    static float randomFloat(Random random) {
        return switch (random.nextInt(5)) {
            case 0 -> new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0.0f, 0.1f,
                16_777_216f, Float.MAX_VALUE, Float.MIN_VALUE}[random.nextInt(8)];
            case 1 -> (float) DOUBLE_POOL[random.nextInt(DOUBLE_POOL.length)];
            default -> (random.nextInt(13) - 6) / 2f;
        };
    }

    static double randomDouble(Random random) {
        return switch (random.nextInt(5)) {
            case 0 -> new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0,
                Double.MAX_VALUE, Double.MIN_VALUE, 0.1f}[random.nextInt(7)];
            case 1 -> DOUBLE_POOL[random.nextInt(DOUBLE_POOL.length)];
            default -> (random.nextInt(13) - 6) / 2.0;
        };
    }

    static String randomString(Random random) {
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

    static JsonElement randomJson(Random random) {
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

    static JsonArray array(Random random, int n) {
        JsonArray a = new JsonArray();
        for (int i = 0; i < n; i++) {
            a.add(randomJsonValue(random, false));
        }
        return a;
    }

    static JsonElement randomJsonValue(Random random, boolean nested) {
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

    /** The rows appended in inserts of random sizes, some of which leave out nullable columns. */
    static ColumnarSegment load(Random random, List<Object[]> rows) {
        ColumnarSegment segment = new ColumnarSegment(SCHEMA);
        int i = 0;
        long tick = 1;
        while (i < rows.size()) {
            int n = Math.min(rows.size() - i, 1 + random.nextInt(60));
            List<Object[]> batch = rows.subList(i, i + n);
            Set<String> omitted = new HashSet<>();
            for (FieldSchema f : SCHEMA.getFieldsList()) {
                if (f.getNullable() && random.nextInt(8) == 0) {
                    omitted.add(f.getName());
                    int index = SCHEMA.getFieldsList().indexOf(f);
                    batch.forEach(r -> r[index] = null);
                }
            }
            segment.append(TestTables.insert(SCHEMA, batch, omitted), tick++);
            i += n;
        }
        return segment;
    }

    static void createTable(Connection db, List<Object[]> rows) throws SQLException {
        try (Statement s = db.createStatement()) {
            s.execute("DROP TABLE IF EXISTS t");
            s.execute("CREATE TABLE t (id BIGINT, flag BOOLEAN, i32 INTEGER, i64 BIGINT, f FLOAT, d DOUBLE, "
                    + "s VARCHAR, meta JSON, n BIGINT)");
        }
        int[] types = {Types.BIGINT, Types.BOOLEAN, Types.INTEGER, Types.BIGINT, Types.FLOAT, Types.DOUBLE,
            Types.VARCHAR, Types.VARCHAR, Types.BIGINT};
        try (PreparedStatement p = db.prepareStatement("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (Object[] r : rows) {
                for (int c = 0; c < types.length; c++) {
                    if (r[c] == null) {
                        p.setNull(c + 1, types[c]);
                    } else if (r[c] instanceof Float x) {
                        p.setFloat(c + 1, x);
                    } else {
                        p.setObject(c + 1, r[c]);
                    }
                }
                p.addBatch();
            }
            p.executeBatch();
        }
    }

    static BitSet duck(Connection db, String where) throws SQLException {
        BitSet ids = new BitSet();
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT id FROM t WHERE " + where)) {
            while (rs.next()) {
                ids.set((int) rs.getLong(1));
            }
        }
        return ids;
    }

    // ------------------------------------------------------------------------------------------------ expressions

    /** An expression as filter text and as SQL. */
    record Gen(String text, String sql, boolean compound, List<Gen> parts) {
        Gen(String text, String sql, boolean compound) {
            this(text, sql, compound, List.of());
        }
    }

    /** Generates random well-typed expressions over {@link #SCHEMA}. */
    static final class Generator {
        private final Random random;

        Generator(Random random) {
            this.random = random;
        }

        Gen expr(int depth) {
            if (depth == 0 || random.nextInt(3) == 0) {
                return predicate();
            }
            switch (random.nextInt(4)) {
                case 0 -> {
                    Gen a = expr(depth - 1);
                    return new Gen(pick("not ", "NOT ", "!", "not not not ") + paren(a, true), "(NOT " + a.sql + ")",
                            false, List.of(a));
                }
                case 1 -> {
                    Gen a = expr(depth - 1);
                    return new Gen("(" + a.text + ")", a.sql, false, List.of(a));
                }
                default -> {
                    boolean and = random.nextBoolean();
                    List<Gen> terms = new ArrayList<>();
                    for (int i = 2 + random.nextInt(2); i > 0; i--) {
                        terms.add(expr(depth - 1));
                    }
                    StringBuilder text = new StringBuilder();
                    StringBuilder sql = new StringBuilder("(");
                    for (int i = 0; i < terms.size(); i++) {
                        if (i > 0) {
                            text.append(and ? pick(" and ", " AND ", " && ", " And ") : pick(" or ", " OR ", " || "));
                            sql.append(and ? " AND " : " OR ");
                        }
                        text.append(paren(terms.get(i), and));
                        sql.append(terms.get(i).sql);
                    }
                    return new Gen(text.toString(), sql.append(")").toString(), true, terms);
                }
            }
        }

        /** A term's text inside an and (or not), where an or must be in parentheses; elsewhere parentheses at random. */
        private String paren(Gen g, boolean tight) {
            return g.compound && (tight || random.nextBoolean()) ? "(" + g.text + ")" : g.text;
        }

        Gen predicate() {
            return switch (random.nextInt(10)) {
                case 0 -> bool();
                case 1, 2 -> varchar();
                case 3, 4 -> json();
                default -> numeric(pick("i32", "i64", "f", "d", "n", "id"));
            };
        }

        private Gen numeric(String field) {
            boolean integerField = !field.equals("f") && !field.equals("d");
            switch (random.nextInt(9)) {
                case 0 -> {
                    boolean not = random.nextBoolean();
                    return new Gen(field + (not ? pick(" is not null", " IS NOT NULL") : pick(" is null", " is NULL")),
                            "(\"" + field + "\" IS " + (not ? "NOT " : "") + "NULL)", false);
                }
                case 1, 2 -> {
                    boolean not = random.nextBoolean();
                    List<Num> values = new ArrayList<>();
                    for (int i = random.nextInt(5); i > 0; i--) {
                        values.add(number());
                    }
                    StringBuilder text = new StringBuilder(field + (not ? " not in [" : " in ["));
                    List<String> eq = new ArrayList<>();
                    for (int i = 0; i < values.size(); i++) {
                        text.append(i > 0 ? ", " : "").append(values.get(i).text);
                        eq.add(numericSql(field, integerField, "==", values.get(i), false));
                    }
                    String any = eq.isEmpty() ? "FALSE" : "(" + String.join(" OR ", eq) + ")";
                    return new Gen(text.append("]").toString(), not ? "(NOT " + any + ")" : any, false);
                }
                case 3 -> {
                    Num lo = number();
                    Num hi = number();
                    boolean less = random.nextBoolean();
                    String op1 = less ? pick("<", "<=") : pick(">", ">=");
                    String op2 = less ? pick("<", "<=") : pick(">", ">=");
                    return new Gen(lo.text + " " + op1 + " " + field + " " + op2 + " " + hi.text,
                            "(" + numericSql(field, integerField, op1, lo, true) + " AND "
                                    + numericSql(field, integerField, op2, hi, false) + ")", false);
                }
                default -> {
                    Num v = number();
                    String op = pick("==", "!=", "<", "<=", ">", ">=");
                    boolean literalFirst = random.nextInt(4) == 0;
                    return new Gen(literalFirst ? v.text + " " + op + " " + field : field + " " + op + " " + v.text,
                            numericSql(field, integerField, op, v, literalFirst), false);
                }
            }
        }

        /** A numeric literal: its text in the filter, its value as text for a SQL cast, whether it is an integer. */
        record Num(String text, String sqlText, boolean integer) {
        }

        private Num number() {
            if (random.nextBoolean()) {
                long v = random.nextInt(3) == 0 ? INT_POOL[random.nextInt(INT_POOL.length)] : random.nextInt(9) - 4;
                String text = v >= 0 && random.nextInt(8) == 0 ? "+" + v : Long.toString(v);
                return new Num(text, Long.toString(v), true);
            }
            double v = random.nextInt(3) == 0 ? DOUBLE_POOL[random.nextInt(DOUBLE_POOL.length)]
                    : (random.nextInt(13) - 6) / 2.0;
            String text = switch (random.nextInt(4)) {
                case 0 -> String.format("%.3e", v).replace(",", ".");
                case 1 -> Double.toString(v).replace("E", "e");
                default -> Double.toString(v);
            };
            if (text.startsWith("0.") && text.length() > 3 && random.nextInt(4) == 0) {
                text = text.substring(1);
            } else if (text.endsWith(".0") && random.nextInt(4) == 0) {
                text = text.substring(0, text.length() - 1);
            }
            return new Num(text, text, false);
        }

        private static String numericSql(String field, boolean integerField, String op, Num v, boolean literalFirst) {
            String type = integerField && v.integer ? "BIGINT" : "DOUBLE";
            String col = "CAST(\"" + field + "\" AS " + type + ")";
            String lit = "CAST('" + v.sqlText + "' AS " + type + ")";
            String sqlOp = sqlOp(op);
            return "(" + (literalFirst ? lit + " " + sqlOp + " " + col : col + " " + sqlOp + " " + lit) + ")";
        }

        private Gen bool() {
            String v = pick("true", "false", "TRUE", "False");
            String sqlV = v.toUpperCase();
            return switch (random.nextInt(6)) {
                case 0 -> new Gen("flag", "(\"flag\" = TRUE)", false);
                case 1 -> new Gen("flag in [" + v + "]", "(\"flag\" = " + sqlV + ")", false);
                case 2 -> new Gen("flag not in [true, false]", "(NOT (\"flag\" = TRUE OR \"flag\" = FALSE))", false);
                case 3 -> new Gen(v + " != flag", "(" + sqlV + " <> \"flag\")", false);
                case 4 -> new Gen("flag is null", "(\"flag\" IS NULL)", false);
                default -> {
                    String op = pick("==", "!=");
                    yield new Gen("flag " + op + " " + v, "(\"flag\" " + sqlOp(op) + " " + sqlV + ")", false);
                }
            };
        }

        private Gen varchar() {
            switch (random.nextInt(6)) {
                case 0, 1 -> {
                    String p = likePattern();
                    boolean not = random.nextInt(4) == 0;
                    return new Gen("s " + (not ? "not " : "") + pick("like ", "LIKE ") + likeLiteral(p),
                            "(" + (not ? "NOT " : "") + "(\"s\" LIKE " + sqlString(p) + " ESCAPE '\\'))", false);
                }
                case 2 -> {
                    boolean not = random.nextBoolean();
                    List<String> values = new ArrayList<>();
                    for (int i = random.nextInt(4); i > 0; i--) {
                        values.add(randomString(random));
                    }
                    List<String> texts = values.stream().map(this::stringLiteral).toList();
                    String any = values.isEmpty() ? "FALSE" : "(" + String.join(" OR ",
                            values.stream().map(v -> "\"s\" = " + sqlString(v)).toList()) + ")";
                    return new Gen("s " + (not ? "not in [" : "in [") + String.join(", ", texts) + "]",
                            not ? "(NOT " + any + ")" : any, false);
                }
                case 3 -> {
                    return new Gen("s is not null", "(\"s\" IS NOT NULL)", false);
                }
                default -> {
                    String v = randomString(random);
                    String op = pick("==", "!=", "<", "<=", ">", ">=");
                    return random.nextInt(4) == 0
                            ? new Gen(stringLiteral(v) + " " + op + " s", "(" + sqlString(v) + " " + sqlOp(op) + " \"s\")",
                                    false)
                            : new Gen("s " + op + " " + stringLiteral(v), "(\"s\" " + sqlOp(op) + " " + sqlString(v) + ")",
                                    false);
                }
            }
        }

        /** A like pattern (its value): a pool string with some characters turned into wildcards, the rest escaped. */
        private String likePattern() {
            String source = randomString(random);
            StringBuilder p = new StringBuilder();
            if (random.nextInt(3) == 0) {
                p.append('%');
            }
            source.codePoints().forEach(c -> {
                int r = random.nextInt(6);
                if (r == 0) {
                    p.append('_');
                } else if (r == 1) {
                    p.append('%');
                } else if (c == '%' || c == '_' || c == '\\') {
                    p.append('\\').appendCodePoint(c);
                } else {
                    p.appendCodePoint(c);
                }
            });
            if (random.nextInt(3) == 0) {
                p.append('%');
            }
            return p.toString();
        }

        /** The pattern as a string literal: a backslash before % or _ may be written once (it stays) or twice. */
        private String likeLiteral(String pattern) {
            if (random.nextBoolean()) {
                return stringLiteral(pattern);
            }
            StringBuilder b = new StringBuilder("\"");
            for (int i = 0; i < pattern.length(); i++) {
                char c = pattern.charAt(i);
                if (c == '\\' && i + 1 < pattern.length() && (pattern.charAt(i + 1) == '%' || pattern.charAt(i + 1) == '_')) {
                    b.append('\\');
                } else {
                    b.append(escape(c, '"'));
                }
            }
            return b.append('"').toString();
        }

        /** {@code value} as a filter string literal, in double or single quotes, with some characters escaped. */
        private String stringLiteral(String value) {
            char quote = random.nextBoolean() ? '"' : '\'';
            StringBuilder b = new StringBuilder().append(quote);
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c > 127 && random.nextInt(3) == 0) {
                    b.append(String.format("\\u%04x", (int) c));
                } else {
                    b.append(escape(c, quote));
                }
            }
            return b.append(quote).toString();
        }

        private static String escape(char c, char quote) {
            return switch (c) {
                case '\\' -> "\\\\";
                case '\t' -> "\\t";
                case '\n' -> "\\n";
                default -> c == quote ? "\\" + c : String.valueOf(c);
            };
        }

        private Gen json() {
            String[] path = JSON_PATHS[random.nextInt(JSON_PATHS.length)];
            StringBuilder text = new StringBuilder("meta");
            StringBuilder p = new StringBuilder("$");
            for (String step : path) {
                if (Character.isDigit(step.charAt(0))) {
                    text.append('[').append(step).append(']');
                    p.append('[').append(step).append(']');
                } else {
                    text.append('[').append(stringLiteral(step)).append(']');
                    p.append(".\"").append(step).append('"');
                }
            }
            String type = "json_type(\"meta\", '" + p + "')";
            String str = "json_extract_string(\"meta\", '" + p + "')";
            switch (random.nextInt(7)) {
                case 0 -> {
                    boolean not = random.nextBoolean();
                    String isNull = "(\"meta\" IS NULL OR " + type + " IS NULL OR " + type + " = 'NULL')";
                    return new Gen(text + (not ? " is not null" : " is null"), not ? "(NOT " + isNull + ")" : isNull,
                            false);
                }
                case 1 -> {
                    String pat = likePattern();
                    return new Gen(text + " like " + likeLiteral(pat), "(CASE WHEN " + type + " = 'VARCHAR' THEN "
                            + str + " LIKE " + sqlString(pat) + " ESCAPE '\\' ELSE NULL END)", false);
                }
                case 2 -> {
                    boolean not = random.nextBoolean();
                    List<String> texts = new ArrayList<>();
                    List<String> eqs = new ArrayList<>();
                    for (int i = random.nextInt(4); i > 0; i--) {
                        JsonLit l = jsonLiteral(false);
                        texts.add(l.text);
                        eqs.add(jsonCompareSql(type, str, "==", l));
                    }
                    String any = eqs.isEmpty() ? "FALSE" : "(" + String.join(" OR ", eqs) + ")";
                    return new Gen(text + (not ? " not in [" : " in [") + String.join(", ", texts) + "]",
                            not ? "(NOT " + any + ")" : any, false);
                }
                default -> {
                    JsonLit l = jsonLiteral(true);
                    String op = l.kind.equals("bool") ? pick("==", "!=") : pick("==", "!=", "<", "<=", ">", ">=");
                    return new Gen(text + " " + op + " " + l.text, jsonCompareSql(type, str, op, l), false);
                }
            }
        }

        record JsonLit(String kind, String text, String sql) {
        }

        private JsonLit jsonLiteral(boolean any) {
            switch (random.nextInt(any ? 3 : 4)) {
                case 0 -> {
                    Num n = number();
                    return new JsonLit("number", n.text, "CAST('" + n.sqlText + "' AS DOUBLE)");
                }
                case 1 -> {
                    String s = random.nextBoolean() ? STRING_POOL[random.nextInt(STRING_POOL.length)] : pick("k", "x");
                    return new JsonLit("string", stringLiteral(s), sqlString(s));
                }
                default -> {
                    boolean b = random.nextBoolean();
                    return new JsonLit("bool", Boolean.toString(b), Boolean.toString(b).toUpperCase());
                }
            }
        }

        private static String jsonCompareSql(String type, String str, String op, JsonLit l) {
            String when = switch (l.kind) {
                case "number" -> type + " IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT')";
                case "string" -> type + " = 'VARCHAR'";
                default -> type + " = 'BOOLEAN'";
            };
            String value = switch (l.kind) {
                case "number" -> "CAST(" + str + " AS DOUBLE)";
                case "string" -> str;
                default -> "CAST(" + str + " AS BOOLEAN)";
            };
            return "(CASE WHEN " + when + " THEN " + value + " " + sqlOp(op) + " " + l.sql + " ELSE NULL END)";
        }

        private static String sqlString(String s) {
            return "'" + s.replace("'", "''") + "'";
        }

        private static String sqlOp(String op) {
            return switch (op) {
                case "==" -> "=";
                case "!=" -> "<>";
                default -> op;
            };
        }

        private String pick(String... options) {
            return options[random.nextInt(options.length)];
        }
    }
}
