package io.tidelog.server;

import io.tidelog.cli.StopRequest;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import picocli.CommandLine.Mixin;
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

    /**
     * The configuration options of every server command (a picocli mixin): a file, then the environment, then
     * {@code -c} keys and the command's own flags, each over the one before ({@link ConfigSources}).
     */
    static final class ConfigOptions {
        @Option(names = "--config-file", paramLabel = "FILE",
                description = "A configuration file: YAML (.yaml or .yml; nested keys join with dots, wal: {local: "
                        + "{segment.bytes: 64MiB}} is wal.local.segment.bytes) or properties (KEY=VALUE lines). "
                        + "Environment variables TIDELOG_<KEY> (upper case, _ for .) go over it, flags over those.")
        Path file;

        @Option(names = {"-c", "--config"}, paramLabel = "KEY=VALUE",
                description = "A configuration key (repeatable; wins over the file and the environment).")
        Map<String, String> keys = new LinkedHashMap<>();

        /** The process's environment; a test gives its own. */
        Map<String, String> environment = System.getenv();

        /**
         * The configuration: the file, the environment, {@code -c}, then {@code flags} (key to value and the flag).
         *
         * @throws io.tidelog.common.StreamingException {@code INVALID_ARGUMENT} for a file that cannot be read
         */
        ConfigSources sources(Map<String, ConfigSources.Value> flags) {
            Map<String, ConfigSources.Value> all = new LinkedHashMap<>();
            keys.forEach((k, v) -> all.put(k, new ConfigSources.Value(v, "flag -c")));
            all.putAll(flags);
            return ConfigSources.load(file, environment, all);
        }
    }

    /** Flags that set keys, in the order given: {@code flag(map, "--port", ServerConfig.PORT, port)}. */
    static void flag(Map<String, ConfigSources.Value> flags, String option, String key, Object value) {
        if (value != null) {
            flags.put(key, new ConfigSources.Value(value.toString(), "flag " + option));
        }
    }

    /** The options of every cluster member ({@code tidelog coord}, {@code tidelog node}); a picocli mixin. */
    static final class MemberOptions {
        @Option(names = "--etcd", required = true, paramLabel = "URL[,URL...]",
                description = "The etcd endpoints (host:port or http://host:port), comma-separated. Sets "
                        + "meta.etcd.endpoints.")
        String etcd;

        @Option(names = "--port", description = "gRPC port (default: 19530; 0 picks a free one).")
        Integer port;

        @Option(names = "--http-port", description = "HTTP port of /metrics (Prometheus), /healthz and /readyz"
                + " (default: 9092 for coord, 9093 for node, so that one of each and a standalone (9091) fit on one"
                + " machine; more on one machine need a port each; 0 picks a free one; listens on http.host, default"
                + " 127.0.0.1). Sets " + HttpConfig.PORT + ".")
        Integer httpPort;

        @Mixin
        ConfigOptions config = new ConfigOptions();

        /** The keys these flags set. */
        Map<String, ConfigSources.Value> flags() {
            Map<String, ConfigSources.Value> f = new LinkedHashMap<>();
            flag(f, "--etcd", "meta.etcd.endpoints", etcd);
            flag(f, "--port", ServerConfig.PORT, port);
            flag(f, "--http-port", HttpConfig.PORT, httpPort);
            return f;
        }
    }

    /**
     * @param config    the process's configuration, read first (a file that cannot be read is bad configuration)
     * @param start     starts the server on the configuration's keys
     * @param banner    the line that says where the server listens
     * @param stopping  the line on standard error when a stop is requested
     */
    static <S extends AutoCloseable> int serve(CommandSpec spec, StopRequest stop, Supplier<ConfigSources> config,
                                               Function<Map<String, String>, S> start, Function<S, String> banner,
                                               String stopping) throws Exception {
        S server;
        ConfigSources sources = null;
        try {
            sources = config.get();
            server = start.apply(sources.properties());
        } catch (StreamingException e) {
            String message = sources == null ? e.getMessage() : sources.explain(e.getMessage());
            spec.commandLine().getErr().println("error: " + message);
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
