package io.tidelog.server;

import io.tidelog.cli.StopRequest;
import io.tidelog.common.StreamingException;
import io.tidelog.coord.CoordConfig;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
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

    @Mixin
    ServerRun.MemberOptions member = new ServerRun.MemberOptions();

    @Option(names = "--pchannels", description = "Number of pchannels (default: 16; fixed for the life of the data).")
    Integer pchannels;

    CoordCommand(StopRequest stop) {
        this.stop = stop;
    }

    @Override
    public Integer call() throws Exception {
        Map<String, ConfigSources.Value> flags = member.flags();
        if (pchannels != null) {
            try {
                CoordConfig.from(Map.of(CoordConfig.PCHANNEL_COUNT, pchannels.toString()));
            } catch (StreamingException e) {
                throw new ParameterException(spec.commandLine(), "Invalid value for option '--pchannels': " + e.detail());
            }
            ServerRun.flag(flags, "--pchannels", CoordConfig.PCHANNEL_COUNT, pchannels);
        }
        return ServerRun.serve(spec, stop, () -> member.config.sources(flags), CoordServer::start,
                s -> "Tidelog coordinator " + s.id() + " listening on " + s.address() + ", HTTP on http://"
                        + s.httpAddress() + " (/metrics, /healthz, /readyz)", "shutting down");
    }
}
