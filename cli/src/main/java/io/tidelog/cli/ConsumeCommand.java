package io.tidelog.cli;

import io.tidelog.client.ConsumerOptions;
import io.tidelog.client.ResumableConsumer;
import io.tidelog.client.StartPosition;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import java.io.PrintWriter;
import java.time.Duration;
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
 * moves of the pchannel with no gap and no duplicate, until {@code --max} messages, {@code --idle-timeout},
 * or interruption.
 */
@Command(name = "consume", mixinStandardHelpOptions = true,
        description = {"Print the messages of a vchannel in time-tick order, one per line:",
                "  text:  VCHANNEL MESSAGE_ID tt=TIME_TICK TIME TYPE [{PROPERTIES}] PAYLOAD | FIELD=VALUE...",
                "  json:  {\"vchannel\",\"messageId\",\"timeTick\",\"type\",...,\"properties\"}",
                "RAW shows its payload; a payload that is not valid UTF-8 shows as base64 (text: base64:..., json:",
                "\"encoding\":\"base64\"). DDL and DML show their collection, partition, segment, rows or keys;",
                "a TXN shows its parts (text: one indented line each; json: \"messages\").",
                "Runs until --max messages, --idle-timeout, or interruption."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.OK_LINE, ExitCodes.FAILED_LINE, ExitCodes.USAGE_LINE, ExitCodes.RETRIABLE_LINE})
public final class ConsumeCommand implements Callable<Integer> {
    private static final Duration POLL = Duration.ofSeconds(1);

    private final CommandContext ctx;

    @Spec
    CommandSpec spec;

    @Mixin
    ServerOptions server = new ServerOptions();

    @Option(names = "--vchannel", required = true, paramLabel = "VCHANNEL", description = "The vchannel to read.")
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

    @Option(names = "--idle-timeout", paramLabel = "SECONDS",
            description = "Exit when no message arrived for this long (default: never).")
    Double idleTimeoutSeconds;

    ConsumeCommand(CommandContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        if (max != null && max < 0) {
            throw new ParameterException(spec.commandLine(), "--max must be at least 0, got " + max);
        }
        if (idleTimeoutSeconds != null && !(idleTimeoutSeconds > 0)) {
            throw new ParameterException(spec.commandLine(), "--idle-timeout must be positive, got " + idleTimeoutSeconds);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ConsumerOptions options = ConsumerOptions.vchannel(vchannel).withStart(from);
        if (subscription != null) {
            options = options.withSubscription(subscription);
        }
        try (StreamingClient client = ctx.connector().apply(server.server).build();
                ResumableConsumer consumer = client.consumer(options)) {
            consume(consumer, out, err);
            return ExitCodes.OK;
        } catch (StreamingException e) {
            out.flush();
            return CommandContext.fail(err, e);
        }
    }

    private void consume(ResumableConsumer consumer, PrintWriter out, PrintWriter err) {
        long idleNanos = idleTimeoutSeconds == null ? Long.MAX_VALUE : (long) (idleTimeoutSeconds * 1e9);
        long lastActivity = System.nanoTime();
        long printed = 0;
        boolean told = false;
        while (max == null || printed < max) {
            long idle = System.nanoTime() - lastActivity;
            if (idle >= idleNanos) {
                return;
            }
            Duration wait = Duration.ofNanos(Math.min(POLL.toNanos(), idleNanos - idle));
            ImmutableMessage m = consumer.poll(wait);
            if (!told) {
                told = tellStart(consumer, err);
            }
            if (m == null) {
                continue;
            }
            out.println(server.json ? json(m) : human(m));
            out.flush();
            printed++;
            lastActivity = System.nanoTime();
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
