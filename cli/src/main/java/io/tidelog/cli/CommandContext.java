package io.tidelog.cli;

import io.tidelog.client.StreamingClient;
import io.tidelog.common.StreamingException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.function.Function;

/**
 * What the client commands share: how a {@code --server} becomes a client, standard input, and the request to
 * stop.
 *
 * @param connector makes a client builder aimed at the coordinators, {@code host:port[,host:port...]}
 * @param stdin     where {@code produce} reads its messages
 * @param stop      set by SIGTERM or Ctrl-C: long-running commands end cleanly
 */
record CommandContext(Function<String, StreamingClient.Builder> connector, InputStream stdin, StopRequest stop) {

    /** Prints {@code error: CODE: detail} and returns the exit status for it. */
    static int fail(PrintWriter err, StreamingException e) {
        err.println("error: " + e.getMessage());
        err.flush();
        return ExitCodes.of(e);
    }
}
