package io.tidelog.query;

import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Random well-typed filter expressions over a caller's schema, each generated as a pair: the filter text and its
 * SQL for DuckDB, written from the documented semantics ({@code package-info}) by this generator alone, not by the
 * evaluator. The SQL reads a table with one column per field of the schema under the field's name (see
 * {@link DuckDbTables}); JSON documents are expected in the shape of {@link RandomValues#randomJson}.
 *
 * <p>Predicates test BOOL, VARCHAR, JSON and numeric fields (INT32, INT64, FLOAT, DOUBLE, the primary key
 * included), whichever the schema has; literals come from the pools of {@link RandomValues}, all finite.
 */
public final class FilterGenerator {
    /**
     * An expression as filter text and as SQL.
     *
     * @param compound an and or an or, which needs parentheses inside a not or an and
     * @param parts    its subexpressions, to find the smallest one that fails
     */
    public record Gen(String text, String sql, boolean compound, List<Gen> parts) {
        public Gen(String text, String sql, boolean compound) {
            this(text, sql, compound, List.of());
        }
    }

    private final Random random;
    private final List<String> bools = new ArrayList<>();
    private final List<String> varchars = new ArrayList<>();
    private final List<String> jsons = new ArrayList<>();
    private final List<String> numerics = new ArrayList<>();
    private final Set<String> integers = new java.util.HashSet<>();

    /** A generator over the fields of {@code schema} (field names must need no quoting in SQL beyond {@code "}). */
    public FilterGenerator(Random random, CollectionSchema schema) {
        this.random = random;
        for (FieldSchema f : schema.getFieldsList()) {
            DataType t = f.getType();
            switch (t) {
                case BOOL -> bools.add(f.getName());
                case VARCHAR -> varchars.add(f.getName());
                case JSON -> jsons.add(f.getName());
                case INT32, INT64, FLOAT, DOUBLE -> numerics.add(f.getName());
                default -> {
                }
            }
            if (t == DataType.INT32 || t == DataType.INT64) {
                integers.add(f.getName());
            }
        }
        if (bools.isEmpty() && varchars.isEmpty() && jsons.isEmpty() && numerics.isEmpty()) {
            throw new IllegalArgumentException("no field of the schema can be filtered on");
        }
    }

    /** An expression of at most {@code depth} levels of and, or, not and parentheses above its predicates. */
    public Gen expr(int depth) {
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

    /** A comparison, in, range, like or null test on a field: numeric ones half the time, if the schema has them. */
    public Gen predicate() {
        while (true) {
            int kind = random.nextInt(10);
            if (kind == 0 && !bools.isEmpty()) {
                return bool(pick(bools));
            } else if (kind >= 1 && kind <= 2 && !varchars.isEmpty()) {
                return varchar(pick(varchars));
            } else if (kind >= 3 && kind <= 4 && !jsons.isEmpty()) {
                return json(pick(jsons));
            } else if (kind >= 5 && !numerics.isEmpty()) {
                return numeric(pick(numerics));
            }
        }
    }

    private Gen numeric(String field) {
        boolean integerField = integers.contains(field);
        switch (random.nextInt(9)) {
            case 0 -> {
                boolean not = random.nextBoolean();
                return new Gen(field + (not ? pick(" is not null", " IS NOT NULL") : pick(" is null", " is NULL")),
                        "(" + quoted(field) + " IS " + (not ? "NOT " : "") + "NULL)", false);
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
            long v = random.nextInt(3) == 0 ? RandomValues.INT_POOL[random.nextInt(RandomValues.INT_POOL.length)] : random.nextInt(9) - 4;
            String text = v >= 0 && random.nextInt(8) == 0 ? "+" + v : Long.toString(v);
            return new Num(text, Long.toString(v), true);
        }
        double v = random.nextInt(3) == 0 ? RandomValues.DOUBLE_POOL[random.nextInt(RandomValues.DOUBLE_POOL.length)]
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
        String col = "CAST(" + quoted(field) + " AS " + type + ")";
        String lit = "CAST('" + v.sqlText + "' AS " + type + ")";
        String sqlOp = sqlOp(op);
        return "(" + (literalFirst ? lit + " " + sqlOp + " " + col : col + " " + sqlOp + " " + lit) + ")";
    }

    private Gen bool(String field) {
        String f = quoted(field);
        String v = pick("true", "false", "TRUE", "False");
        String sqlV = v.toUpperCase();
        return switch (random.nextInt(6)) {
            case 0 -> new Gen(field, "(" + f + " = TRUE)", false);
            case 1 -> new Gen(field + " in [" + v + "]", "(" + f + " = " + sqlV + ")", false);
            case 2 -> new Gen(field + " not in [true, false]", "(NOT (" + f + " = TRUE OR " + f + " = FALSE))", false);
            case 3 -> new Gen(v + " != " + field, "(" + sqlV + " <> " + f + ")", false);
            case 4 -> new Gen(field + " is null", "(" + f + " IS NULL)", false);
            default -> {
                String op = pick("==", "!=");
                yield new Gen(field + " " + op + " " + v, "(" + f + " " + sqlOp(op) + " " + sqlV + ")", false);
            }
        };
    }

    private Gen varchar(String field) {
        String f = quoted(field);
        switch (random.nextInt(6)) {
            case 0, 1 -> {
                String p = likePattern();
                boolean not = random.nextInt(4) == 0;
                return new Gen(field + " " + (not ? "not " : "") + pick("like ", "LIKE ") + likeLiteral(p),
                        "(" + (not ? "NOT " : "") + "(" + f + " LIKE " + sqlString(p) + " ESCAPE '\\'))", false);
            }
            case 2 -> {
                boolean not = random.nextBoolean();
                List<String> values = new ArrayList<>();
                for (int i = random.nextInt(4); i > 0; i--) {
                    values.add(RandomValues.randomString(random));
                }
                List<String> texts = values.stream().map(this::stringLiteral).toList();
                String any = values.isEmpty() ? "FALSE" : "(" + String.join(" OR ",
                        values.stream().map(v -> f + " = " + sqlString(v)).toList()) + ")";
                return new Gen(field + " " + (not ? "not in [" : "in [") + String.join(", ", texts) + "]",
                        not ? "(NOT " + any + ")" : any, false);
            }
            case 3 -> {
                return new Gen(field + " is not null", "(" + f + " IS NOT NULL)", false);
            }
            default -> {
                String v = RandomValues.randomString(random);
                String op = pick("==", "!=", "<", "<=", ">", ">=");
                return random.nextInt(4) == 0
                        ? new Gen(stringLiteral(v) + " " + op + " " + field, "(" + sqlString(v) + " " + sqlOp(op) + " " + f + ")",
                                false)
                        : new Gen(field + " " + op + " " + stringLiteral(v), "(" + f + " " + sqlOp(op) + " " + sqlString(v) + ")",
                                false);
            }
        }
    }

    /** A like pattern (its value): a pool string with some characters turned into wildcards, the rest escaped. */
    private String likePattern() {
        String source = RandomValues.randomString(random);
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
        for (int i = 0; i < value.length(); ) {
            int c = value.codePointAt(i);
            int units = Character.charCount(c);
            if (c > 127 && random.nextInt(3) == 0) {
                // every UTF-16 unit of the code point (a surrogate pair as two escapes, as in JSON): the text itself
                // stays well-formed Unicode, which it must be to travel as UTF-8
                for (int u = i; u < i + units; u++) {
                    b.append(String.format("\\u%04x", (int) value.charAt(u)));
                }
            } else if (units == 1) {
                b.append(escape((char) c, quote));
            } else {
                b.appendCodePoint(c);
            }
            i += units;
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

    private Gen json(String field) {
        String f = quoted(field);
        String[] path = RandomValues.JSON_PATHS[random.nextInt(RandomValues.JSON_PATHS.length)];
        StringBuilder text = new StringBuilder(field);
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
        String type = "json_type(" + f + ", '" + p + "')";
        String str = "json_extract_string(" + f + ", '" + p + "')";
        switch (random.nextInt(7)) {
            case 0 -> {
                boolean not = random.nextBoolean();
                String isNull = "(" + f + " IS NULL OR " + type + " IS NULL OR " + type + " = 'NULL')";
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
                String s = random.nextBoolean() ? RandomValues.STRING_POOL[random.nextInt(RandomValues.STRING_POOL.length)] : pick("k", "x");
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

    private static String quoted(String field) {
        return "\"" + field + "\"";
    }

    private String pick(List<String> options) {
        return options.get(random.nextInt(options.size()));
    }
}
