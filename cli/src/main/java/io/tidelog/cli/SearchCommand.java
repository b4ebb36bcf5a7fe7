package io.tidelog.cli;

import io.tidelog.client.Metric;
import io.tidelog.client.SearchHit;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.StreamingException;
import io.tidelog.message.Rows;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code search --collection C --field F --vector '[...]' --topk K [--metric M] [--filter EXPR]}. */
@Command(name = "search", mixinStandardHelpOptions = true,
        description = {"The top-k rows of a collection nearest to a vector, best first (ties by primary key): exact, over"
                + " growing and flushed data.",
                "Metrics: L2 (squared Euclidean distance, smaller first), IP (inner product) and COSINE (cosine similarity),"
                + " larger first.",
                "--json: one object per hit, the primary key, the output fields and \"_score\"."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.OK_LINE, ExitCodes.FAILED_LINE, ExitCodes.USAGE_LINE, ExitCodes.RETRIABLE_LINE, ExitCodes.DENIED_LINE})
public final class SearchCommand extends ClientCommand {
    @Option(names = "--collection", required = true, paramLabel = "NAME", description = "The collection.")
    String collection;

    @Option(names = "--field", required = true, paramLabel = "FIELD", description = "The FLOAT_VECTOR field searched.")
    String field;

    @Option(names = "--vector", required = true, paramLabel = "JSON",
            description = "The query vector as a JSON array of numbers, e.g. '[0.1, 0.2]'.")
    String vector;

    @Option(names = "--topk", required = true, paramLabel = "K", description = "How many hits.")
    int topK;

    @Option(names = "--metric", paramLabel = "METRIC", defaultValue = "L2",
            description = "L2 (default), IP or COSINE.")
    String metric;

    @Option(names = "--filter", paramLabel = "EXPR", defaultValue = "",
            description = "Only rows that match this boolean expression.")
    String filter;

    @Mixin
    QueryOutput output;

    SearchCommand(CommandContext ctx) {
        super(ctx);
    }

    @Override
    int run(StreamingClient client, PrintWriter out, PrintWriter err) {
        Metric m;
        try {
            m = Metric.valueOf(metric.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw StreamingException.invalidArgument("--metric must be L2, IP or COSINE, got '" + metric + "'");
        }
        List<SearchHit> hits = StreamingClientCalls.await(client.queries().search(collection, field, parseVector(vector),
                topK, m, output.options().withFilter(filter)));
        QueryOutput.print(hits.stream().map(SearchHit::row).toList(), hits.stream().map(SearchHit::score).toList(),
                server.json, out);
        return ExitCodes.OK;
    }

    /** A JSON array of finite numbers as floats. */
    static float[] parseVector(String json) {
        Object v;
        try {
            v = Rows.parseJsonValue(json);
        } catch (StreamingException e) {
            throw StreamingException.invalidArgument("--vector: " + e.detail());
        }
        if (!(v instanceof List<?> list) || list.isEmpty()) {
            throw StreamingException.invalidArgument("--vector must be a non-empty JSON array of numbers, got " + json);
        }
        float[] out = new float[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Number n) || !Float.isFinite(n.floatValue())) {
                throw StreamingException.invalidArgument("--vector: element " + i + " is not a finite number: "
                        + list.get(i));
            }
            out[i] = n.floatValue();
        }
        return out;
    }
}
