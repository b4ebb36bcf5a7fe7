package io.tidelog.cli;

import io.tidelog.client.StreamingClient;
import java.io.InputStream;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The client subcommands ({@code produce}, {@code consume}, {@code status}, {@code collection ...},
 * {@code partition ...}, {@code insert}, {@code delete}, {@code flush}, {@code segments}, {@code subscriptions}, {@code drain},
 * {@code query}, {@code get}, {@code search}) as picocli command objects (or, for
 * the groups, {@code CommandLine}s with their subcommands), for a root command to register with
 * {@code CommandLine.addSubcommand(Object)}. Each call returns new instances; a command object serves one
 * execution at a time.
 */
public final class ClientCommands {
    private ClientCommands() {
    }

    /**
     * The commands, talking gRPC to {@code --server} (plaintext, or TLS with {@code --tls-ca}) and reading {@link System#in}.
     *
     * @param stop set on SIGTERM or Ctrl-C ({@link Launcher#run}): long-running commands then end cleanly
     */
    public static List<Object> all(StopRequest stop) {
        return all(server -> StreamingClient.builder().target(server), System.in, stop);
    }

    /** {@link #all(Function, InputStream, StopRequest)} with a stop request nothing makes. */
    public static List<Object> all(Function<String, StreamingClient.Builder> connector, InputStream stdin) {
        return all(connector, stdin, new StopRequest());
    }

    /**
     * The commands with another way to connect (for example in-process channels in tests), another standard
     * input and a stop request of the caller's.
     *
     * @param connector a client builder aimed at the {@code --server} value (one or more coordinators,
     *                  comma-separated); commands set their own options on it
     * @param stdin     where {@code produce} reads its messages
     * @param stop      long-running commands end cleanly once it is requested
     */
    public static List<Object> all(Function<String, StreamingClient.Builder> connector, InputStream stdin,
                                   StopRequest stop) {
        CommandContext ctx = new CommandContext(Objects.requireNonNull(connector, "connector"),
                Objects.requireNonNull(stdin, "stdin"), Objects.requireNonNull(stop, "stop"));
        return List.of(new ProduceCommand(ctx), new ConsumeCommand(ctx), new StatusCommand(ctx),
                CollectionCommand.commandLine(ctx), PartitionCommand.commandLine(ctx), new InsertCommand(ctx),
                new DeleteCommand(ctx), new FlushCommand(ctx), new SegmentsCommand(ctx), SubscriptionsCommand.commandLine(ctx),
                new DrainCommand(ctx), new QueryCommand(ctx), new GetCommand(ctx), new SearchCommand(ctx));
    }
}
