package io.tidelog.cli;

import io.tidelog.client.StreamingClient;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code query --collection C [--filter EXPR] [--output f1,f2|*] [--limit N] [--consistency L]}. */
@Command(name = "query", mixinStandardHelpOptions = true,
        description = {"Rows of a collection that match a filter, by primary key ascending: growing data acknowledged a"
                + " moment ago and flushed segments alike.",
                "The filter is Milvus's boolean expression syntax, e.g. 'age >= 18 and name like \"A%\"'.",
                "--json: one object per row, the primary key and the output fields under their names."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.OK_LINE, ExitCodes.FAILED_LINE, ExitCodes.USAGE_LINE, ExitCodes.RETRIABLE_LINE, ExitCodes.DENIED_LINE})
public final class QueryCommand extends ClientCommand {
    @Option(names = "--collection", required = true, paramLabel = "NAME", description = "The collection.")
    String collection;

    @Option(names = "--filter", paramLabel = "EXPR", defaultValue = "",
            description = "A boolean expression; none selects every row.")
    String filter;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
            description = "At most N rows, those of the smallest primary keys (default: the server's maximum).")
    long limit;

    @Mixin
    QueryOutput output;

    QueryCommand(CommandContext ctx) {
        super(ctx);
    }

    @Override
    int run(StreamingClient client, PrintWriter out, PrintWriter err) {
        List<Map<String, Object>> rows = StreamingClientCalls.await(client.queries().query(collection,
                output.options().withFilter(filter).withLimit(limit)));
        QueryOutput.print(rows, null, server.json, out);
        return ExitCodes.OK;
    }
}
