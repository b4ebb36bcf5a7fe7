package io.tidelog.cli;

import io.tidelog.client.CollectionDescription;
import io.tidelog.client.StreamingClient;
import io.tidelog.client.WriteResult;
import io.tidelog.common.StreamingException;
import io.tidelog.message.Rows;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code insert --collection C --file ROWS.jsonl}: inserts JSON lines, in batches of {@code --batch-rows}
 * rows (or about {@value #BATCH_BYTES} bytes of JSON). Each batch becomes one Insert per vchannel. Rows are
 * numbered by their line, so an error names the line.
 *
 * <p>Batches go one after the other ({@value #WINDOW} in flight): the node does not order concurrent DML of
 * one vchannel (DML shares the vchannel's read lock), so with more in flight a key repeated in a later
 * batch could land before its earlier row.
 */
@Command(name = "insert", mixinStandardHelpOptions = true,
        description = {"Insert rows from a JSON lines file (one JSON object per line; blank lines are skipped), e.g.",
                "  {\"id\": 1, \"title\": \"first\", \"price\": 9.5, \"emb\": [0.1, 0.2, 0.3, 0.4]}",
                "Rows go to the shard of their primary key. An error names the line and the field; the rows of",
                "earlier batches stay inserted. Progress goes to standard error at a terminal.",
                "SIGTERM or Ctrl-C stops reading: the rows read so far are inserted and counted, then exit 0.",
                "Prints a summary; --json: {\"collection\",\"collectionId\",\"rows\",\"messages\"}."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.OK_LINE, ExitCodes.FAILED_LINE, ExitCodes.USAGE_LINE, ExitCodes.RETRIABLE_LINE, ExitCodes.DENIED_LINE})
public final class InsertCommand extends ClientCommand {
    /** Batches in flight at once; see the class comment. */
    static final int WINDOW = 1;
    /** JSON bytes that close a batch early: well under the default message limit once columnar. */
    static final int BATCH_BYTES = 1 << 20;

    @Option(names = "--collection", required = true, paramLabel = "NAME", description = "The collection.")
    String collection;

    @Option(names = "--partition", paramLabel = "NAME", defaultValue = CollectionDescription.DEFAULT_PARTITION,
            description = "The partition (default: ${DEFAULT-VALUE}).")
    String partition;

    @Option(names = "--file", required = true, paramLabel = "FILE", converter = Flags.ReadableFileOrStdin.class,
            description = "The rows, JSON lines; - for standard input.")
    String file;

    @Option(names = "--batch-rows", paramLabel = "N", defaultValue = "1000",
            description = "Rows per batch (default ${DEFAULT-VALUE}).")
    int batchRows;

    InsertCommand(CommandContext ctx) {
        super(ctx);
    }

    @Override
    int run(StreamingClient client, PrintWriter out, PrintWriter err) {
        if (batchRows < 1) {
            throw new ParameterException(spec.commandLine(), "--batch-rows must be at least 1, got " + batchRows);
        }
        CollectionDescription c = client.collections().describeBlocking(collection);
        c.requireWritable();
        c.writablePartition(partition);
        Progress progress = Progress.forTerminal(err, "rows");
        ArrayDeque<CompletableFuture<WriteResult>> window = new ArrayDeque<>();
        long[] done = {0, 0};
        try (BufferedReader in = open()) {
            List<Map<String, Object>> batch = new ArrayList<>();
            long batchFirstLine = 0;
            long batchBytes = 0;
            long line = 0;
            String text;
            while (!ctx.stop().isRequested() && (text = in.readLine()) != null) {
                line++;
                if (text.isBlank()) {
                    if (!batch.isEmpty()) { // a batch numbers its rows consecutively: it ends at a blank line
                        send(client, c, batch, batchFirstLine, window, done, progress);
                        batch = new ArrayList<>();
                        batchBytes = 0;
                    }
                    continue;
                }
                if (batch.isEmpty()) {
                    batchFirstLine = line;
                }
                batch.add(Rows.parseJson(text, line));
                batchBytes += text.length();
                if (batch.size() >= batchRows || batchBytes >= BATCH_BYTES) {
                    send(client, c, batch, batchFirstLine, window, done, progress);
                    batch = new ArrayList<>();
                    batchBytes = 0;
                }
            }
            if (!batch.isEmpty()) {
                send(client, c, batch, batchFirstLine, window, done, progress);
            }
            while (!window.isEmpty()) {
                complete(window.poll(), done, progress);
            }
        } catch (IOException e) {
            throw StreamingException.invalidArgument("cannot read " + file + ": " + e.getMessage());
        } catch (StreamingException e) {
            drain(window, done);
            progress.finish(done[0]);
            if (done[0] > 0) {
                err.println(done[0] + " rows were inserted before the error");
            }
            throw e;
        }
        progress.finish(done[0]);
        if (ctx.stop().isRequested()) {
            err.println("stopped before the end of " + ("-".equals(file) ? "standard input" : file) + " (SIGTERM or Ctrl-C)");
        }
        if (server.json) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("collection", collection);
            j.put("collectionId", c.id());
            j.put("rows", done[0]);
            j.put("messages", done[1]);
            out.println(Rows.toJson(j));
        } else {
            out.println("inserted " + done[0] + " rows into " + collection + " (" + done[1] + " messages)");
        }
        return ExitCodes.OK;
    }

    /** Sends one batch of consecutive lines, the first at {@code firstLine}, and collects finished batches. */
    private void send(StreamingClient client, CollectionDescription c, List<Map<String, Object>> batch, long firstLine,
                      ArrayDeque<CompletableFuture<WriteResult>> window, long[] done, Progress progress) {
        window.add(client.insert(c, partition, batch, firstLine));
        while (window.size() >= WINDOW || window.peek().isDone()) {
            complete(window.poll(), done, progress);
            if (window.isEmpty()) {
                break;
            }
        }
    }

    private static void complete(CompletableFuture<WriteResult> f, long[] done, Progress progress) {
        WriteResult r = StreamingClientCalls.await(f);
        done[0] += r.rows();
        done[1] += r.appends().size();
        progress.update(done[0]);
    }

    /** After a failure: counts what the batches still in flight inserted, ignoring their failures. */
    private static void drain(ArrayDeque<CompletableFuture<WriteResult>> window, long[] done) {
        while (!window.isEmpty()) {
            try {
                WriteResult r = StreamingClientCalls.await(window.poll());
                done[0] += r.rows();
                done[1] += r.appends().size();
            } catch (StreamingException ignored) {
                // the first failure is the one reported
            }
        }
    }

    private BufferedReader open() throws IOException {
        if ("-".equals(file)) {
            return new BufferedReader(new InputStreamReader(ctx.stdin(), StandardCharsets.UTF_8));
        }
        return Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8);
    }
}
