package io.tidelog.cli;

import io.tidelog.common.StreamingException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * How the {@code tidelog} binary runs its command line, so that scripts can trust what it does:
 * <ul>
 *   <li>output and errors are UTF-8 whatever the locale (a payload printed as text comes back byte for byte), and
 *       a command notices when its output is closed ({@code | head});</li>
 *   <li>a wrong command line (unknown option, malformed value) is one line on standard error naming the option,
 *       and exit status 2; any other failure is one line {@code error: CODE: detail} with its status
 *       ({@link ExitCodes}), never a stack trace;</li>
 *   <li>SIGTERM or Ctrl-C asks the command to stop ({@link StopRequest}) and the process ends with the status the
 *       command returns: 0 after a clean stop, not the 143 the JVM reports for a process ended by a signal.</li>
 * </ul>
 */
public final class Launcher {
    /** How long a command may take to stop after SIGTERM before the process is halted anyway. */
    static final Duration STOP_GRACE = Duration.ofMinutes(2);
    /** The status of a process halted because its command did not stop in time: 128 + SIGTERM. */
    static final int HALTED = 143;

    private Launcher() {
    }

    /**
     * Sets UTF-8 output and the one-line error handling on {@code root} and every subcommand it has now (call it
     * after adding them).
     */
    public static CommandLine configure(CommandLine root) {
        root.setOut(utf8(FileDescriptor.out));
        root.setErr(utf8(FileDescriptor.err));
        root.setParameterExceptionHandler(Launcher::wrongCommandLine);
        root.setExecutionExceptionHandler(Launcher::failed);
        return root;
    }

    /**
     * Runs {@code args} as the command of this process and returns its exit status, for {@code System.exit}. A
     * shutdown hook turns SIGTERM and Ctrl-C into {@code stop.request()}, waits (up to {@link #STOP_GRACE}) for
     * the command to return, and ends the process with its status; {@code System.exit} after a normal return
     * passes through the same hook with the same status.
     */
    public static int run(CommandLine root, String[] args, StopRequest stop) {
        CompletableFuture<Integer> status = new CompletableFuture<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stopAndHalt(stop, status), "tidelog-stop"));
        int s = HALTED;
        try {
            s = root.execute(args);
        } finally {
            root.getOut().flush();
            root.getErr().flush();
            status.complete(s);
        }
        return s;
    }

    /** The shutdown hook: the JVM is exiting, after System.exit or a signal. */
    private static void stopAndHalt(StopRequest stop, CompletableFuture<Integer> status) {
        stop.request();
        int s;
        try {
            s = status.get(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            System.err.println("tidelog: the command did not stop within " + STOP_GRACE.toSeconds() + " s of the signal; halting");
            s = HALTED;
        } catch (InterruptedException | ExecutionException e) {
            s = HALTED;
        }
        System.out.flush();
        System.err.flush();
        // halt, not exit: the JVM would report 143 for a process a signal ended, however cleanly it stopped
        Runtime.getRuntime().halt(s);
    }

    private static int wrongCommandLine(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println("error: " + oneLine(e.getMessage()) + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
        err.flush();
        return ExitCodes.USAGE;
    }

    private static int failed(Exception e, CommandLine cmd, ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        cmd.getOut().flush();
        if (e instanceof StreamingException s) {
            return CommandContext.fail(err, s);
        }
        err.println("error: INNER: unexpected " + oneLine(e.toString()));
        err.flush();
        return ExitCodes.FAILED;
    }

    private static String oneLine(String s) {
        return String.valueOf(s).strip().replaceAll("\\s*\\R\\s*", " ");
    }

    /**
     * A writer straight onto the file descriptor: {@link System#out} would swallow a failed write (a closed pipe),
     * and the commands could not notice ({@link PrintWriter#checkError()}) that nobody reads what they print.
     */
    private static PrintWriter utf8(FileDescriptor fd) {
        return new PrintWriter(new OutputStreamWriter(new FileOutputStream(fd), StandardCharsets.UTF_8), true);
    }
}
