package io.tidelog.cli;

import io.tidelog.client.Appended;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.Rows;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code produce}: appends RAW messages to a vchannel, pipelined (up to {@value #WINDOW} in flight), and
 * prints one acknowledgement per message in input order (a failed message's error goes to standard error
 * at its place). Sends nothing more after the first failure, reports the messages already in flight, and
 * exits with the first failure's status. A stop request (SIGTERM, Ctrl-C) ends it like the end of its input.
 */
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = {"Append RAW messages to a vchannel: from standard input (see --input), or --count",
                "generated ones. Prints one acknowledgement per message, in input order:",
                "  text:  VCHANNEL MESSAGE_ID tt=TIME_TICK",
                "  json:  {\"vchannel\":...,\"messageId\":\"3:1024\",\"timeTick\":...}",
                "Standard input becomes messages byte for byte, as --input says:",
                "  lines   (default) one message per line: the bytes before each \\n exactly as",
                "          read (a \\r, NUL or invalid UTF-8 is part of the message); a last",
                "          line without a final \\n is a message too",
                "  binary  all of standard input is one message",
                "  base64  one message per line, decoded from base64 (a \\r before the \\n is",
                "          ignored); a line that is not base64 fails with status 1, naming",
                "          its number: the lines before it are sent, nothing from it on",
                "SIGTERM or Ctrl-C stops reading: the acknowledgements still due are printed,",
                "then exit 0. Progress goes to standard error when run at a terminal."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.OK_LINE, ExitCodes.FAILED_LINE, ExitCodes.USAGE_LINE, ExitCodes.RETRIABLE_LINE, ExitCodes.DENIED_LINE})
public final class ProduceCommand implements Callable<Integer> {
    /** Appends in flight at once: enough to hide the round trip, well under the client's queue limit. */
    static final int WINDOW = 1024;

    private final CommandContext ctx;

    @Spec
    CommandSpec spec;

    @Mixin
    ServerOptions server = new ServerOptions();

    @Option(names = "--vchannel", required = true, paramLabel = "VCHANNEL", converter = Flags.Vchannel.class,
            description = "The vchannel to append to: <pchannel>_<suffix>.")
    String vchannel;

    @Option(names = "--input", paramLabel = "FORMAT", defaultValue = "lines", converter = PayloadReader.Format.Converter.class,
            description = "How standard input becomes messages: lines (default), binary or base64 (see above).")
    PayloadReader.Format input;

    @Option(names = "--count", paramLabel = "N",
            description = "Send N generated messages instead of reading standard input.")
    Long count;

    @Option(names = "--size", paramLabel = "BYTES", defaultValue = "64",
            description = "Payload size of generated messages (default ${DEFAULT-VALUE}): the message number, "
                    + "then letters.")
    int size;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30", converter = Flags.Seconds.class,
            description = "How long one append may take, waiting for the pchannel's node included "
                    + "(default ${DEFAULT-VALUE}).")
    Duration timeout;

    ProduceCommand(CommandContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        validate();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (StreamingClient client = server.connect(ctx).appendTimeout(timeout).build();
                Input payloads = payloads(client.messageLimits().maxMessageBytes())) {
            return produce(client, payloads, out, err);
        } catch (StreamingException e) {
            out.flush();
            return CommandContext.fail(err, e);
        }
    }

    private void validate() {
        if (count != null && count < 0) {
            throw new ParameterException(spec.commandLine(), "--count must be at least 0, got " + count);
        }
        if (size < 0) {
            throw new ParameterException(spec.commandLine(), "--size must be at least 0, got " + size);
        }
        if (count == null && spec.commandLine().getParseResult().hasMatchedOption("--size")) {
            throw new ParameterException(spec.commandLine(), "--size applies to generated messages: give --count too");
        }
        if (count != null && spec.commandLine().getParseResult().hasMatchedOption("--input")) {
            throw new ParameterException(spec.commandLine(), "--input applies to standard input: leave out --count");
        }
    }

    private int produce(StreamingClient client, Input payloads, PrintWriter out, PrintWriter err) {
        ArrayDeque<CompletableFuture<Appended>> window = new ArrayDeque<>();
        Progress progress = Progress.forTerminal(err);
        Outcome outcome = new Outcome();
        while (outcome.firstFailure == null) {
            if (payloads.wouldBlock()) {
                // Interactive input: acknowledge what was typed before waiting for more.
                printAll(window, out, err, outcome);
                out.flush();
            }
            Optional<byte[]> next;
            try {
                next = payloads.next();
            } catch (StreamingException e) {
                printAll(window, out, err, outcome); // the messages before it come first, in input order
                out.flush();
                outcome.failed(e, err);
                break;
            }
            if (next.isEmpty()) {
                break;
            }
            window.add(client.appendRaw(vchannel, next.get()));
            while (window.size() >= WINDOW || (!window.isEmpty() && window.peek().isDone())) {
                print(window.poll(), out, err, outcome);
            }
            progress.update(outcome.acked);
        }
        printAll(window, out, err, outcome);
        out.flush();
        err.flush();
        progress.finish(outcome.acked);
        return outcome.firstFailure == null ? ExitCodes.OK : ExitCodes.of(outcome.firstFailure);
    }

    private void printAll(ArrayDeque<CompletableFuture<Appended>> window, PrintWriter out, PrintWriter err, Outcome outcome) {
        while (!window.isEmpty()) {
            print(window.poll(), out, err, outcome);
        }
    }

    /** Prints the acknowledgement, or the error on standard error, of the next message in input order. */
    private void print(CompletableFuture<Appended> f, PrintWriter out, PrintWriter err, Outcome outcome) {
        Appended a;
        try {
            a = f.get();
        } catch (ExecutionException e) {
            out.flush();
            outcome.failed(StreamingException.from(e.getCause()), err);
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome.failed(StreamingException.onShutdown("interrupted; outcomes of appends in flight are unknown"), err);
            return;
        }
        outcome.acked++;
        if (server.json) {
            Map<String, Object> ack = new LinkedHashMap<>();
            ack.put("vchannel", a.vchannel());
            ack.put("messageId", a.id().toString());
            ack.put("timeTick", MessageRendering.unsigned(a.timeTick()));
            out.println(Rows.toJson(ack));
        } else {
            out.println(a.vchannel() + " " + a.id() + " tt=" + Long.toUnsignedString(a.timeTick()));
        }
        if (outcome.firstFailure == null && out.checkError()) {
            outcome.failed(new StreamingException(ErrorCode.UNRECOVERABLE, "standard output is closed: acknowledgements "
                    + "cannot be printed; nothing more is sent"), err);
        }
    }

    /** Generated messages, or standard input read on a thread of its own (see {@link StdinPayloads}). */
    private Input payloads(int maxMessageBytes) {
        if (count == null) {
            return new StdinPayloads(new PayloadReader(ctx.stdin(), input, maxMessageBytes), ctx.stop());
        }
        if (size > maxMessageBytes) {
            throw StreamingException.invalidArgument("--size " + size + " exceeds the largest message, "
                    + maxMessageBytes + " bytes (message.max.bytes)");
        }
        return new Generated(count, size, ctx.stop());
    }

    /** The payloads to send, in order; used by one thread. */
    interface Input extends AutoCloseable {
        /**
         * The next payload, waiting for it if need be; empty at the end of the input or once a stop is requested.
         *
         * @throws StreamingException for input that makes no message (too long, not base64, unreadable)
         */
        Optional<byte[]> next();

        /** Whether {@link #next()} may wait for input now. */
        boolean wouldBlock();

        @Override
        void close();
    }

    /** Acknowledged messages and the first failure. */
    private static final class Outcome {
        StreamingException firstFailure;
        long acked;

        void failed(StreamingException e, PrintWriter err) {
            if (firstFailure == null) {
                firstFailure = e;
            }
            CommandContext.fail(err, e);
        }
    }

    /** Payloads of {@code size} bytes: the message number and a space, then letters. */
    static final class Generated implements Input {
        private final long count;
        private final int size;
        private final StopRequest stop;
        private long next;

        Generated(long count, int size, StopRequest stop) {
            this.count = count;
            this.size = size;
            this.stop = stop;
        }

        @Override
        public boolean wouldBlock() {
            return false;
        }

        @Override
        public Optional<byte[]> next() {
            if (next >= count || stop.isRequested()) {
                return Optional.empty();
            }
            byte[] prefix = (next++ + " ").getBytes(StandardCharsets.US_ASCII);
            byte[] p = new byte[size];
            for (int i = 0; i < size; i++) {
                p[i] = i < prefix.length ? prefix[i] : (byte) ('a' + (i - prefix.length) % 26);
            }
            return Optional.of(p);
        }

        @Override
        public void close() {
        }
    }
}
