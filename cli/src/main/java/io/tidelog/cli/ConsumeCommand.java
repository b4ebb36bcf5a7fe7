package io.tidelog.cli;

import io.tidelog.client.ConsumerOptions;
import io.tidelog.client.ResumableConsumer;
import io.tidelog.client.StartPosition;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code consume}: prints a vchannel's messages in time-tick order, resuming across server restarts and
 * moves of the pchannel with no gap and no duplicate, until {@code --max} messages, {@code --idle-timeout}
 * (counted while it reads), or a stop request (SIGTERM, Ctrl-C); fails with {@code TIMEOUT} when it cannot read
 * for {@code --timeout} (the server is down or unreachable).
 */
@Command(name = "consume", mixinStandardHelpOptions = true,
        description = {"Print the messages of a vchannel in time-tick order, one per line:",
                "  text:  VCHANNEL MESSAGE_ID tt=TIME_TICK TIME TYPE [{PROPERTIES}]",
                "         PAYLOAD | FIELD=VALUE...",
                "  json:  {\"vchannel\",\"messageId\",\"timeTick\",\"type\",...,\"properties\"}",
                "RAW shows its payload; a payload that is not valid UTF-8 shows as base64",
                "(text: base64:..., json: \"encoding\":\"base64\"). DDL and DML show their",
                "collection, partition, segment, rows or keys; a TXN shows its parts (text: one",
                "indented line each; json: \"messages\").",
                "Runs until --max messages, --idle-timeout, SIGTERM or Ctrl-C, or its output is",
                "closed (then exit 0). When it cannot read for --timeout (the server is down or",
                "unreachable) it fails with TIMEOUT, exit status 3; a pchannel the cluster does",
                "not have fails with NOT_FOUND, exit status 1."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.OK_LINE, ExitCodes.FAILED_LINE, ExitCodes.USAGE_LINE, ExitCodes.RETRIABLE_LINE, ExitCodes.DENIED_LINE})
public final class ConsumeCommand implements Callable<Integer> {
    /** The longest wait for a message before the stop request and the timeouts are looked at again. */
    private static final Duration POLL = Duration.ofMillis(200);

    private final CommandContext ctx;

    @Spec
    CommandSpec spec;

    @Mixin
    ServerOptions server = new ServerOptions();

    @Option(names = "--vchannel", required = true, paramLabel = "VCHANNEL", converter = Flags.Vchannel.class,
            description = "The vchannel to read.")
    String vchannel;

    @Option(names = "--from", paramLabel = "POSITION", defaultValue = "earliest", converter = PositionConverter.class,
            description = "earliest (default: the earliest message the WAL retains), latest, MAJOR:MINOR (from that "
                    + "message id) or after:MAJOR:MINOR. With --subscription: where a new subscription starts.")
    StartPosition from;

    @Option(names = "--subscription", paramLabel = "NAME",
            description = "Read through this durable subscription: resume from its committed position (or create it "
                    + "at --from), and commit what was printed every second and on exit. It holds the WAL's retention.")
    String subscription;

    @Option(names = "--max", paramLabel = "N", description = "Exit after N messages.")
    Long max;

    @Option(names = "--idle-timeout", paramLabel = "SECONDS", converter = Flags.Seconds.class,
            description = "Exit when no message arrived for this long while reading (default: never).")
    Duration idleTimeout;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30", converter = Flags.Seconds.class,
            description = "Fail (exit status 3) when it cannot read for this long: at the start, or after losing the "
                    + "server (default ${DEFAULT-VALUE}).")
    Duration timeout;

    ConsumeCommand(CommandContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        if (max != null && max < 0) {
            throw new ParameterException(spec.commandLine(), "--max must be at least 0, got " + max);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ConsumerOptions options = ConsumerOptions.vchannel(vchannel).withStart(from);
        if (subscription != null) {
            options = options.withSubscription(subscription);
        }
        try (StreamingClient client = server.connect(ctx).build();
                ResumableConsumer consumer = client.consumer(options)) {
            consume(consumer, out, err);
            return ExitCodes.OK;
        } catch (StreamingException e) {
            out.flush();
            return CommandContext.fail(err, e);
        }
    }

    /**
     * Prints messages until {@code --max}, {@code --idle-timeout} or a stop request. The idle time runs only while
     * the consumer reads; while it cannot (no server, no node for the pchannel) {@code --timeout} runs instead.
     * Says once on standard error where reading starts.
     */
    private void consume(ResumableConsumer consumer, PrintWriter out, PrintWriter err) {
        long idleNanos = idleTimeout == null ? Long.MAX_VALUE : idleTimeout.toNanos();
        long idleSince = System.nanoTime();
        long unreadableSince = idleSince;
        long printed = 0;
        boolean told = false;
        while ((max == null || printed < max) && !ctx.stop().isRequested()) {
            ImmutableMessage m = consumer.poll(Duration.ofNanos(Math.min(POLL.toNanos(),
                    Math.max(1, idleNanos - (System.nanoTime() - idleSince)))));
            if (!told) {
                told = tellStart(consumer, err);
            }
            long now = System.nanoTime();
            if (m != null) {
                out.println(server.json ? json(m) : human(m));
                if (out.checkError()) {
                    return; // standard output is closed (| head): whoever read it has what it wanted
                }
                printed++;
                idleSince = now;
                continue;
            }
            Optional<String> unreadable = consumer.notStreamingReason();
            if (unreadable.isEmpty()) {
                unreadableSince = now;
                if (now - idleSince >= idleNanos) {
                    return;
                }
            } else {
                idleSince = now;
                if (now - unreadableSince >= timeout.toNanos()) {
                    throw new StreamingException(ErrorCode.TIMEOUT, "could not read " + vchannel + " for "
                            + Flags.seconds(timeout) + " s (--timeout): " + unreadable.get());
                }
            }
        }
    }

    /** Says on standard error where reading starts, once the consumer knows; returns whether it said it. */
    private boolean tellStart(ResumableConsumer consumer, PrintWriter err) {
        if (subscription != null) {
            var s = consumer.subscription();
            s.ifPresent(sub -> err.println("subscription " + sub.name() + " of " + sub.vchannel() + ": "
                    + (sub.created() ? "created; reading from " : "resuming from ") + sub.positionId() + " after time tick "
                    + Long.toUnsignedString(sub.positionTimeTick()) + (sub.positionTime() == null ? "" : " (" + sub.positionTime() + ")")));
            err.flush();
            return s.isPresent();
        }
        if (from.kind() != StartPosition.Kind.EARLIEST) {
            return true;
        }
        var e = consumer.earliestRetained();
        e.ifPresent(first -> err.println("reading " + vchannel + " from the earliest retained message " + first.getKey()
                + " (time tick " + Long.toUnsignedString(first.getValue()) + ", "
                + io.tidelog.client.TimeTicks.toInstant(first.getValue()) + ")"));
        err.flush();
        return e.isPresent();
    }

    static String json(ImmutableMessage m) {
        return MessageRendering.json(m);
    }

    static String human(ImmutableMessage m) {
        return MessageRendering.human(m);
    }

    /** Reads {@code --from}. */
    static final class PositionConverter implements ITypeConverter<StartPosition> {
        @Override
        public StartPosition convert(String value) {
            try {
                return StartPosition.parse(value);
            } catch (StreamingException e) {
                throw new TypeConversionException(e.detail());
            }
        }
    }
}
