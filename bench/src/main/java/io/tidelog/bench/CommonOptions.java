package io.tidelog.bench;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** The options every benchmark shares (a picocli mixin). */
final class CommonOptions {
    @Option(names = "--backend", defaultValue = "local", paramLabel = "NAME",
            description = "WAL backend under test, by its registered name (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--dir", paramLabel = "DIR",
            description = "Directory to benchmark in; a private sub-directory is created there and removed at the"
                    + " end (default: the system temporary directory).")
    Path dir;

    @Option(names = {"-P", "--property"}, paramLabel = "KEY=VALUE",
            description = "Backend property, repeatable (e.g. -P wal.local.segment.bytes=128MiB).")
    Map<String, String> properties = new LinkedHashMap<>();

    @Option(names = "--pairs", defaultValue = "5", paramLabel = "N",
            description = "Baseline/SUT pairs, run alternately (default: ${DEFAULT-VALUE}).")
    int pairs;

    @Option(names = "--warmup-seconds", defaultValue = "2", paramLabel = "S",
            description = "Warm-up of each side before the pairs, discarded (default: ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Option(names = "--settle-seconds", defaultValue = "1", paramLabel = "S",
            description = "Load run on each freshly opened SUT pchannel before its sample is measured, discarded:"
                    + " lets the work an open starts in the background (spare segment preallocation) finish"
                    + " (default: ${DEFAULT-VALUE}).")
    double settleSeconds;

    @Option(names = "--baseline-file-bytes", defaultValue = "256MiB", converter = ByteSize.class, paramLabel = "SIZE",
            description = "Size of the preallocated baseline file, overwritten in a ring (default: ${DEFAULT-VALUE}).")
    long baselineFileBytes;

    @Option(names = "--json", description = "Also print one machine-readable JSON summary line at the end.")
    boolean json;

    /** Fails with a usage error naming the option when a value cannot work. */
    void validate(CommandSpec spec, double pairSeconds) {
        if (pairs < 1) {
            throw new ParameterException(spec.commandLine(), "--pairs must be at least 1, got " + pairs);
        }
        if (!(pairSeconds > 0)) {
            throw new ParameterException(spec.commandLine(), "--pair-seconds must be positive, got " + pairSeconds);
        }
        if (!(warmupSeconds >= 0)) {
            throw new ParameterException(spec.commandLine(), "--warmup-seconds must be >= 0, got " + warmupSeconds);
        }
        if (!(settleSeconds >= 0)) {
            throw new ParameterException(spec.commandLine(), "--settle-seconds must be >= 0, got " + settleSeconds);
        }
        if (properties.keySet().stream().anyMatch(k -> k.equals("wal.local.dir"))) {
            throw new ParameterException(spec.commandLine(), "wal.local.dir is chosen by the bench (a fresh"
                    + " directory per sample); use --dir to say where");
        }
    }

    static long nanos(double seconds) {
        return Math.round(seconds * 1e9);
    }
}
