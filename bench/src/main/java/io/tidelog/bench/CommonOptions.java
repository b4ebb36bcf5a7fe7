package io.tidelog.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** The options of the benchmarks that run a WAL backend in process (a picocli mixin). */
final class CommonOptions extends RunOptions {
    @Option(names = "--backend", defaultValue = "local", paramLabel = "NAME",
            description = "WAL backend under test, by its registered name (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = {"-P", "--property"}, paramLabel = "KEY=VALUE",
            description = "Backend property, repeatable (e.g. -P wal.local.segment.bytes=128MiB).")
    Map<String, String> properties = new LinkedHashMap<>();

    @Override
    void validate(CommandSpec spec, double pairSeconds) {
        super.validate(spec, pairSeconds);
        if (properties.keySet().stream().anyMatch(k -> k.equals("wal.local.dir"))) {
            throw new ParameterException(spec.commandLine(), "wal.local.dir is chosen by the bench (a fresh"
                    + " directory per sample); use --dir to say where");
        }
    }
}
