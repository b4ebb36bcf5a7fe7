package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.cli.ExitCodes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Tokens with the real {@code tidelog} binary: the CLI's token from the environment or a flag, and its statuses. */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class SecurityCliProcessTest {
    static final Duration WAIT = Duration.ofMinutes(2);

    @TempDir
    Path dir;
    final List<StandaloneProcess> servers = new ArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(StandaloneProcess::close);
    }

    StandaloneProcess startServer(String name, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("--pchannels", "2", "-c", "wal.local.segment.bytes=4MiB",
                "-c", "wal.local.spare.segments=1", "-c", "message.max.bytes=1MiB"));
        all.addAll(List.of(args));
        StandaloneProcess s = new StandaloneProcess(dir.resolve(name), all);
        servers.add(s);
        s.start();
        return s;
    }

    Path tokenFile() throws Exception {
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, TokenFileTest.lines("dash read " + TokenFileTest.READ,
                "ingest write " + TokenFileTest.WRITE));
        return tokens;
    }

    /** {@code tidelog ARGS} with {@code env} and {@code input} as its whole standard input, to its end. */
    static CliProcess run(Map<String, String> env, String input, String... args) throws Exception {
        CliProcess p = CliProcess.start(env, args);
        p.stdin().write(input.getBytes(StandardCharsets.UTF_8));
        p.stdin().close();
        p.waitFor(WAIT);
        return p;
    }

    @Test
    void theCliTakesItsTokenFromTheEnvironmentOrTheFlagAndARefusalExitsWithStatusFour() throws Exception {
        StandaloneProcess server = startServer("data", "-c", "security.tokens.file=" + tokenFile());
        String at = server.address();

        CliProcess none = run(Map.of(), "", "status", "--server", at);
        assertThat(none.waitFor(WAIT)).as(none.stderr()).isEqualTo(ExitCodes.DENIED);
        assertThat(none.stderr()).contains("UNAUTHENTICATED").doesNotContain("Exception");

        CliProcess fromEnv = run(Map.of("TIDELOG_TOKEN", TokenFileTest.READ), "", "status", "--json", "--server", at);
        assertThat(fromEnv.waitFor(WAIT)).as(fromEnv.stderr()).isEqualTo(ExitCodes.OK);
        assertThat(new String(fromEnv.stdout(), StandardCharsets.UTF_8)).contains("\"pchannels\"");

        CliProcess readProduces = run(Map.of(), "denied\n", "produce", "--vchannel", "pchannel-0_raw",
                "--token", TokenFileTest.READ, "--server", at);
        assertThat(readProduces.waitFor(WAIT)).as(readProduces.stderr()).isEqualTo(ExitCodes.DENIED);
        assertThat(readProduces.stderr()).contains("PERMISSION_DENIED").doesNotContain(TokenFileTest.READ);

        CliProcess flagOverEnv = run(Map.of("TIDELOG_TOKEN", TokenFileTest.READ), "allowed\n", "produce",
                "--vchannel", "pchannel-0_raw", "--token", TokenFileTest.WRITE, "--server", at);
        assertThat(flagOverEnv.waitFor(WAIT)).as(flagOverEnv.stderr()).isEqualTo(ExitCodes.OK);

        CliProcess help = run(Map.of(), "", "status", "--help");
        assertThat(new String(help.stdout(), StandardCharsets.UTF_8)).contains("--token").contains("--tls-ca").contains("4").contains("UNAUTHENTICATED");
    }

    @Test
    void theCliTakesTheCaToTrustFromTheEnvironmentOrTheFlag() throws Exception {
        TestCertificates certs = TestCertificates.makeIn(dir.resolve("certs"));
        StandaloneProcess server = startServer("tls", "-c", "security.tls.cert=" + certs.serverCert(),
                "-c", "security.tls.key=" + certs.serverKey());
        String at = server.address();
        String ca = certs.ca().toString();

        CliProcess plaintext = run(Map.of(), "", "status", "--server", at);
        assertThat(plaintext.waitFor(WAIT)).as(plaintext.stderr()).isEqualTo(ExitCodes.RETRIABLE);
        CliProcess fromEnv = run(Map.of("TIDELOG_TLS_CA", ca), "", "status", "--server", at);
        assertThat(fromEnv.waitFor(WAIT)).as(fromEnv.stderr()).isEqualTo(ExitCodes.OK);
        CliProcess fromFlag = run(Map.of(), "", "status", "--tls-ca", ca, "--server", at);
        assertThat(fromFlag.waitFor(WAIT)).as(fromFlag.stderr()).isEqualTo(ExitCodes.OK);
    }

    @Test
    void aStandaloneListeningBeyondLoopbackWarnsAtStartUnlessItChecksTokens() throws Exception {
        StandaloneProcess open = startServer("open", "-c", "server.host=0.0.0.0");
        assertThat(open.log()).contains("WARN").contains("beyond loopback");
        StandaloneProcess closed = startServer("closed", "-c", "server.host=0.0.0.0",
                "-c", "security.tokens.file=" + tokenFile());
        assertThat(closed.log()).doesNotContain("beyond loopback").contains("token authentication on");
        StandaloneProcess loopback = startServer("loopback");
        assertThat(loopback.log()).doesNotContain("beyond loopback");
    }
}
