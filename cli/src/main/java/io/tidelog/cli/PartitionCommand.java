package io.tidelog.cli;

import io.tidelog.client.CollectionDescription;
import io.tidelog.client.StreamingClient;
import io.tidelog.message.Rows;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code partition create|drop --collection C --name P}: partitions of a collection, on every vchannel. */
@Command(name = "partition", mixinStandardHelpOptions = true,
        description = {"Create or drop a partition of a collection (the _default partition cannot be dropped).",
                "Prints the partition; --json: {\"collection\",\"collectionId\",\"partition\",\"partitionId\",\"state\"}."})
public final class PartitionCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    static CommandLine commandLine(CommandContext ctx) {
        return new CommandLine(new PartitionCommand()).addSubcommand(new Create(ctx)).addSubcommand(new Drop(ctx));
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: create or drop");
    }

    abstract static class PartitionDdl extends ClientCommand {
        @Option(names = "--collection", required = true, paramLabel = "NAME", description = "The collection.")
        String collection;

        @Option(names = "--name", required = true, paramLabel = "PARTITION", description = "The partition.")
        String partition;

        PartitionDdl(CommandContext ctx) {
            super(ctx);
        }

        void print(PrintWriter out, CollectionDescription c, long partitionId, String verb) {
            if (server.json) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("collection", c.name());
                j.put("collectionId", c.id());
                j.put("partition", partition);
                j.put("partitionId", partitionId);
                j.put("state", verb.equals("created") ? "PARTITION_CREATED" : "PARTITION_DROPPED");
                out.println(Rows.toJson(j));
            } else {
                out.println(verb + " partition " + partition + " (id " + partitionId + ") of collection " + c.name());
            }
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a partition.")
    static final class Create extends PartitionDdl {
        Create(CommandContext ctx) {
            super(ctx);
        }

        @Override
        int run(StreamingClient client, PrintWriter out, PrintWriter err) {
            CollectionDescription c = StreamingClientCalls.await(client.collections().createPartition(collection, partition));
            print(out, c, c.writablePartition(partition).id(), "created");
            return ExitCodes.OK;
        }
    }

    @Command(name = "drop", mixinStandardHelpOptions = true, description = "Drop a partition.")
    static final class Drop extends PartitionDdl {
        Drop(CommandContext ctx) {
            super(ctx);
        }

        @Override
        int run(StreamingClient client, PrintWriter out, PrintWriter err) {
            CollectionDescription before = client.collections().describeBlocking(collection);
            long id = before.partitions().stream().filter(p -> p.name().equals(partition))
                    .mapToLong(CollectionDescription.Partition::id).findFirst().orElse(0);
            CollectionDescription c = StreamingClientCalls.await(client.collections().dropPartition(collection, partition));
            print(out, c, id, "dropped");
            return ExitCodes.OK;
        }
    }
}
