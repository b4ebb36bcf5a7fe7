package io.tidelog.cli;

import io.tidelog.client.StreamingClient;
import java.io.InputStream;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The client subcommands ({@code produce}, {@code consume}, {@code status}, {@code collection ...},
 * {@code partition ...}, {@code insert}, {@code delete}, {@code flush}, {@code segments}, {@code subscriptions}) as picocli command objects (or, for
 * the groups, {@code CommandLine}s with their subcommands), for a root command to register with
 * {@code CommandLine.addSubcommand(Object)}. Each call returns new instances; a command object serves one
 * execution at a time.
 */
public final class ClientCommands {
    private ClientCommands() {
    }

    /** The commands, talking plaintext gRPC to {@code --server} and reading {@link System#in}. */
    public static List<Object> all() {
        return all(server -> StreamingClient.builder().target(server), System.in);
    }

    /**
     * The commands with another way to connect (for example in-process channels in tests) and another
     * standard input.
     *
     * @param connector a client builder aimed at the {@code --server} value; commands set their own options on it
     * @param stdin     where {@code produce} reads its lines
     */
    public static List<Object> all(Function<String, StreamingClient.Builder> connector, InputStream stdin) {
        CommandContext ctx = new CommandContext(Objects.requireNonNull(connector, "connector"),
                Objects.requireNonNull(stdin, "stdin"));
        return List.of(new ProduceCommand(ctx), new ConsumeCommand(ctx), new StatusCommand(ctx),
                CollectionCommand.commandLine(ctx), PartitionCommand.commandLine(ctx), new InsertCommand(ctx),
                new DeleteCommand(ctx), new FlushCommand(ctx), new SegmentsCommand(ctx), SubscriptionsCommand.commandLine(ctx));
    }
}
