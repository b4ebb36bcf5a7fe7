package io.tidelog.server;

import io.tidelog.cli.StopRequest;
import io.tidelog.wal.WalBackends;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code tidelog node}: one streaming node of a cluster, until a stop request (SIGTERM or Ctrl-C through
 * {@link io.tidelog.cli.Launcher}); then it hands its pchannels back, shuts down cleanly and exits 0.
 */
@Command(name = "node", mixinStandardHelpOptions = true,
        description = {"Runs one streaming node of a Tidelog cluster on etcd: it registers a session and serves the "
                + "pchannels the leader coordinator assigns to it, on a WAL every node can open (objectstore, kafka or pulsar), "
                + "until SIGTERM or Ctrl-C; then it hands its pchannels back to the coordinator before it exits.",
            "Exit status: 0 after a clean shutdown (also on SIGTERM or Ctrl-C), 2 for a wrong command line or bad "
                + "configuration, 1 for any other failure."})
public final class NodeCommand implements Callable<Integer> {
    private final StopRequest stop;

    @Spec
    CommandSpec spec;

    @Mixin
    ServerRun.MemberOptions member = new ServerRun.MemberOptions();

    @Option(names = "--node-id", required = true, paramLabel = "ID",
            description = "This node's id, unique in the cluster and kept across restarts. Sets server.node.id.")
    String nodeId;

    @Option(names = "--data-dir", required = true, paramLabel = "DIR",
            description = "Where files being written are kept before their upload (nothing else lives on local disk).")
    Path dataDir;

    @Option(names = "--wal", required = true, paramLabel = "objectstore|kafka|pulsar",
            description = "The WAL backend, shared by every node: objectstore (wal.objectstore.uri), kafka"
                    + " (wal.kafka.bootstrap.servers) or pulsar (wal.pulsar.service.url, wal.pulsar.admin.url). Sets " + WalBackends.BACKEND + ".")
    String wal;

    @Option(names = "--object-store", paramLabel = "URI", description = "Where flushed segments go, shared by every "
            + "node: file:DIR or s3://BUCKET/PREFIX (default for the objectstore WAL: wal.objectstore.uri).")
    String objectStore;

    NodeCommand(StopRequest stop) {
        this.stop = stop;
    }

    @Override
    public Integer call() throws Exception {
        if (!NodeServer.SHARED_BACKENDS.contains(wal)) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--wal': '" + wal
                    + "' (a node of a cluster takes objectstore, kafka or pulsar)");
        }
        if (nodeId.isBlank()) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--node-id': it is blank");
        }
        Map<String, ConfigSources.Value> flags = member.flags();
        ServerRun.flag(flags, "--node-id", ServerConfig.PREFIX + "node.id", nodeId);
        ServerRun.flag(flags, "--wal", WalBackends.BACKEND, wal);
        ServerRun.flag(flags, "--object-store", StandaloneServer.OBJECT_STORE_URI, objectStore);
        return ServerRun.serve(spec, stop, () -> member.config.sources(flags), p -> NodeServer.start(dataDir, p),
                s -> "Tidelog node " + s.nodeId() + " listening on " + s.address() + ", HTTP on http://"
                        + s.httpAddress() + " (/metrics, /healthz, /readyz)",
                "handing the pchannels back and shutting down");
    }
}
