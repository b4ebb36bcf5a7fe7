package io.tidelog.cli;

import io.tidelog.client.StreamingClient;
import io.tidelog.common.StreamingException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options every client command has: where the server is, how to talk to it, what to print. */
final class ServerOptions {
    /** The standalone server's port. */
    static final String DEFAULT_SERVER = "localhost:19530";

    @Option(names = "--server", paramLabel = "HOST:PORT[,HOST:PORT...]", defaultValue = DEFAULT_SERVER,
            converter = Flags.Server.class,
            description = "The coordinators, comma-separated (in standalone: the server); the command follows the "
                    + "leader among them. An IPv6 address in brackets, [::1]:19530. Default: ${DEFAULT-VALUE}.")
    /** The coordinators' addresses, normalised and comma-separated ({@link Flags.Server}). */
    String server = DEFAULT_SERVER;

    @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:TIDELOG_TOKEN}",
            description = "The token to call with, for a server that checks tokens; its role (read, write, admin) "
                    + "decides what the command may do. Default: the environment variable TIDELOG_TOKEN (better than "
                    + "this flag: other users of the machine can see a command line).")
    String token;

    @Option(names = "--tls-ca", paramLabel = "FILE", defaultValue = "${env:TIDELOG_TLS_CA}",
            description = "Speak TLS, trusting the certificates of this PEM file (the CA of the server's certificate). "
                    + "Default: the environment variable TIDELOG_TLS_CA; without either, plaintext.")
    Path tlsCa;

    @Option(names = "--tls-cert", paramLabel = "FILE", description = "With --tls-ca: present this client certificate "
            + "(PEM), for a server that requires one (security.tls.client.auth=require); needs --tls-key.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "The private key (PKCS#8 PEM) of --tls-cert.")
    Path tlsKey;

    @Option(names = "--json", description = "Print JSON, one object per line, instead of text for people.")
    boolean json;

    /** A client builder from {@code ctx}'s connector aimed at {@link #server}, with the token and the CA given. */
    StreamingClient.Builder connect(CommandContext ctx) {
        StreamingClient.Builder b = ctx.connector().apply(server);
        if (token != null && !token.isBlank()) {
            b.token(token.strip());
        }
        if (tlsCa != null && !tlsCa.toString().isBlank()) {
            b.tlsCa(tlsCa);
        }
        if (tlsCert != null || tlsKey != null) {
            if (tlsCert == null || tlsKey == null) {
                throw StreamingException.invalidArgument("--tls-cert and --tls-key go together");
            }
            b.tlsClientCert(tlsCert, tlsKey);
        }
        return b;
    }
}
