package io.tidelog.cli;

import picocli.CommandLine.Option;

/** The options every client command has. */
final class ServerOptions {
    /** The standalone server's port. */
    static final String DEFAULT_SERVER = "localhost:19530";

    @Option(names = "--server", paramLabel = "HOST:PORT", defaultValue = DEFAULT_SERVER, converter = Flags.Server.class,
            description = "The coordinator (in standalone: the server); an IPv6 address in brackets, [::1]:19530. "
                    + "Default: ${DEFAULT-VALUE}.")
    String server = DEFAULT_SERVER;

    @Option(names = "--json", description = "Print JSON, one object per line, instead of text for people.")
    boolean json;
}
