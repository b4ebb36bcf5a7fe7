package io.tidelog.cli;

import io.tidelog.client.Consistency;
import io.tidelog.client.QueryOptions;
import io.tidelog.common.StreamingException;
import io.tidelog.message.Rows;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * What {@code query}, {@code get} and {@code search} share: the output and consistency options, and how rows are
 * printed — a table for people, or with {@code --json} one object per line (the primary key and the output fields
 * under their names, {@code "_score"} for search hits), in result order.
 */
final class QueryOutput {
    /** The name of a search hit's score in the output. */
    static final String SCORE = "_score";

    @Option(names = "--output", split = ",", paramLabel = "FIELD",
            description = "Fields to print besides the primary key, comma-separated; * for every field.")
    List<String> output = List.of();

    @Option(names = "--consistency", paramLabel = "LEVEL", defaultValue = "strong",
            description = "How fresh the answer must be: strong (default), bounded, session or eventually.")
    String consistency;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30", converter = Flags.Seconds.class,
            description = "How long to wait for the answer, freshness included (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    /** The options these flags ask for. */
    QueryOptions options() {
        Consistency level;
        try {
            level = Consistency.valueOf(consistency.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw StreamingException.invalidArgument("--consistency must be strong, bounded, session or eventually, got '"
                    + consistency + "'");
        }
        return QueryOptions.defaults().withOutputFields(output).withConsistency(level)
                .withTimeout(timeout);
    }

    /** Prints rows (and their scores, if {@code scores} is not null) as a table or as JSON lines. */
    static void print(List<Map<String, Object>> rows, List<Float> scores, boolean json, PrintWriter out) {
        List<Map<String, Object>> shown = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            Map<String, Object> row = new LinkedHashMap<>(rows.get(i));
            if (scores != null) {
                row.put(SCORE, scores.get(i));
            }
            shown.add(row);
        }
        if (json) {
            shown.forEach(r -> out.println(Rows.toJson(r)));
            return;
        }
        if (shown.isEmpty()) {
            out.println("(no rows)");
            return;
        }
        List<String> columns = new ArrayList<>(shown.get(0).keySet());
        TextTable table = new TextTable(columns.stream().map(c -> c.toUpperCase(Locale.ROOT)).toArray(String[]::new));
        for (Map<String, Object> r : shown) {
            table.row(columns.stream().map(c -> cell(r.get(c))).toArray(String[]::new));
        }
        out.print(table);
        out.println("(" + shown.size() + (shown.size() == 1 ? " row)" : " rows)"));
    }

    private static String cell(Object value) {
        if (value == null) {
            return "null";
        }
        return value instanceof String s ? s : Rows.toJson(value);
    }
}
