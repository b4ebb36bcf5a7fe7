package io.tidelog.bench;

import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The options of the A/B method that every benchmark shares, whatever it runs against (a WAL backend
 * in process, or a server over gRPC); picocli inherits them into each benchmark's mixin.
 */
class RunOptions {
    @Option(names = "--dir", paramLabel = "DIR",
            description = "Directory to benchmark in; a private sub-directory is created there and removed at the"
                    + " end (default: the system temporary directory).")
    Path dir;

    @Option(names = "--pairs", defaultValue = "5", paramLabel = "N",
            description = "Baseline/SUT pairs, run alternately (default: ${DEFAULT-VALUE}).")
    int pairs;

    @Option(names = "--warmup-seconds", defaultValue = "2", paramLabel = "S",
            description = "Warm-up of each side before the pairs, discarded (default: ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Option(names = "--settle-seconds", defaultValue = "1", paramLabel = "S",
            description = "Load run on each freshly opened SUT before its sample is measured, discarded:"
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
    }

    static long nanos(double seconds) {
        return Math.round(seconds * 1e9);
    }
}
