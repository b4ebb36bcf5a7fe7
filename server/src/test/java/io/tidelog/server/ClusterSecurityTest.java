package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.client.ConsumerOptions;
import io.tidelog.client.ResumableConsumer;
import io.tidelog.client.StartPosition;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.meta.etcd.EtcdServer;
import io.tidelog.proto.MessageType;
import io.tidelog.testing.Await;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster (a coordinator and two nodes in this JVM, on a real etcd) with mutual TLS and tokens: the members' own
 * calls (assigns, heartbeats, TSO batches, the DDL broadcast) carry the cluster token and
 * their certificates and keep working; clients need a certificate and a token of the right role.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ClusterSecurityTest extends EtcdClusterTest {
    static final Duration WAIT = Duration.ofSeconds(60);
    static final String CLUSTER_TOKEN = "cluster-token-0123456789";

    @RegisterExtension
    static final EtcdServer ETCD = new EtcdServer();

    @TempDir
    static Path certDir;
    static TestCertificates certs;

    @TempDir
    Path dir;

    @Override
    EtcdServer etcd() {
        return ETCD;
    }

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = TestCertificates.makeIn(certDir);
    }

    Map<String, String> secured(Map<String, String> p) throws Exception {
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, TokenFileTest.lines("dash read " + TokenFileTest.READ,
                "ingest write " + TokenFileTest.WRITE, "ops admin " + TokenFileTest.ADMIN));
        p.put("security.tokens.file", tokens.toString());
        p.put("security.cluster.token", CLUSTER_TOKEN);
        p.put("security.tls.cert", certs.serverCert().toString());
        p.put("security.tls.key", certs.serverKey().toString());
        p.put("security.tls.ca", certs.ca().toString());
        p.put("security.tls.client.auth", "require");
        return p;
    }

    NodeServer node(String id) throws Exception {
        NodeServer n = NodeServer.start(dir.resolve(id), secured(nodeProperties(id, dir.resolve("shared"))));
        toClose.add(n);
        return n;
    }

    StreamingClient client(CoordServer coord, String token) {
        StreamingClient c = StreamingClient.builder().target(coord.address()).token(token).tlsCa(certs.ca())
                .tlsClientCert(certs.clientCert(), certs.clientKey()).appendTimeout(Duration.ofSeconds(30)).build();
        toClose.add(c);
        return c;
    }

    @Test
    void membersCallEachOtherWithTheClusterTokenOverMutualTlsAndClientsNeedACertificateAndARole() throws Exception {
        CoordServer coord = startCoordinator(secured(coordinatorProperties(4)));
        NodeServer a = node("a");
        NodeServer b = node("b");
        StreamingClient admin = client(coord, TokenFileTest.ADMIN);
        Await.until("every pchannel assigned over mutual TLS", () -> NodeServerTest.allAssigned(admin, 4)
                && a.serving() + b.serving() == 4, WAIT);

        admin.collections().createBlocking("events", HistoricalDataKillNineTest.SCHEMA, 2);
        StreamingClient writer = client(coord, TokenFileTest.WRITE);
        assertThat(writer.insert("events", java.util.List.of(HistoricalDataKillNineTest.row(7)))
                .get(30, TimeUnit.SECONDS).rows()).isEqualTo(1);
        writer.appendRawBlocking("pchannel-2_raw", "hello".getBytes(StandardCharsets.UTF_8));
        try (ResumableConsumer c = client(coord, TokenFileTest.READ).consumer(ConsumerOptions.vchannel("pchannel-2_raw")
                .withStart(StartPosition.earliest()).withTypes(Set.of(MessageType.RAW)))) {
            ImmutableMessage m = null;
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (m == null && System.nanoTime() < deadline) {
                m = c.poll(Duration.ofMillis(200));
            }
            assertThat(m).isNotNull();
            assertThat(m.payload().toStringUtf8()).isEqualTo("hello");
        }

        assertThatThrownBy(() -> client(coord, null).statusBlocking()).isInstanceOfSatisfying(StreamingException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED));
        assertThatThrownBy(() -> writer.drainNodeBlocking("a", Duration.ofSeconds(5)))
                .isInstanceOfSatisfying(StreamingException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.PERMISSION_DENIED));
        StreamingClient noCertificate = StreamingClient.builder().target(coord.address()).token(TokenFileTest.ADMIN)
                .tlsCa(certs.ca()).appendTimeout(Duration.ofSeconds(5)).build();
        toClose.add(noCertificate);
        assertThatThrownBy(noCertificate::statusBlocking).isInstanceOfSatisfying(StreamingException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.ON_SHUTDOWN));
    }

    @Test
    void aMemberWithATokenFileButNoClusterTokenIsRefusedAtStart() throws Exception {
        Map<String, String> p = secured(coordinatorProperties(4));
        p.remove("security.cluster.token");
        assertThatThrownBy(() -> startCoordinator(p)).isInstanceOfSatisfying(StreamingException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThat(e.getMessage()).contains("security.cluster.token");
        });
    }
}
