package io.tidelog.cli;

import io.tidelog.client.CollectionDescription;
import io.tidelog.client.StreamingClient;
import io.tidelog.client.WriteResult;
import io.tidelog.common.StreamingException;
import io.tidelog.message.Rows;
import io.tidelog.message.CollectionSchemas;
import io.tidelog.proto.DataType;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code delete --collection C --pks 1,2,3}: deletes rows by primary key. */
@Command(name = "delete", mixinStandardHelpOptions = true,
        description = {"Delete rows of a collection by primary key (INT64 keys as numbers, VARCHAR keys as text).",
                "Each vchannel's keys go as one Delete. --json: {\"collection\",\"collectionId\",\"pks\",\"messages\"}."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.OK_LINE, ExitCodes.FAILED_LINE, ExitCodes.USAGE_LINE, ExitCodes.RETRIABLE_LINE, ExitCodes.DENIED_LINE})
public final class DeleteCommand extends ClientCommand {
    @Option(names = "--collection", required = true, paramLabel = "NAME", description = "The collection.")
    String collection;

    @Option(names = "--pks", required = true, split = ",", paramLabel = "PK", description = "Primary keys, comma-separated.")
    List<String> pks;

    DeleteCommand(CommandContext ctx) {
        super(ctx);
    }

    @Override
    int run(StreamingClient client, PrintWriter out, PrintWriter err) {
        CollectionDescription c = client.collections().describeBlocking(collection);
        List<Object> keys = CollectionText.primaryKeys(c, pks);
        WriteResult r = StreamingClientCalls.await(client.delete(c, keys));
        if (server.json) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("collection", collection);
            j.put("collectionId", r.collectionId());
            j.put("pks", (long) r.rows());
            j.put("messages", (long) r.appends().size());
            out.println(Rows.toJson(j));
        } else {
            out.println("deleted " + r.rows() + " primary keys from " + collection + " (" + r.appends().size()
                    + (r.appends().size() == 1 ? " message)" : " messages)"));
        }
        return ExitCodes.OK;
    }
}
