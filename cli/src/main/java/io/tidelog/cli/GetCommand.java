package io.tidelog.cli;

import io.tidelog.client.CollectionDescription;
import io.tidelog.client.StreamingClient;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code get --collection C --pks 1,2,3 [--output ...]}: rows by primary key. */
@Command(name = "get", mixinStandardHelpOptions = true,
        description = {"Rows of a collection by primary key (INT64 keys as numbers, VARCHAR keys as text), by primary key"
                + " ascending; keys without a row are left out.",
                "--json: one object per row, the primary key and the output fields under their names."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.OK_LINE, ExitCodes.FAILED_LINE, ExitCodes.USAGE_LINE, ExitCodes.RETRIABLE_LINE, ExitCodes.DENIED_LINE})
public final class GetCommand extends ClientCommand {
    @Option(names = "--collection", required = true, paramLabel = "NAME", description = "The collection.")
    String collection;

    @Option(names = "--pks", required = true, split = ",", paramLabel = "PK", description = "Primary keys, comma-separated.")
    List<String> pks;

    @Mixin
    QueryOutput output;

    GetCommand(CommandContext ctx) {
        super(ctx);
    }

    @Override
    int run(StreamingClient client, PrintWriter out, PrintWriter err) {
        CollectionDescription c = client.collections().describeBlocking(collection);
        List<Map<String, Object>> rows = StreamingClientCalls.await(client.queries().get(collection,
                CollectionText.primaryKeys(c, pks), output.options()));
        QueryOutput.print(rows, null, server.json, out);
        return ExitCodes.OK;
    }
}
