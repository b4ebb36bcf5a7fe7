package io.tidelog.cli;

import io.tidelog.client.StreamingClient;
import io.tidelog.client.SubscriptionStatus;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.Rows;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code subscriptions [--vchannel V]} lists durable subscriptions with their lag; {@code subscriptions delete NAME
 * [--vchannel V]} removes one.
 */
@Command(name = "subscriptions", mixinStandardHelpOptions = true,
        description = {"List the durable subscriptions (made by 'consume --subscription NAME'), of one vchannel or of",
                "all, with their committed position and lag: messages of the vchannel after the position ('>=' when",
                "counting took too long) and time behind the pchannel's last time tick. A subscription holds the WAL",
                "until it lags beyond the server's wal.retention.max.lag; then it is LET GO and the WAL may be",
                "truncated past it.",
                "--json: one object per line {\"vchannel\",\"name\",\"messageId\",\"timeTick\",\"time\",\"lagMessages\",",
                "\"lagExact\",\"lagMillis\",\"letGo\",\"createdAt\",\"committedAt\",\"generation\"} (generation: how",
                "many consumers claimed it; only the last one's commits count)."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.OK_LINE, ExitCodes.FAILED_LINE, ExitCodes.USAGE_LINE, ExitCodes.RETRIABLE_LINE, ExitCodes.DENIED_LINE})
public final class SubscriptionsCommand extends ClientCommand {
    @Option(names = "--vchannel", paramLabel = "VCHANNEL", description = "Only this vchannel's subscriptions.")
    String vchannel;

    SubscriptionsCommand(CommandContext ctx) {
        super(ctx);
    }

    /** The command with its {@code delete} subcommand, for a root command to register. */
    static CommandLine commandLine(CommandContext ctx) {
        return new CommandLine(new SubscriptionsCommand(ctx)).addSubcommand(new Delete(ctx));
    }

    @Override
    int run(StreamingClient client, PrintWriter out, PrintWriter err) {
        List<SubscriptionStatus> subs = StreamingClientCalls.await(
                vchannel == null ? client.subscriptions().list() : client.subscriptions().list(vchannel));
        if (server.json) {
            subs.forEach(s -> out.println(json(s)));
        } else if (subs.isEmpty()) {
            out.println(vchannel == null ? "no subscriptions" : "vchannel " + vchannel + " has no subscriptions");
        } else {
            out.print(table(subs));
        }
        return ExitCodes.OK;
    }

    static String json(SubscriptionStatus s) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("vchannel", s.vchannel());
        j.put("name", s.name());
        j.put("messageId", s.positionId().toString());
        j.put("timeTick", MessageRendering.unsigned(s.positionTimeTick()));
        j.put("time", s.positionTime() == null ? null : s.positionTime().toString());
        j.put("lagMessages", s.lagMessages());
        j.put("lagExact", s.lagExact());
        j.put("lagMillis", s.lag().toMillis());
        j.put("letGo", s.letGo());
        j.put("createdAt", s.createdAt().toString());
        j.put("committedAt", s.committedAt().toString());
        j.put("generation", s.generation());
        return Rows.toJson(j);
    }

    static String table(List<SubscriptionStatus> subs) {
        TextTable table = new TextTable("VCHANNEL", "NAME", "POSITION", "POSITION TIME", "LAG MESSAGES", "LAG TIME", "STATE");
        for (SubscriptionStatus s : subs) {
            table.row(s.vchannel(), s.name(), s.positionId().toString(),
                    s.positionTime() == null ? "-" : s.positionTime().toString(),
                    (s.lagExact() ? "" : ">=") + s.lagMessages(), seconds(s.lag().toMillis()),
                    s.letGo() ? "LET GO" : "HOLDING");
        }
        return table.toString();
    }

    private static String seconds(long millis) {
        return String.format("%.1fs", millis / 1000.0);
    }

    /** {@code subscriptions delete NAME [--vchannel V]}. */
    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = {"Delete a durable subscription: it no longer holds the WAL, and a consumer of it fails",
                    "with NOT_FOUND at its next commit. Without --vchannel the name must be unique across vchannels."},
            exitCodeListHeading = ExitCodes.HEADING,
            exitCodeList = {ExitCodes.OK_LINE, ExitCodes.FAILED_LINE, ExitCodes.USAGE_LINE, ExitCodes.RETRIABLE_LINE, ExitCodes.DENIED_LINE})
    static final class Delete extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The subscription.")
        String name;

        @Option(names = "--vchannel", paramLabel = "VCHANNEL", description = "The vchannel it reads.")
        String vchannel;

        Delete(CommandContext ctx) {
            super(ctx);
        }

        @Override
        int run(StreamingClient client, PrintWriter out, PrintWriter err) {
            String v = vchannel != null ? vchannel : onlyVchannelOf(client);
            if (!StreamingClientCalls.await(client.subscriptions().delete(v, name))) {
                throw new StreamingException(ErrorCode.NOT_FOUND, "subscription " + name + " of " + v + " does not exist");
            }
            Map<String, Object> deleted = new LinkedHashMap<>();
            deleted.put("vchannel", v);
            deleted.put("name", name);
            deleted.put("deleted", true);
            out.println(server.json ? Rows.toJson(deleted) : "deleted subscription " + name + " of " + v);
            return ExitCodes.OK;
        }

        private String onlyVchannelOf(StreamingClient client) {
            List<String> vchannels = StreamingClientCalls.await(client.subscriptions().list()).stream()
                    .filter(s -> s.name().equals(name)).map(SubscriptionStatus::vchannel).toList();
            if (vchannels.isEmpty()) {
                throw new StreamingException(ErrorCode.NOT_FOUND, "no vchannel has a subscription named " + name);
            }
            if (vchannels.size() > 1) {
                throw StreamingException.invalidArgument("subscriptions named " + name + " exist on " + vchannels
                        + "; name one with --vchannel");
            }
            return vchannels.get(0);
        }
    }
}
