package io.tidelog.cli;

import io.tidelog.client.StreamingClient;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.Rows;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code drain NODE_ID}: moves every pchannel off a streaming node, for maintenance, and waits until it holds none. */
@Command(name = "drain", mixinStandardHelpOptions = true,
        description = {"Move every pchannel off a streaming node, each handed over gracefully (appends in flight "
                + "finish, clients follow), and keep new ones off it until it restarts; wait until it holds none. "
                + "Then the node can be stopped with nothing to move. A restarted node takes pchannels again.",
            "--json: {\"nodeId\",\"sessionId\"}."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.OK_LINE, ExitCodes.FAILED_LINE + "; NOT_FOUND: the node has no live session",
            ExitCodes.USAGE_LINE, ExitCodes.RETRIABLE_LINE + "; TIMEOUT: the drain goes on (no other node could take "
                + "the pchannels yet?)", ExitCodes.DENIED_LINE})
public final class DrainCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NODE_ID", description = "The node, as tidelog status names it.")
    String nodeId;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60", converter = Flags.Seconds.class,
            description = "How long to wait for the node to hold no pchannel (default ${DEFAULT-VALUE}); the drain goes "
                    + "on after it.")
    Duration timeout;

    DrainCommand(CommandContext ctx) {
        super(ctx);
    }

    @Override
    int run(StreamingClient client, PrintWriter out, PrintWriter err) {
        long session;
        try {
            session = client.drainNodeBlocking(nodeId, timeout);
        } catch (StreamingException e) {
            if (e.code() != ErrorCode.TIMEOUT) {
                throw e;
            }
            throw new StreamingException(ErrorCode.TIMEOUT, "node " + nodeId + " still holds pchannels after "
                    + timeout.toMillis() / 1000.0 + " s; the drain goes on (tidelog status shows where they are: is "
                    + "there another live node to take them?)", e);
        }
        if (server.json) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("nodeId", nodeId);
            j.put("sessionId", session);
            out.println(Rows.toJson(j));
        } else {
            out.println("drained node " + nodeId + " (session " + session + "): it holds no pchannel");
        }
        return ExitCodes.OK;
    }
}
