package io.tidelog.cli;

import io.tidelog.client.StreamingClient;
import io.tidelog.common.StreamingException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.function.Function;

/**
 * What the client commands share: how a {@code --server} becomes a client, and standard input.
 *
 * @param connector makes a client builder aimed at a {@code host:port}
 * @param stdin     where {@code produce} reads lines
 */
record CommandContext(Function<String, StreamingClient.Builder> connector, InputStream stdin) {

    /** Prints {@code error: CODE: detail} and returns the exit status for it. */
    static int fail(PrintWriter err, StreamingException e) {
        err.println("error: " + e.getMessage());
        err.flush();
        return ExitCodes.of(e);
    }
}
