package io.tidelog.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** The options of the benchmarks that drive a standalone server over gRPC (a picocli mixin). */
final class GrpcOptions extends RunOptions {
    /** Keys the bench sets itself for every server it starts. */
    static final Set<String> CHOSEN_BY_BENCH = Set.of("wal.local.dir", "meta.embedded.dir", "server.port",
            "server.host", "server.advertised.host", "coord.pchannel.count");

    @Option(names = {"-P", "--property"}, paramLabel = "KEY=VALUE",
            description = "Server property, repeatable: any key of tidelog standalone (e.g."
                    + " -P wal.local.segment.bytes=64MiB, -P node.timetick.interval=50ms).")
    Map<String, String> properties = new LinkedHashMap<>();

    @Option(names = "--server-warmup-seconds", defaultValue = "12", paramLabel = "S",
            description = "Full load on each server after it started, before any sample of it, discarded: a server"
                    + " measured seconds after its start measures its JIT compiler (default: ${DEFAULT-VALUE}).")
    double serverWarmupSeconds;

    @Override
    void validate(CommandSpec spec, double pairSeconds) {
        super.validate(spec, pairSeconds);
        if (!(serverWarmupSeconds >= 0)) {
            throw new ParameterException(spec.commandLine(), "--server-warmup-seconds must be >= 0, got "
                    + serverWarmupSeconds);
        }
        for (String k : properties.keySet()) {
            if (CHOSEN_BY_BENCH.contains(k)) {
                throw new ParameterException(spec.commandLine(), k + " is chosen by the bench (a fresh data"
                        + " directory, loopback, an ephemeral port, the pchannels of the run); use --dir to say where");
            }
        }
    }
}
