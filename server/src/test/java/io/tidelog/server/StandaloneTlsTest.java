package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.cli.ExitCodes;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.StreamingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A standalone server speaking TLS with certificates the {@code openssl} command made: a client must trust its CA, and
 * with mutual TLS required must present a certificate that CA signed. The server's own client (the DDL broadcast)
 * keeps working through both, and with tokens.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StandaloneTlsTest {
    @TempDir
    static Path certDir;
    static TestCertificates certs;

    @TempDir
    Path dir;
    StandaloneServer server;
    final List<StreamingClient> clients = new ArrayList<>();

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = TestCertificates.makeIn(certDir);
    }

    void start(Map<String, String> security) {
        Map<String, String> p = new HashMap<>(Map.of("server.port", "0", "coord.pchannel.count", "2",
                "wal.local.segment.bytes", "4MiB", "wal.local.spare.segments", "1", "message.max.bytes", "1MiB",
                "security.tls.cert", certs.serverCert().toString(), "security.tls.key", certs.serverKey().toString()));
        p.putAll(security);
        server = TestStandalone.start(dir.resolve("data"), p);
    }

    @AfterEach
    void stop() {
        StandaloneTokenAuthTest.closeAll(clients, server);
    }

    StreamingClient client(StreamingClient.Builder b) {
        StreamingClient c = b.target(server.address()).appendTimeout(Duration.ofSeconds(5)).build();
        clients.add(c);
        return c;
    }

    static void assertCannotConnect(StreamingClient c) {
        assertThatThrownBy(c::statusBlocking).isInstanceOf(StreamingException.class);
    }

    @Test
    void aClientWithoutTheCaCannotConnectAndOneWithItCan() {
        start(Map.of());
        assertCannotConnect(client(StreamingClient.builder()));
        assertCannotConnect(client(StreamingClient.builder().tlsCa(certs.otherCa())));
        StreamingClient trusting = client(StreamingClient.builder().tlsCa(certs.ca()));
        assertThat(trusting.statusBlocking().pchannels()).hasSize(2);
        trusting.collections().createBlocking("events", HistoricalDataKillNineTest.SCHEMA, 1);
        assertThat(trusting.collections().describeBlocking("events").vchannels()).hasSize(1);
    }

    @Test
    void withMutualTlsRequiredAClientWithoutACertificateIsRefusedAndOneWithItWorksWithTokensToo() throws Exception {
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, TokenFileTest.lines("ops admin " + TokenFileTest.ADMIN));
        start(Map.of("security.tls.ca", certs.ca().toString(), "security.tls.client.auth", "require",
                "security.tokens.file", tokens.toString()));
        assertCannotConnect(client(StreamingClient.builder().tlsCa(certs.ca()).token(TokenFileTest.ADMIN)));
        StreamingClient withCertificate = client(StreamingClient.builder().tlsCa(certs.ca())
                .tlsClientCert(certs.clientCert(), certs.clientKey()).token(TokenFileTest.ADMIN));
        assertThat(withCertificate.statusBlocking().pchannels()).hasSize(2);
        withCertificate.collections().createBlocking("events", HistoricalDataKillNineTest.SCHEMA, 1);
        assertThat(withCertificate.insert("events", List.of(HistoricalDataKillNineTest.row(1)))
                .get(20, TimeUnit.SECONDS).rows()).isEqualTo(1);

        String ca = certs.ca().toString();
        CommandRun cli = CommandRun.against(server.address(), "status", "--tls-ca", ca, "--tls-cert",
                certs.clientCert().toString(), "--tls-key", certs.clientKey().toString(), "--token", TokenFileTest.ADMIN);
        assertThat(cli.status()).as(cli.err()).isEqualTo(ExitCodes.OK);
        CommandRun noCertificate = CommandRun.against(server.address(), "status", "--tls-ca", ca, "--token",
                TokenFileTest.ADMIN);
        assertThat(noCertificate.status()).as(noCertificate.err()).isEqualTo(ExitCodes.RETRIABLE);
    }

    @Test
    void clientAuthWithoutACaOrACertificateWithoutItsKeyIsRefusedAtStart() {
        assertThatThrownBy(() -> start(Map.of("security.tls.client.auth", "require")))
                .isInstanceOf(StreamingException.class).hasMessageContaining("security.tls.ca");
        assertThatThrownBy(() -> TestStandalone.start(dir.resolve("data2"), Map.of("server.port", "0",
                "security.tls.cert", certs.serverCert().toString())))
                .isInstanceOf(StreamingException.class).hasMessageContaining("security.tls.key");
        assertThatThrownBy(() -> start(Map.of("security.tls.clientauth", "require")))
                .isInstanceOf(StreamingException.class).hasMessageContaining("security.tls.clientauth");
    }
}
