package io.tidelog.cli;

import io.tidelog.client.StreamingClient;
import io.tidelog.common.StreamingException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A client command that makes one client for {@code --server}, runs, and closes it; a failure prints
 * {@code error: CODE: detail} on standard error and exits with its status ({@link ExitCodes}).
 */
abstract class ClientCommand implements Callable<Integer> {
    final CommandContext ctx;

    @Spec
    CommandSpec spec;

    @Mixin
    ServerOptions server = new ServerOptions();

    ClientCommand(CommandContext ctx) {
        this.ctx = ctx;
    }

    /** The command's work; returns the exit status. Throws {@link StreamingException} to fail. */
    abstract int run(StreamingClient client, PrintWriter out, PrintWriter err);

    @Override
    public final Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (StreamingClient client = server.connect(ctx).build()) {
            int status = run(client, out, err);
            out.flush();
            return status;
        } catch (StreamingException e) {
            out.flush();
            return CommandContext.fail(err, e);
        }
    }
}
