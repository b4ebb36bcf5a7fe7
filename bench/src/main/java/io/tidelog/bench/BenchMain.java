package io.tidelog.bench;

import io.tidelog.common.StreamingException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The Tidelog benchmark launcher: one sub-command per benchmark. Every benchmark follows the same
 * method: machine facts first, then A/B pairs alternating a raw baseline measured in the same run and
 * the system under test, then the median of the per-pair ratios with min and max, marked
 * {@code INCONCLUSIVE} when the baseline moved more than 2x within the run (see {@link PairedRun}).
 *
 * <p>Exit status: 0 after a completed run whatever the verdict (a benchmark reports, it does not gate),
 * 1 when the run failed (for {@code query} also: a wrong answer, or a read that missed an acknowledged write),
 * 2 for bad command-line input.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, version = "tidelog-bench 0.1.0",
        description = {"Tidelog benchmarks: A/B pairs of a raw baseline and the system under test, judged by the"
                + " median of per-pair ratios."},
        subcommands = {WalThroughputBench.class, WalLatencyBench.class, GrpcThroughputBench.class,
                GrpcLatencyBench.class, RecoveryBench.class, ObjectStoreWalBench.class, KafkaWalBench.class,
                PulsarWalBench.class, VsKafkaBench.class, QueryBench.class, CommandLine.HelpCommand.class})
public final class BenchMain implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "name a benchmark: "
                + String.join(", ", spec.subcommands().keySet()));
    }

    public static void main(String[] args) {
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs the command line with the given output streams; returns the exit status. */
    static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new BenchMain());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            err.println("error: " + describe(ex));
            if (Boolean.getBoolean("tidelog.bench.trace")) {
                ex.printStackTrace(err);
            } else {
                err.println("(run with -Dtidelog.bench.trace=true for the stack trace)");
            }
            err.flush();
            return 1;
        });
        return cl.execute(args);
    }

    /** The message of a failure, with its error code when it is a Tidelog error, and its cause. */
    static String describe(Throwable t) {
        String msg = t instanceof StreamingException ? t.getMessage()
                : t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
        Throwable cause = t.getCause();
        if (cause != null && cause.getMessage() != null && !msg.contains(cause.getMessage())) {
            msg += " (caused by " + cause.getClass().getSimpleName() + ": " + cause.getMessage() + ")";
        }
        return msg;
    }
}
