package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.testing.Await;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The standalone's HTTP port with a token file and with TLS: every route but {@code /healthz} and {@code /readyz}
 * needs a token of role read or above (401 with {@code WWW-Authenticate: Bearer} without one), the token file is the
 * gRPC port's (a token removed from it stops working), {@code http.metrics.key} opens {@code /metrics} alone, a
 * browser gives its token once and keeps it in an HttpOnly cookie, and with a certificate the port speaks HTTPS only
 * (asking for a client certificate when mutual TLS is required).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StandaloneHttpSecurityTest {
    static final String READ = TokenFileTest.READ;
    static final String WRITE = TokenFileTest.WRITE;
    static final String METRICS_KEY = "metrics-key-0123456789";
    static final List<String> CLOSED = List.of("/", "/api/status", "/metrics", "/assets/status.js",
            "/assets/uPlot.iife.min.js", "/nosuch");

    @TempDir
    static Path certDir;
    static TestCertificates certs;

    @TempDir
    Path dir;
    Path tokens;
    StandaloneServer server;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).followRedirects(HttpClient.Redirect.NEVER).build();

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = TestCertificates.makeIn(certDir);
    }

    void start(Map<String, String> more) throws IOException {
        tokens = dir.resolve("tokens");
        Files.writeString(tokens, TokenFileTest.lines("dash read " + READ, "ingest write " + WRITE));
        Map<String, String> p = new HashMap<>(Map.of("server.port", "0", "coord.pchannel.count", "2",
                "wal.local.segment.bytes", "4MiB", "wal.local.spare.segments", "1", "message.max.bytes", "1MiB",
                "security.tokens.file", tokens.toString(), "security.tokens.reload.interval", "50ms"));
        p.putAll(more);
        server = TestStandalone.start(dir.resolve("data"), p);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        return get(http, server.httpUrl(), path, headers);
    }

    static HttpResponse<String> get(HttpClient client, String base, String path, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String[] bearer(String token) {
        return new String[] {"Authorization", "Bearer " + token};
    }

    @Test
    void withoutATokenOrWithAnUnknownOneEveryRouteButHealthAndReadinessIsRefusedWith401AndBearer() throws Exception {
        start(Map.of());
        for (String path : CLOSED) {
            for (String[] headers : List.of(new String[0], bearer("not-a-token-of-the-file"),
                    new String[] {"Authorization", "Basic " + READ}, new String[] {"Cookie", "tidelog_token=%%%"})) {
                HttpResponse<String> r = get(path, headers);
                assertThat(r.statusCode()).as(path + " " + List.of(headers)).isEqualTo(401);
                assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                        v -> assertThat(v).startsWith("Bearer"));
                assertThat(r.body()).doesNotContain("pchannel-0", "tidelog_wal");
            }
        }
        assertThat(get("/healthz").statusCode()).isEqualTo(200);
        assertThat(get("/readyz").body()).isEqualTo("ready\n");
    }

    @Test
    void aReadTokenOrAboveReadsTheStatusApiTheMetricsAndThePage() throws Exception {
        start(Map.of());
        for (String token : List.of(READ, WRITE)) {
            HttpResponse<String> status = get("/api/status", bearer(token));
            assertThat(status.statusCode()).isEqualTo(200);
            assertThat(status.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
            assertThat(status.body()).contains("\"pchannel\":\"pchannel-0\"", "\"pchannel\":\"pchannel-1\"",
                    "\"nodeId\":\"node-1\"");
            assertThat(get("/metrics", bearer(token)).body()).contains("tidelog_wal_available");
            HttpResponse<String> page = get("/", bearer(token));
            assertThat(page.body()).contains("<table id=\"pchannels\">");
            assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(
                    v -> assertThat(v).contains("script-src 'self'"));
            assertThat(get("/assets/uPlot.iife.min.js", bearer(token)).body()).contains("uPlot");
        }
    }

    @Test
    void aTokenRemovedFromTheFileWhileTheServerRunsIsRefusedWith401() throws Exception {
        start(Map.of());
        assertThat(get("/api/status", bearer(READ)).statusCode()).isEqualTo(200);
        Files.writeString(tokens, TokenFileTest.lines("ingest write " + WRITE));
        Await.until("the removed token refused", Duration.ofSeconds(20),
                () -> statusOf("/api/status", bearer(READ)) == 401);
        assertThat(get("/metrics", bearer(READ)).statusCode()).isEqualTo(401);
        assertThat(get("/api/status", bearer(WRITE)).statusCode()).isEqualTo(200);
    }

    private int statusOf(String path, String... headers) {
        try {
            return get(path, headers).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    @Test
    void theMetricsKeyOpensTheMetricsAloneAndNothingElse() throws Exception {
        start(Map.of(HttpConfig.METRICS_KEY, METRICS_KEY));
        HttpResponse<String> metrics = get("/metrics", bearer(METRICS_KEY));
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("tidelog_wal_available");
        for (String path : List.of("/", "/api/status", "/assets/status.js")) {
            HttpResponse<String> r = get(path, bearer(METRICS_KEY));
            assertThat(r.statusCode()).as(path).isEqualTo(403);
            assertThat(r.body()).isEqualTo("the metrics key opens /metrics only\n");
        }
        assertThat(get("/?token=" + METRICS_KEY).statusCode()).as("no login with the key").isEqualTo(401);
    }

    @Test
    void aBrowserGivesItsTokenOnceAndKeepsItInAnHttpOnlyStrictCookie() throws Exception {
        start(Map.of());
        HttpResponse<String> login = get("/?token=" + READ);
        assertThat(login.statusCode()).isEqualTo(303);
        assertThat(login.headers().firstValue("Location")).hasValue("/");
        String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(setCookie).startsWith(HttpAccess.COOKIE + "=").contains("HttpOnly", "SameSite=Strict", "Path=/")
                .doesNotContain(READ).doesNotContain("Secure");
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        assertThat(get("/", "Cookie", cookie).statusCode()).isEqualTo(200);
        assertThat(get("/api/status", "Cookie", "other=1; " + cookie).statusCode()).isEqualTo(200);

        // a browser reads "/\host" in a Location as "//host": another site
        HttpResponse<String> elsewhere = get("/%5Cexample.com?token=" + READ);
        assertThat(elsewhere.statusCode()).isEqualTo(303);
        assertThat(elsewhere.headers().firstValue("Location")).as("no redirect to another site").hasValue("/");

        HttpResponse<String> unknown = get("/?token=not-a-token-of-the-file");
        assertThat(unknown.statusCode()).isEqualTo(401);
        assertThat(unknown.headers().firstValue("Set-Cookie")).isEmpty();
        assertThat(unknown.body()).contains("<form method=\"get\"", "name=\"token\"");
        assertThat(get("/api/status?token=" + READ).statusCode()).as("only the page logs in").isEqualTo(401);

        Files.writeString(tokens, TokenFileTest.lines("ingest write " + WRITE));
        Await.until("the removed token's cookie refused", Duration.ofSeconds(20),
                () -> statusOf("/api/status", "Cookie", cookie) == 401);
    }

    @Test
    void aMetricsKeyWithoutATokenFileOrAMalformedOneIsRefusedAtStart() {
        assertThatThrownBy(() -> TestStandalone.start(dir.resolve("a"), Map.of("server.port", "0",
                HttpConfig.METRICS_KEY, METRICS_KEY)))
                .isInstanceOfSatisfying(StreamingException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains(HttpConfig.METRICS_KEY, SecurityConfig.TOKENS_FILE)
                            .doesNotContain(METRICS_KEY);
                });
        assertThatThrownBy(() -> start(Map.of(HttpConfig.METRICS_KEY, "short")))
                .isInstanceOf(StreamingException.class).hasMessageContaining(HttpConfig.METRICS_KEY);
    }

    @Test
    void withACertificateThePortSpeaksHttpsOnlyAndAClientTrustingTheCaIsAnswered() throws Exception {
        start(Map.of("security.tls.cert", certs.serverCert().toString(),
                "security.tls.key", certs.serverKey().toString()));
        assertThat(server.httpUrl()).startsWith("https://");
        String plain = "http://" + server.httpAddress();
        assertThatThrownBy(() -> get(http, plain, "/healthz")).isInstanceOf(IOException.class);

        HttpClient untrusting = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        assertThatThrownBy(() -> get(untrusting, server.httpUrl(), "/healthz")).isInstanceOf(IOException.class);

        HttpClient trusting = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).sslContext(trusting(certs.ca())).build();
        assertThat(get(trusting, server.httpUrl(), "/healthz").body()).isEqualTo("alive\n");
        assertThat(get(trusting, server.httpUrl(), "/api/status").statusCode()).isEqualTo(401);
        assertThat(get(trusting, server.httpUrl(), "/api/status", bearer(READ)).body()).contains("pchannel-1");
        HttpResponse<String> login = get(trusting, server.httpUrl(), "/?token=" + READ);
        assertThat(login.headers().firstValue("Set-Cookie").orElseThrow()).contains("; Secure");
    }

    @Test
    void withMutualTlsRequiredAnHttpsClientWithoutACertificateIsRefusedAndOneWithItIsAnswered() throws Exception {
        start(Map.of("security.tls.cert", certs.serverCert().toString(),
                "security.tls.key", certs.serverKey().toString(), "security.tls.ca", certs.ca().toString(),
                "security.tls.client.auth", "require"));
        HttpClient withoutCertificate = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).sslContext(trusting(certs.ca())).build();
        assertThatThrownBy(() -> get(withoutCertificate, server.httpUrl(), "/healthz")).isInstanceOf(IOException.class);
        HttpClient withCertificate = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).sslContext(presenting(certs.clientCert(), certs.clientKey(),
                        certs.ca())).build();
        assertThat(get(withCertificate, server.httpUrl(), "/healthz").body()).isEqualTo("alive\n");
        assertThat(get(withCertificate, server.httpUrl(), "/metrics", bearer(READ)).statusCode()).isEqualTo(200);
    }

    /** A TLS context presenting {@code cert} with {@code key}, trusting the certificates of {@code ca}. */
    static SSLContext presenting(Path cert, Path key, Path ca) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("client", HttpTls.privateKey(key), new char[0],
                HttpTls.certificates(cert, "test client").toArray(Certificate[]::new));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), trustManagers(ca), null);
        return context;
    }

    /** A TLS context trusting the certificates of {@code ca}. */
    static SSLContext trusting(Path ca) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trustManagers(ca), null);
        return context;
    }

    private static TrustManager[] trustManagers(Path ca) throws Exception {
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        int i = 0;
        for (Certificate c : HttpTls.certificates(ca, "test CA")) {
            trusted.setCertificateEntry("ca-" + i++, c);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
        return tmf.getTrustManagers();
    }
}
