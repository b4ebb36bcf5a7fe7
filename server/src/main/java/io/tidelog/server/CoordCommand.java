package io.tidelog.server;

import io.tidelog.cli.StopRequest;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.coord.CoordConfig;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code tidelog coord}: one coordinator of a cluster, leader or standby, until a stop request (SIGTERM or Ctrl-C
 * through {@link io.tidelog.cli.Launcher}); then it resigns, shuts down cleanly and exits 0.
 */
@Command(name = "coord", mixinStandardHelpOptions = true,
        description = {"Runs one coordinator of a Tidelog cluster on etcd: it registers a session, takes part in the "
                + "election of the leader (the leader assigns the pchannels to the streaming nodes, serves the "
                + "TSO and the collection catalog, and broadcasts DDL to the vchannels; the others stand by and name "
                + "the leader to clients), until SIGTERM or Ctrl-C. With -c objectstore.uri=URI (file:DIR or "
                + "s3://bucket/prefix, the nodes' object store) the leader also lists flushed segments and removes "
                + "the files of dropped collections.",
            "Exit status: 0 after a clean shutdown (also on SIGTERM or Ctrl-C), 2 for a wrong command line or bad "
                + "configuration, 1 for any other failure."})
public final class CoordCommand implements Callable<Integer> {
    private final StopRequest stop;

    @Spec
    CommandSpec spec;

    @Option(names = "--etcd", required = true, paramLabel = "URL[,URL...]",
            description = "The etcd endpoints (host:port or http://host:port), comma-separated. Sets meta.etcd.endpoints.")
    String etcd;

    @Option(names = "--port", description = "gRPC port (default: 19530; 0 picks a free one).")
    Integer port;

    @Option(names = "--pchannels", description = "Number of pchannels (default: 16; fixed for the life of the data).")
    Integer pchannels;

    @Option(names = {"-c", "--config"}, description = "A configuration key, KEY=VALUE (repeatable).")
    Map<String, String> config = new HashMap<>();

    CoordCommand(StopRequest stop) {
        this.stop = stop;
    }

    @Override
    public Integer call() throws InterruptedException {
        Map<String, String> p = new HashMap<>(config);
        p.put("meta.etcd.endpoints", etcd);
        if (port != null) {
            p.put(ServerConfig.PORT, port.toString());
        }
        if (pchannels != null) {
            try {
                CoordConfig.from(Map.of(CoordConfig.PCHANNEL_COUNT, pchannels.toString()));
            } catch (StreamingException e) {
                throw new ParameterException(spec.commandLine(), "Invalid value for option '--pchannels': " + e.detail());
            }
            p.put(CoordConfig.PCHANNEL_COUNT, pchannels.toString());
        }
        CoordServer server;
        try {
            server = CoordServer.start(p);
        } catch (StreamingException e) {
            spec.commandLine().getErr().println("error: " + e.getMessage());
            spec.commandLine().getErr().flush();
            return e.code() == ErrorCode.INVALID_ARGUMENT ? 2 : 1;
        }
        System.out.println("Tidelog coordinator " + server.id() + " listening on " + server.address());
        System.out.flush();
        stop.await();
        System.err.println("tidelog: shutting down");
        server.close();
        return 0;
    }
}
