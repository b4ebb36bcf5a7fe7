package io.tidelog.server;

import io.tidelog.cli.StopRequest;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * How a server command runs: start, say where it listens on standard output (one line, which scripts and tests wait
 * for), serve until a stop request (SIGTERM or Ctrl-C), close, exit 0. A start that fails prints {@code error: ...}
 * and exits 2 for bad configuration ({@code INVALID_ARGUMENT}), 1 otherwise.
 */
final class ServerRun {
    private ServerRun() {
    }

    /** The options of every cluster member ({@code tidelog coord}, {@code tidelog node}); a picocli mixin. */
    static final class MemberOptions {
        @Option(names = "--etcd", required = true, paramLabel = "URL[,URL...]",
                description = "The etcd endpoints (host:port or http://host:port), comma-separated. Sets "
                        + "meta.etcd.endpoints.")
        String etcd;

        @Option(names = "--port", description = "gRPC port (default: 19530; 0 picks a free one).")
        Integer port;

        @Option(names = {"-c", "--config"}, description = "A configuration key, KEY=VALUE (repeatable).")
        Map<String, String> config = new HashMap<>();

        /** The configuration the options say, flags over {@code -c} keys. */
        Map<String, String> properties() {
            Map<String, String> p = new HashMap<>(config);
            p.put("meta.etcd.endpoints", etcd);
            if (port != null) {
                p.put(ServerConfig.PORT, port.toString());
            }
            return p;
        }
    }

    /**
     * @param banner    the line that says where the server listens
     * @param stopping  the line on standard error when a stop is requested
     */
    static <S extends AutoCloseable> int serve(CommandSpec spec, StopRequest stop, Supplier<S> start,
                                               Function<S, String> banner, String stopping) throws Exception {
        S server;
        try {
            server = start.get();
        } catch (StreamingException e) {
            spec.commandLine().getErr().println("error: " + e.getMessage());
            spec.commandLine().getErr().flush();
            return e.code() == ErrorCode.INVALID_ARGUMENT ? 2 : 1;
        }
        System.out.println(banner.apply(server));
        System.out.flush();
        stop.await();
        System.err.println("tidelog: " + stopping);
        server.close();
        return 0;
    }
}
