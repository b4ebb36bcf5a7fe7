package io.tidelog.server;

import io.tidelog.cli.StopRequest;
import io.tidelog.common.StreamingException;
import io.tidelog.coord.CoordConfig;
import io.tidelog.wal.WalBackends;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code tidelog standalone}: the coordinator and one node in this process, until a stop request (SIGTERM or
 * Ctrl-C through {@link io.tidelog.cli.Launcher}); then it shuts down cleanly and exits 0.
 */
@Command(name = "standalone", mixinStandardHelpOptions = true,
        description = {"Runs Tidelog in one process: coordinator and one streaming node, the embedded meta store "
                + "and the WAL (local by default) under one data directory, until SIGTERM or Ctrl-C.",
            "Exit status: 0 after a clean shutdown (also on SIGTERM or Ctrl-C), 2 for a wrong command line or bad "
                + "configuration, 1 for any other failure."})
public final class StandaloneCommand implements Callable<Integer> {
    private final StopRequest stop;

    @Spec
    CommandSpec spec;

    @Option(names = "--data-dir", defaultValue = "data", description = "Data directory (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--port", description = "gRPC port (default: 19530; 0 picks a free one).")
    Integer port;

    @Option(names = "--http-port", description = "HTTP port of the status page (/), /metrics (Prometheus), /healthz"
            + " and /readyz (default: 9091; 0 picks a free one; listens on http.host, default 127.0.0.1).")
    Integer httpPort;

    @Option(names = "--pchannels", description = "Number of pchannels (default: 16; fixed for the life of the data).")
    Integer pchannels;

    @Option(names = "--pchannel-prefix", description = "pchannel name prefix (default: pchannel).")
    String pchannelPrefix;

    @Option(names = "--object-store", description = "Where flushed segments go: file:DIR or s3://BUCKET/PREFIX"
            + " (default: file:<data dir>/objects; S3 endpoint and credentials from objectstore.s3.* keys or"
            + " TIDELOG_S3_ENDPOINT, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).")
    String objectStore;

    @Option(names = "--wal", description = "The WAL backend: local (a directory under the data dir), objectstore"
            + " (no disk: blocks in the object store, wal.objectstore.uri, default the --object-store) kafka"
            + " (wal.kafka.bootstrap.servers) or pulsar (wal.pulsar.service.url, wal.pulsar.admin.url); default: local. Sets " + WalBackends.BACKEND + ".")
    String wal;

    @Mixin
    ServerRun.ConfigOptions config = new ServerRun.ConfigOptions();

    StandaloneCommand(StopRequest stop) {
        this.stop = stop;
    }

    @Override
    public Integer call() throws Exception {
        checkFlag("--port", port, ServerConfig.PORT, ServerConfig::from);
        checkFlag("--http-port", httpPort, HttpConfig.PORT, HttpConfig::from);
        checkFlag("--pchannels", pchannels, CoordConfig.PCHANNEL_COUNT, CoordConfig::from);
        checkFlag("--pchannel-prefix", pchannelPrefix, CoordConfig.PCHANNEL_PREFIX, CoordConfig::from);
        Map<String, ConfigSources.Value> flags = new LinkedHashMap<>();
        ServerRun.flag(flags, "--port", ServerConfig.PORT, port);
        ServerRun.flag(flags, "--http-port", HttpConfig.PORT, httpPort);
        ServerRun.flag(flags, "--pchannels", CoordConfig.PCHANNEL_COUNT, pchannels);
        ServerRun.flag(flags, "--object-store", StandaloneServer.OBJECT_STORE_URI, objectStore);
        ServerRun.flag(flags, "--pchannel-prefix", CoordConfig.PCHANNEL_PREFIX, pchannelPrefix);
        if (wal != null) {
            try {
                WalBackends.selected(Map.of(WalBackends.BACKEND, wal));
            } catch (StreamingException e) {
                throw new ParameterException(spec.commandLine(), "Invalid value for option '--wal': " + e.detail());
            }
            ServerRun.flag(flags, "--wal", WalBackends.BACKEND, wal);
        }
        return ServerRun.serve(spec, stop, () -> config.sources(flags), p -> StandaloneServer.start(dataDir, p),
                s -> "Tidelog standalone listening on " + s.address() + " (data dir " + dataDir.toAbsolutePath()
                        + "), HTTP on " + s.httpUrl() + " (status page /, /metrics, /healthz, /readyz)",
                "shutting down");
    }

    /** A flag's value checked by the configuration it sets, so the error names the flag: a wrong command line. */
    private <T> void checkFlag(String flag, Object value, String key, Function<Map<String, String>, T> config) {
        if (value == null) {
            return;
        }
        try {
            config.apply(Map.of(key, value.toString()));
        } catch (StreamingException e) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '" + flag + "': " + e.detail());
        }
    }
}
