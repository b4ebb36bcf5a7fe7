package io.tidelog.cli;

import io.tidelog.client.CollectionDescription;
import io.tidelog.client.CreateCollectionOptions;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.StreamingException;
import io.tidelog.message.Rows;
import io.tidelog.message.SchemaJson;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.FieldSchema;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code collection create|list|describe|drop|alter}: the collection catalog's DDL and reads. Every DDL
 * returns once each vchannel of the collection has it.
 */
@Command(name = "collection", mixinStandardHelpOptions = true,
        description = {"Create, list, describe, alter and drop collections. A schema is a JSON file:",
                "  {\"fields\": [{\"name\": \"id\", \"type\": \"INT64\", \"primaryKey\": true},",
                "              {\"name\": \"title\", \"type\": \"VARCHAR\", \"maxLength\": 256},",
                "              {\"name\": \"price\", \"type\": \"DOUBLE\", \"nullable\": true},",
                "              {\"name\": \"emb\", \"type\": \"FLOAT_VECTOR\", \"dim\": 4}]}",
                "Types: BOOL, INT32, INT64, FLOAT, DOUBLE, VARCHAR, JSON, FLOAT_VECTOR."})
public final class CollectionCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The command with its subcommands, for a root command to register. */
    static CommandLine commandLine(CommandContext ctx) {
        return new CommandLine(new CollectionCommand())
                .addSubcommand(new Create(ctx))
                .addSubcommand(new ListCollections(ctx))
                .addSubcommand(new Describe(ctx))
                .addSubcommand(new Drop(ctx))
                .addSubcommand(new Alter(ctx));
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: create, list, describe, drop or alter");
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Create a collection and print it (--json: one object, see 'describe')."},
            exitCodeListHeading = ExitCodes.HEADING,
            exitCodeList = {ExitCodes.OK_LINE, ExitCodes.FAILED_LINE, ExitCodes.USAGE_LINE, ExitCodes.RETRIABLE_LINE, ExitCodes.DENIED_LINE})
    static final class Create extends ClientCommand {
        @Option(names = "--name", required = true, paramLabel = "NAME", description = "The collection's name.")
        String name;

        @Option(names = "--schema", required = true, paramLabel = "FILE", converter = Flags.ReadableFile.class,
                description = "The schema, a JSON file.")
        Path schemaFile;

        @Option(names = "--shards", paramLabel = "N",
                description = "Shards (vchannels), at least 1 and at most the server's catalog.max.shards;"
                        + " default: the server's catalog.default.shards.")
        Integer shards;

        @Option(names = "--replicas", paramLabel = "R",
                description = "Delegators answering queries of each vchannel: the owner's and R-1 on other nodes;"
                        + " at least 1 and at most the server's catalog.max.replicas; default: 1.")
        Integer replicas;

        Create(CommandContext ctx) {
            super(ctx);
        }

        @Override
        int run(StreamingClient client, PrintWriter out, PrintWriter err) {
            if (shards != null && shards < 1) {
                // one line, as a script reads it; the upper bound is the server's to check (catalog.max.shards)
                err.println("error: --shards must be at least 1, got " + shards);
                err.flush();
                return ExitCodes.USAGE;
            }
            if (replicas != null && replicas < 1) {
                err.println("error: --replicas must be at least 1, got " + replicas);
                err.flush();
                return ExitCodes.USAGE;
            }
            CollectionSchema schema = SchemaJson.parseJson(read(schemaFile));
            CreateCollectionOptions options = CreateCollectionOptions.defaults();
            if (shards != null) {
                options = options.withShards(shards);
            }
            if (replicas != null) {
                options = options.withReplicas(replicas);
            }
            CollectionDescription c = client.collections().createBlocking(name, schema, options);
            out.print(server.json ? CollectionText.json(c) + System.lineSeparator() : CollectionText.human(c));
            return ExitCodes.OK;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List every collection: a table, or with --json one object per line (see 'describe')."})
    static final class ListCollections extends ClientCommand {
        ListCollections(CommandContext ctx) {
            super(ctx);
        }

        @Override
        int run(StreamingClient client, PrintWriter out, PrintWriter err) {
            List<CollectionDescription> all = client.collections().listBlocking();
            if (server.json) {
                all.forEach(c -> out.println(CollectionText.json(c)));
            } else {
                out.print(CollectionText.table(all));
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "describe", mixinStandardHelpOptions = true,
            description = {"Show a collection: id, state, vchannels (shard order), partitions and schema.",
                    "--json: {\"name\",\"collectionId\",\"state\",\"shards\",\"vchannels\",\"replicas\",\"partitions\",\"schema\"}."})
    static final class Describe extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The collection.")
        String name;

        Describe(CommandContext ctx) {
            super(ctx);
        }

        @Override
        int run(StreamingClient client, PrintWriter out, PrintWriter err) {
            CollectionDescription c = client.collections().describeBlocking(name);
            out.print(server.json ? CollectionText.json(c) + System.lineSeparator() : CollectionText.human(c));
            return ExitCodes.OK;
        }
    }

    @Command(name = "drop", mixinStandardHelpOptions = true,
            description = {"Drop a collection on every vchannel. --json: {\"name\",\"collectionId\",\"dropped\":true}."})
    static final class Drop extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The collection.")
        String name;

        Drop(CommandContext ctx) {
            super(ctx);
        }

        @Override
        int run(StreamingClient client, PrintWriter out, PrintWriter err) {
            CollectionDescription c = client.collections().dropBlocking(name);
            if (server.json) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("name", c.name());
                j.put("collectionId", c.id());
                j.put("dropped", true);
                out.println(Rows.toJson(j));
            } else {
                out.println("dropped collection " + c.name() + " (id " + c.id() + ")");
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "alter", mixinStandardHelpOptions = true,
            description = {"Add a nullable field to a collection's schema (its version goes up by one), e.g.",
                    "  --add-field '{\"name\": \"year\", \"type\": \"INT32\", \"nullable\": true}'"})
    static final class Alter extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The collection.")
        String name;

        @Option(names = "--add-field", required = true, paramLabel = "JSON", converter = FieldJson.class,
                description = "The field, as in a schema.")
        FieldSchema field;

        Alter(CommandContext ctx) {
            super(ctx);
        }

        @Override
        int run(StreamingClient client, PrintWriter out, PrintWriter err) {
            CollectionDescription c = StreamingClientCalls.await(client.collections().addField(name, field));
            out.print(server.json ? CollectionText.json(c) + System.lineSeparator() : CollectionText.human(c));
            return ExitCodes.OK;
        }
    }

    /** Reads {@code --add-field}: a field as in a schema file; malformed JSON or an unknown type is a wrong command line. */
    static final class FieldJson implements CommandLine.ITypeConverter<FieldSchema> {
        @Override
        public FieldSchema convert(String value) {
            try {
                return SchemaJson.parseFieldJson(value);
            } catch (StreamingException e) {
                throw new CommandLine.TypeConversionException(e.detail());
            }
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw StreamingException.invalidArgument("cannot read " + file + ": " + e.getMessage());
        }
    }
}
