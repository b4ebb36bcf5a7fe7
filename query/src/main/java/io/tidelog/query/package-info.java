/**
 * Queries over a segment's rows: the filter language ({@link io.tidelog.query.Filter}), the columnar rows it runs
 * on ({@link io.tidelog.query.SegmentView}, {@link io.tidelog.query.ColumnarSegment}), and exact vector search
 * ({@link io.tidelog.query.VectorSearch}). DESIGN.md section 6; issue 14.
 *
 * <h2>The filter language</h2>
 * A documented subset of Milvus's boolean expressions, parsed from an ANTLR 4 grammar
 * ({@code src/main/antlr4/io/tidelog/query/grammar}).
 * <pre>
 *   filter     := or
 *   or         := and ( ("or" | "||") and )*
 *   and        := not ( ("and" | "&amp;&amp;") not )*
 *   not        := ( "not" | "!" )* primary
 *   primary    := "(" or ")" | predicate
 *   predicate  := operand                                   a BOOL field alone
 *               | operand cmp operand                        price &gt;= 10, 3 &lt; x
 *               | operand cmp operand cmp operand            1 &lt; x &lt;= 5, 5 &gt; x &gt;= 1
 *               | operand ["not"] "in" "[" literals "]"      x in [1, 2], tag not in ["a"]
 *               | operand ["not"] "like" string              title like "pre%"
 *               | operand "is" ["not"] "null"                price is null, meta["k"] is not null
 *   cmp        := "==" | "!=" | "&lt;" | "&lt;=" | "&gt;" | "&gt;="
 *   operand    := field | literal
 *   field      := name ( "[" string "]" | "[" integer "]" )*   meta["a"]["b"], meta["arr"][0] (JSON only)
 *   literal    := ["-" | "+"] integer | ["-" | "+"] float | string | "true" | "false"
 * </pre>
 * Keywords ({@code and or not in like is null true false}) are case-insensitive; field names are not. A name is
 * {@code [A-Za-z_][A-Za-z0-9_]*}. Integers are decimal and within INT64; floats have a fraction or an exponent
 * ({@code 1.5}, {@code .5}, {@code 2.}, {@code 1e-3}), their value the double nearest to the text, and must be
 * finite. Strings are in double or single quotes; a backslash escapes {@code \" \' \\ \/ \b \f \n \r \t} and
 * {@code \}{@code uXXXX} as in JSON, and keeps itself before any other character (so {@code "100\%"} is the four
 * characters {@code 100\%}). A range chains two less-than or two greater-than operators, with the field in the
 * middle and literals at the ends. Not supported: arithmetic, comparing two fields, functions
 * ({@code json_contains}, {@code array_length}...), hex/octal literals, {@code $meta}.
 *
 * <p>Limits: {@value io.tidelog.query.Filter#MAX_EXPRESSION_LENGTH} chars,
 * {@value io.tidelog.query.Filter#MAX_NESTING_DEPTH} levels of parentheses (the grammar's only recursion),
 * {@value io.tidelog.query.Filter#MAX_IN_LIST} values in a list, {@value io.tidelog.query.Filter#MAX_PATH_LENGTH}
 * steps in a JSON path. They are checked before parsing, so no expression exhausts the stack.
 *
 * <h2>Errors</h2>
 * Every refused expression is a {@code StreamingException} with {@code INVALID_ARGUMENT}. Positions are
 * {@code line:column}, both from 1, the column counted in Unicode code points. A problem with a field reads
 * {@code field 'price' (DOUBLE) at 1:14: a DOUBLE cannot be compared with a string literal (at 1:23)}; an
 * unknown field {@code field 'prise' is not in the schema at 1:1}; a syntax error
 * {@code syntax error: <what the parser expected> at 1:7}.
 *
 * <h2>Semantics</h2>
 * <b>Three-valued logic, as SQL.</b> Every condition is TRUE, FALSE or UNKNOWN for a row; a row is selected iff
 * the filter is TRUE. A comparison, {@code in} or {@code like} on a null value is UNKNOWN; {@code not UNKNOWN}
 * is UNKNOWN; {@code and} is FALSE if any term is FALSE, else UNKNOWN if any is UNKNOWN; {@code or} is TRUE if
 * any term is TRUE, else UNKNOWN if any is UNKNOWN. {@code is null} and {@code is not null} are never UNKNOWN.
 * {@code x in [a, b]} is {@code x == a or x == b}, so {@code in []} is FALSE for every row (null or not) and
 * {@code not in []} TRUE. A range {@code a < x <= b} is {@code a < x and x <= b}.
 *
 * <p><b>Numbers.</b> Any numeric field (INT32, INT64, FLOAT, DOUBLE) compares with integer and float literals.
 * An integer field against an integer literal compares exactly as 64-bit integers. Every other numeric
 * comparison converts both sides to DOUBLE and compares those: the field's value (exact for INT32 and FLOAT,
 * rounded to nearest for INT64 beyond 2^53), and the literal (a float literal is already the double nearest its
 * text; an integer literal is rounded to nearest). So a FLOAT field holding {@code 0.1f} is not {@code == 0.1}
 * (as in SQL and Java: 0.1f is 0.100000001490116...). Doubles compare as DuckDB and PostgreSQL order them:
 * {@code -0.0 == 0.0}, and NaN equals NaN and is greater than every other value (so {@code x > 5} and
 * {@code x != 5} hold for NaN, {@code x < 5} does not). In SQL terms: {@code CAST(x AS BIGINT) op literal} or
 * {@code CAST(x AS DOUBLE) op CAST(literal AS DOUBLE)}.
 *
 * <p><b>Strings.</b> VARCHAR compares with string literals only, by Unicode code point, which is the order of the
 * UTF-8 bytes (DuckDB's default, not Java's UTF-16 {@code compareTo}). {@code like}: {@code %} matches any
 * sequence of characters, {@code _} exactly one character (one code point), and a backslash makes the next
 * character literal ({@code \%}, {@code \_}, {@code \\}); the pattern must match the whole value; it is SQL's
 * {@code LIKE pattern ESCAPE '\'}. In the expression the pattern is a string literal, whose escapes come first:
 * {@code like "100\%"} and {@code like "100\\%"} both mean the pattern {@code 100\%}, which matches "100%". A
 * pattern ending in a lone backslash is refused.
 *
 * <p><b>Booleans.</b> BOOL supports {@code ==}, {@code !=}, {@code in} with {@code true}/{@code false}, and
 * standing alone ({@code flag} is {@code flag == true}). No ordering.
 *
 * <p><b>JSON.</b> A JSON field is tested through a path: {@code meta["k"]} (a member of an object),
 * {@code meta["a"]["b"]}, {@code meta["arr"][0]} (an element of an array). A key step on a non-object, a missing
 * key, or an index on a non-array or past its end makes the value <i>missing</i>. JSON is schemaless, so a
 * comparison, {@code in} or {@code like} whose value is missing, JSON null, or of another kind than the literal
 * (number, string, boolean; objects and arrays match none) is UNKNOWN, never an error; otherwise numbers compare
 * as doubles (the JSON number's text and the literal each rounded to the nearest double), strings by code point,
 * booleans by {@code ==}/{@code !=} only. {@code meta["k"] is null} is TRUE when the field is null, the value is
 * missing, or it is JSON null; {@code is not null} is its negation; neither is ever UNKNOWN. On the field itself,
 * {@code meta is null} tests only whether the row has no document (a document that is the JSON value
 * {@code null} is not null). With duplicate keys in an object the last one counts (RFC 8259 leaves it open; DuckDB
 * takes the first, so the oracle tests generate no duplicates).
 *
 * <p><b>Vectors</b> cannot be filtered on; they are searched ({@link io.tidelog.query.VectorSearch},
 * {@link io.tidelog.query.Metric}, where a zero vector's cosine similarity is defined as 0).
 *
 * <h2>Evaluation</h2>
 * A filter compiles to a tree of nodes evaluated a range of rows at a time into two 64-bit-word masks (TRUE and
 * UNKNOWN). Each comparison is one loop over a primitive array; {@code and}/{@code or}/{@code not} combine masks a
 * word at a time, and a later term of {@code and} ({@code or}) is computed only for rows the earlier ones left
 * not FALSE (not TRUE). A caller's candidate mask (its visibility: inserted at or before the query's time tick,
 * not deleted) restricts the work the same way. JSON paths are followed row by row on documents parsed when
 * appended.
 */
package io.tidelog.query;
