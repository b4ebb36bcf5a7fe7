package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.tidelog.client.StreamingClient;
import io.tidelog.testing.Await;
import io.tidelog.testing.Seeds;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code tidelog} binary as a script runs it: client commands and {@code standalone} as child processes, with
 * real standard input and output bytes, real SIGTERMs and real exit statuses.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class CliProcessTest {
    static final Duration EXIT = Duration.ofMinutes(2);
    /** A locale whose charset is ASCII: what the commands print must not depend on it. */
    static final Map<String, String> C_LOCALE = Map.of("LANG", "C", "LC_ALL", "C");

    @RegisterExtension
    final Seeds seeds = new Seeds();

    @TempDir
    Path dir;
    StandaloneProcess server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    StandaloneProcess startServer() throws Exception {
        server = new StandaloneProcess(dir.resolve("data"), List.of("--pchannels", "4", "-c", "message.max.bytes=1MiB", "-c", "wal.local.segment.bytes=4MiB",
                "-c", "wal.local.spare.segments=1"));
        server.start();
        return server;
    }

    /** {@code tidelog ARGS --server <the server>} with {@code input} as its standard input, to its end. */
    CliProcess run(byte[] input, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--server", server.address()));
        return CliProcess.run(input, all.toArray(String[]::new));
    }

    static byte[] randomBytes(Random rnd, int maxLength) {
        byte[] b = new byte[rnd.nextInt(maxLength + 1)];
        rnd.nextBytes(b);
        return b;
    }

    /** The payload bytes of a {@code consume --json} line: its text, or its base64 when it says so. */
    static byte[] payload(String jsonLine) {
        JsonObject o = JsonParser.parseString(jsonLine).getAsJsonObject();
        String p = o.get("payload").getAsString();
        return o.has("encoding") ? Base64.getDecoder().decode(p) : p.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void randomBinaryPayloadsComeBackByteForByteThroughProduceAndConsumeJsonInEveryInputMode() throws Exception {
        startServer();
        Random rnd = seeds.random();
        String v = "pchannel-1_bytes";
        List<byte[]> expected = new ArrayList<>();

        ByteArrayOutputStream lines = new ByteArrayOutputStream();
        for (int i = 0; i < 60; i++) {
            byte[] p = i % 3 == 0 ? ("wörld ✓ " + i + "\r").getBytes(StandardCharsets.UTF_8) : randomBytes(rnd, 200);
            for (int j = 0; j < p.length; j++) {
                p[j] = p[j] == '\n' ? 0 : p[j];
            }
            expected.add(p);
            lines.write(p);
            lines.write('\n');
        }
        CliProcess linesRun = run(lines.toByteArray(), "produce", "--vchannel", v);
        assertThat(linesRun.status()).as(linesRun.stderr()).isZero();
        assertThat(linesRun.stdoutLines()).hasSize(60);

        StringBuilder base64 = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            byte[] p = randomBytes(rnd, 300);
            expected.add(p);
            base64.append(Base64.getEncoder().encodeToString(p)).append(i % 2 == 0 ? "\n" : "\r\n");
        }
        CliProcess base64Run = run(base64.toString().getBytes(StandardCharsets.US_ASCII), "produce", "--vchannel", v,
                "--input", "base64");
        assertThat(base64Run.status()).as(base64Run.stderr()).isZero();
        assertThat(base64Run.stdoutLines()).hasSize(40);

        for (byte[] p : List.of(randomBytes(rnd, 5000), new byte[0], "\n\r\n".getBytes(StandardCharsets.US_ASCII))) {
            expected.add(p);
            CliProcess binaryRun = run(p, "produce", "--vchannel", v, "--input", "binary", "--json");
            assertThat(binaryRun.status()).as(binaryRun.stderr()).isZero();
            assertThat(binaryRun.stdoutLines()).singleElement().asString().startsWith("{\"vchannel\":\"" + v + "\"");
        }

        List<String> consumed;
        try (CliProcess consume = CliProcess.start(C_LOCALE, "consume", "--vchannel", v, "--json", "--max",
                Integer.toString(expected.size()), "--server", server.address())) {
            consume.stdin().close();
            assertThat(consume.waitFor(EXIT)).as(consume.stderr()).isZero();
            consumed = consume.stdoutLines();
        }
        assertThat(consumed).hasSize(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            assertThat(payload(consumed.get(i))).as("message %d: %s", i, consumed.get(i)).isEqualTo(expected.get(i));
        }
        assertThat(consumed).anySatisfy(l -> assertThat(l).contains("\"encoding\":\"base64\""));
        assertThat(consumed.get(0)).contains("\"payload\":\"wörld ✓ 0\\r\"");
    }

    @Test
    void sigtermEndsConsumeProduceAndStandaloneCleanlyWithStatusZero() throws Exception {
        startServer();
        String v = "pchannel-2_signals";
        try (CliProcess consume = CliProcess.start("consume", "--vchannel", v, "--json", "--server", server.address());
                CliProcess produce = CliProcess.start("produce", "--vchannel", v, "--server", server.address())) {
            OutputStream typing = produce.stdin();
            for (int i = 0; i < 10; i++) {
                typing.write(("m" + i + "\n").getBytes(StandardCharsets.UTF_8));
            }
            typing.flush(); // and left open: the producer waits for more input
            Await.until("every line is acknowledged", Duration.ofMinutes(2), () -> produce.stdoutLines().size() == 10);
            Await.until("the consumer printed every message", Duration.ofMinutes(2), () -> consume.stdoutLines().size() == 10);

            assertThat(produce.terminate()).as(produce.stderr()).isZero();
            assertThat(consume.terminate()).as(consume.stderr()).isZero();

            assertThat(produce.stdoutLines()).allSatisfy(l -> assertThat(l).matches(v + " \\d+:\\d+ tt=\\d+"));
            assertThat(consume.stdoutLines()).extracting(l -> new String(payload(l), StandardCharsets.UTF_8))
                    .containsExactly("m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9");
            assertThat(produce.stderr()).isEmpty();
            // consume says where it starts, and nothing else
            assertThat(consume.stderr()).matches("reading " + v + " from the earliest retained message \\d+:\\d+ "
                    + "\\(time tick \\d+, [0-9T:.Z-]+\\)\\R");
        }

        String generated = "pchannel-3_generated";
        int printed;
        try (CliProcess produce = CliProcess.start("produce", "--vchannel", generated, "--count", "100000000", "--size", "8",
                "--server", server.address())) {
            Await.until("the producer is well under way", Duration.ofMinutes(2), () -> produce.stdoutLines().size() >= 2000);
            assertThat(produce.terminate()).as(produce.stderr()).isZero();
            printed = produce.stdoutLines().size();
        }
        CliProcess count = run(new byte[0], "consume", "--vchannel", generated, "--idle-timeout", "3");
        assertThat(count.status()).as(count.stderr()).isZero();
        assertThat(count.stdoutLines()).as("every message sent had its acknowledgement printed").hasSize(printed);

        assertThat(server.terminate()).as("standalone after a clean shutdown").isZero();
        assertThat(server.log()).contains("tidelog: shutting down");
    }

    @Test
    void aClosedStandardOutputEndsConsumeWithStatusZeroAndProduceWithStatusOne() throws Exception {
        startServer();
        String v = "pchannel-0_head";
        try (StreamingClient client = StreamingClient.builder().target(server.address()).build();
                CliProcess consume = CliProcess.start("consume", "--vchannel", v, "--server", server.address());
                CliProcess produce = CliProcess.start("produce", "--vchannel", v, "--server", server.address())) {
            client.appendRawBlocking(v, "first".getBytes(StandardCharsets.UTF_8));
            Await.until("the consumer printed", Duration.ofMinutes(2), () -> !consume.stdoutLines().isEmpty());
            consume.closeStdout();
            produce.closeStdout();
            Await.until("consume stops once what it prints has nowhere to go", EXIT, () -> {
                client.appendRawBlocking(v, "more".getBytes(StandardCharsets.UTF_8));
                return !consume.isAlive();
            });
            Await.until("produce stops once its acknowledgements have nowhere to go", EXIT, () -> {
                try {
                    produce.stdin().write("line\n".getBytes(StandardCharsets.UTF_8));
                    produce.stdin().flush();
                } catch (java.io.IOException exited) {
                    // its standard input is gone with it
                }
                return !produce.isAlive();
            });

            assertThat(consume.waitFor(EXIT)).as("consume, without --max or --idle-timeout: %s", consume.stderr()).isZero();
            assertThat(produce.waitFor(EXIT)).isEqualTo(1);
            assertThat(produce.stderr().lines()).containsExactly(
                    "error: UNRECOVERABLE: standard output is closed: acknowledgements cannot be printed; nothing more is sent");
        }
    }

    @Test
    void aPchannelThatDoesNotExistIsNotFoundAtOnceWithStatusOne() throws Exception {
        startServer();
        String notFound = "error: NOT_FOUND: pchannel pchannel-99 does not exist: the cluster at " + server.address()
                + " has 4 pchannels, pchannel-0 to pchannel-3";
        // with a timeout far beyond the test's: only an answer at once can pass
        CliProcess produce = run("x\n".getBytes(StandardCharsets.UTF_8), "produce", "--vchannel", "pchannel-99_x",
                "--timeout", "3600");
        CliProcess consume = run(new byte[0], "consume", "--vchannel", "pchannel-99_x", "--timeout", "3600");
        for (CliProcess p : List.of(produce, consume)) {
            assertThat(p.status()).as(p.stderr()).isEqualTo(1);
            assertThat(p.stderr().lines()).containsExactly(notFound);
            assertThat(p.stdout()).isEmpty();
        }
    }

    @Test
    void anUnreachableServerIsTimeoutWithStatusThreeAfterTheCommandsTimeout() throws Exception {
        String nobody = "localhost:" + StandaloneProcess.freePort();
        CliProcess consume = CliProcess.run(new byte[0], "consume", "--vchannel", "pchannel-1_x", "--idle-timeout", "0.5",
                "--timeout", "2", "--server", nobody);
        CliProcess produce = CliProcess.run("x\n".getBytes(StandardCharsets.UTF_8), "produce", "--vchannel", "pchannel-1_x",
                "--timeout", "2", "--server", nobody);

        assertThat(consume.status()).as(consume.stderr()).isEqualTo(3);
        assertThat(consume.stderr().lines()).singleElement().asString()
                .startsWith("error: TIMEOUT: could not read pchannel-1_x for 2 s (--timeout): pchannel pchannel-1 has no "
                        + "assignment; the assignment watch on the coordinator at " + nobody + " failed: ON_SHUTDOWN");
        assertThat(produce.status()).as(produce.stderr()).isEqualTo(3);
        assertThat(produce.stderr().lines()).singleElement().asString()
                .startsWith("error: TIMEOUT: append to pchannel pchannel-1 not sent within PT2S");
        assertThat(consume.stdout()).isEmpty();
        assertThat(produce.stdout()).isEmpty();
    }

    @Test
    void aMalformedServerAddressIsOneLineAndStatusTwoNeverAStackTrace() throws Exception {
        for (String bad : List.of("::bad", "host:notaport", "host:99999")) {
            CliProcess status = CliProcess.run(new byte[0], "status", "--server", bad);
            assertThat(status.status()).as(bad).isEqualTo(2);
            assertThat(status.stderr().lines()).as(bad).singleElement().asString()
                    .startsWith("error: Invalid value for option '--server': ").contains(bad)
                    .endsWith("(see 'tidelog status --help')");
        }
    }

    @Test
    void malformedStandaloneOptionsAreOneLineNamingTheOptionAndStatusTwo() {
        List<List<String>> cases = List.of(
                List.of("--port", "70000"), List.of("--port", "-1"), List.of("--port", "http"),
                List.of("--pchannels", "0"), List.of("--pchannels", "many"), List.of("--pchannel-prefix", "a_b"),
                List.of("--config-file", dir.resolve("missing.properties").toString()), List.of("--config", "novalue"));
        for (List<String> c : cases) {
            List<String> args = new ArrayList<>(List.of("standalone", "--data-dir", dir.resolve("never").toString()));
            args.addAll(c);
            StringWriter err = new StringWriter();
            picocli.CommandLine cl = Main.commandLine();
            cl.setErr(new PrintWriter(err));
            int status = cl.execute(args.toArray(String[]::new));
            assertThat(status).as("%s: %s", c, err).isEqualTo(2);
            assertThat(err.toString().lines()).as("%s", c).singleElement().asString()
                    .startsWith("error: ").contains(c.get(0)).doesNotContain("Exception");
        }
        assertThat(dir.resolve("never")).as("nothing was started").doesNotExist();
    }

    @Test
    void garbageConnectionsAreOneShortLogLineAndTheServerKeepsServing() throws Exception {
        startServer();
        Random rnd = seeds.random();
        long start = System.nanoTime();
        for (int i = 0; i < 30; i++) {
            try (Socket s = new Socket("localhost", server.port())) {
                byte[] junk = randomBytes(rnd, 2000);
                OutputStream out = s.getOutputStream();
                out.write(i % 3 == 0 ? "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII) : junk);
                out.flush();
                s.setSoTimeout(5000);
                try {
                    while (s.getInputStream().read() >= 0) {
                        // until the server hangs up
                    }
                } catch (java.io.IOException hungUp) {
                    // the server dropped the connection: what it should do
                }
            }
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        try (StreamingClient client = StreamingClient.builder().target(server.address()).build()) {
            assertThat(client.appendRawBlocking("pchannel-0_after", "still serving".getBytes(StandardCharsets.UTF_8)).vchannel())
                    .isEqualTo("pchannel-0_after");
        }
        Await.until("the first line is logged", () -> logLines().stream().anyMatch(l -> l.contains("gRPC port failed")));
        List<String> reports = logLines().stream().filter(l -> l.contains("a connection to the gRPC port failed")).toList();
        assertThat(reports).as("at most one line per 10 s").hasSizeBetween(1, (int) (seconds / 10 + 1));
        assertThat(reports).allSatisfy(l -> assertThat(l).matches(".* INFO  ConnectionFailureLog - a connection to the gRPC "
                + "port failed: Http2Exception: (HTTP/2 client preface string missing or corrupt|Unexpected HTTP/1.x request: "
                + "GET /)( \\(\\d+ more since the last such line, not logged\\))?"));
        assertThat(logLines()).noneMatch(l -> l.startsWith("\tat ") || l.contains("Hex dump") || l.contains("Transport failed"));
    }

    private List<String> logLines() {
        try {
            return server.log().lines().toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
