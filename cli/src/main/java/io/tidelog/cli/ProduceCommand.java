package io.tidelog.cli;

import io.tidelog.client.Appended;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.StreamingException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
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
 * exits with the first failure's status.
 */
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = {"Append RAW messages to a vchannel: one per line of standard input (UTF-8), or --count "
                + "generated ones. Prints one acknowledgement per message, in input order:",
                "  text:  VCHANNEL MESSAGE_ID tt=TIME_TICK",
                "  json:  {\"vchannel\":...,\"messageId\":\"3:1024\",\"timeTick\":...}",
                "Progress goes to standard error when run at a terminal."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.OK_LINE, ExitCodes.FAILED_LINE, ExitCodes.USAGE_LINE, ExitCodes.RETRIABLE_LINE})
public final class ProduceCommand implements Callable<Integer> {
    /** Appends in flight at once: enough to hide the round trip, well under the client's queue limit. */
    static final int WINDOW = 1024;

    private final CommandContext ctx;

    @Spec
    CommandSpec spec;

    @Mixin
    ServerOptions server = new ServerOptions();

    @Option(names = "--vchannel", required = true, paramLabel = "VCHANNEL",
            description = "The vchannel to append to: <pchannel>_<suffix>.")
    String vchannel;

    @Option(names = "--count", paramLabel = "N",
            description = "Send N generated messages instead of reading standard input.")
    Long count;

    @Option(names = "--size", paramLabel = "BYTES", defaultValue = "64",
            description = "Payload size of generated messages (default ${DEFAULT-VALUE}): the message number, "
                    + "then letters.")
    int size;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "How long one append may take, waiting for the pchannel's node included "
                    + "(default ${DEFAULT-VALUE}).")
    double timeoutSeconds;

    ProduceCommand(CommandContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        validate();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (StreamingClient client = ctx.connector().apply(server.server)
                .appendTimeout(Duration.ofMillis(Math.max(1, (long) (timeoutSeconds * 1000))))
                .build()) {
            return produce(client, payloads(), out, err);
        } catch (StreamingException e) {
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
        if (!(timeoutSeconds > 0)) {
            throw new ParameterException(spec.commandLine(), "--timeout must be positive, got " + timeoutSeconds);
        }
    }

    private int produce(StreamingClient client, Input payloads, PrintWriter out, PrintWriter err) {
        ArrayDeque<CompletableFuture<Appended>> window = new ArrayDeque<>();
        Progress progress = Progress.forTerminal(err);
        Outcome outcome = new Outcome();
        while (outcome.firstFailure == null) {
            if (payloads.wouldBlock()) {
                // Interactive input: acknowledge what was typed before waiting for more.
                while (!window.isEmpty()) {
                    print(window.poll(), out, err, outcome);
                }
                out.flush();
            }
            if (!payloads.hasNext()) {
                break;
            }
            window.add(client.appendRaw(vchannel, payloads.next()));
            while (window.size() >= WINDOW || (!window.isEmpty() && window.peek().isDone())) {
                print(window.poll(), out, err, outcome);
            }
            progress.update(outcome.acked);
        }
        while (!window.isEmpty()) {
            print(window.poll(), out, err, outcome);
        }
        out.flush();
        err.flush();
        progress.finish(outcome.acked);
        return outcome.firstFailure == null ? ExitCodes.OK : ExitCodes.of(outcome.firstFailure);
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
            out.println(new Json().string("vchannel", a.vchannel()).string("messageId", a.id().toString())
                    .unsigned("timeTick", a.timeTick()));
        } else {
            out.println(a.vchannel() + " " + a.id() + " tt=" + Long.toUnsignedString(a.timeTick()));
        }
    }

    private Input payloads() {
        if (count != null) {
            return new Generated(count, size);
        }
        return new Lines(new BufferedReader(new InputStreamReader(ctx.stdin(), StandardCharsets.UTF_8)));
    }

    /** The payloads to send. */
    interface Input extends Iterator<byte[]> {
        /** Whether {@link #hasNext()} may wait for input now. */
        boolean wouldBlock();
    }

    /** One payload per line of text, without the line terminator. */
    static final class Lines implements Input {
        private final BufferedReader in;
        private String next;

        Lines(BufferedReader in) {
            this.in = in;
        }

        @Override
        public boolean wouldBlock() {
            try {
                return next == null && !in.ready();
            } catch (IOException e) {
                return false;
            }
        }

        @Override
        public boolean hasNext() {
            if (next == null) {
                try {
                    next = in.readLine();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return next != null;
        }

        @Override
        public byte[] next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            byte[] b = next.getBytes(StandardCharsets.UTF_8);
            next = null;
            return b;
        }
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
        private long next;

        Generated(long count, int size) {
            this.count = count;
            this.size = size;
        }

        @Override
        public boolean wouldBlock() {
            return false;
        }

        @Override
        public boolean hasNext() {
            return next < count;
        }

        @Override
        public byte[] next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            byte[] prefix = (next++ + " ").getBytes(StandardCharsets.US_ASCII);
            byte[] p = new byte[size];
            for (int i = 0; i < size; i++) {
                p[i] = i < prefix.length ? prefix[i] : (byte) ('a' + (i - prefix.length) % 26);
            }
            return p;
        }
    }
}
