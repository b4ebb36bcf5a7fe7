package io.tidelog.cli;

import picocli.CommandLine.Option;

/** The options every client command has. */
final class ServerOptions {
    /** The standalone server's port. */
    static final String DEFAULT_SERVER = "localhost:19530";

    @Option(names = "--server", paramLabel = "HOST:PORT[,HOST:PORT...]", defaultValue = DEFAULT_SERVER,
            converter = Flags.Server.class,
            description = "The coordinators, comma-separated (in standalone: the server); the command follows the "
                    + "leader among them. An IPv6 address in brackets, [::1]:19530. Default: ${DEFAULT-VALUE}.")
    /** The coordinators' addresses, normalised and comma-separated ({@link Flags.Server}). */
    String server = DEFAULT_SERVER;

    @Option(names = "--json", description = "Print JSON, one object per line, instead of text for people.")
    boolean json;
}
