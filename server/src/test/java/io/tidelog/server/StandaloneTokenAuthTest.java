package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.client.CollectionDescription;
import io.tidelog.client.ConsumerOptions;
import io.tidelog.client.ResumableConsumer;
import io.tidelog.client.StartPosition;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MutableMessage;
import io.tidelog.proto.DropCollectionHeader;
import io.tidelog.proto.MessageType;
import io.tidelog.testing.Await;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A standalone server with a token file, over real gRPC: who may call what, that a refused call changes nothing, that
 * the file is read again while the server runs, and where the server listens by default.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StandaloneTokenAuthTest {
    static final String READ = TokenFileTest.READ;
    static final String WRITE = TokenFileTest.WRITE;
    static final String ADMIN = TokenFileTest.ADMIN;
    static final String VCHANNEL = "pchannel-1_raw";

    @TempDir
    Path dir;
    StandaloneServer server;
    Path tokens;
    final List<StreamingClient> clients = new ArrayList<>();

    void start(String... tokenLines) throws Exception {
        tokens = dir.resolve("tokens");
        Files.writeString(tokens, TokenFileTest.lines(tokenLines));
        server = TestStandalone.start(dir.resolve("data"), Map.of("server.port", "0", "coord.pchannel.count", "2",
                "wal.local.segment.bytes", "4MiB", "wal.local.spare.segments", "1", "message.max.bytes", "1MiB",
                "security.tokens.file", tokens.toString(), "security.tokens.reload.interval", "50ms"));
    }

    @AfterEach
    void stop() {
        closeAll(clients, server);
    }

    /** Closes the clients, last made first, then the server (if it started). */
    static void closeAll(List<StreamingClient> clients, StandaloneServer server) {
        Collections.reverse(clients);
        clients.forEach(StreamingClient::close);
        if (server != null) {
            server.close();
        }
    }

    StreamingClient client(String token) {
        StreamingClient c = StreamingClient.builder().target(server.address()).token(token)
                .appendTimeout(Duration.ofSeconds(20)).build();
        clients.add(c);
        return c;
    }

    static void assertFailsWith(ErrorCode code, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StreamingException.class,
                e -> assertThat(e.code()).as(e.getMessage()).isEqualTo(code));
    }

    void startWithEveryRole() throws Exception {
        start("dash read " + READ, "ingest write " + WRITE, "ops admin " + ADMIN);
    }

    @Test
    void callsWithoutATokenOrWithAnUnknownOneAreUnauthenticatedAtOnce() throws Exception {
        startWithEveryRole();
        for (String token : new String[] {null, "not-a-token-of-the-file"}) {
            StreamingClient c = client(token);
            assertFailsWith(ErrorCode.UNAUTHENTICATED, c::statusBlocking);
            long started = System.nanoTime();
            assertFailsWith(ErrorCode.UNAUTHENTICATED, () -> c.appendRawBlocking(VCHANNEL, bytes("x")));
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("refused, not timed out")
                    .isLessThan(Duration.ofSeconds(15));
        }
        assertThat(client(READ).statusBlocking().pchannels()).hasSize(2);
    }

    @Test
    void aReadTokenMayConsumeButNotProduceAndItsRefusedAppendWritesNothing() throws Exception {
        startWithEveryRole();
        assertFailsWith(ErrorCode.PERMISSION_DENIED, () -> client(READ).appendRawBlocking(VCHANNEL, bytes("denied")));
        client(WRITE).appendRawBlocking(VCHANNEL, bytes("allowed"));
        assertThat(firstRawPayload(client(READ))).isEqualTo("allowed");
    }

    private static String firstRawPayload(StreamingClient c) {
        try (ResumableConsumer consumer = c.consumer(ConsumerOptions.vchannel(VCHANNEL)
                .withStart(StartPosition.earliest()).withTypes(Set.of(MessageType.RAW)))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline) {
                ImmutableMessage m = consumer.poll(Duration.ofMillis(200));
                if (m != null) {
                    return m.payload().toString(StandardCharsets.UTF_8);
                }
            }
            throw new AssertionError("nothing consumed");
        }
    }

    @Test
    void aWriteTokenCannotCreateOrDropACollectionNotEvenByAppendingDdlAnAdminCanAndTheWriterInsertsIntoIt() throws Exception {
        startWithEveryRole();
        StreamingClient writer = client(WRITE);
        assertFailsWith(ErrorCode.PERMISSION_DENIED,
                () -> writer.collections().createBlocking("events", HistoricalDataKillNineTest.SCHEMA, 1));
        StreamingClient admin = client(ADMIN);
        assertFailsWith(ErrorCode.NOT_FOUND, () -> admin.collections().describeBlocking("events"));
        CollectionDescription events = admin.collections().createBlocking("events", HistoricalDataKillNineTest.SCHEMA, 1);
        MutableMessage drop = MutableMessage.builder(MessageType.DROP_COLLECTION, events.vchannels().get(0))
                .header(DropCollectionHeader.newBuilder().setCollectionId(events.id()).build()).build();
        assertFailsWith(ErrorCode.PERMISSION_DENIED, () -> writer.appendBlocking(drop));
        assertThat(writer.insert("events", List.of(HistoricalDataKillNineTest.row(1)))
                .get(20, TimeUnit.SECONDS).rows()).isEqualTo(1);
        assertFailsWith(ErrorCode.PERMISSION_DENIED, () -> writer.collections().dropBlocking("events"));
        assertThat(admin.collections().describeBlocking("events").name()).isEqualTo("events");
    }

    @Test
    void aTokenAddedToTheFileStartsWorkingAndARemovedOneStopsWithoutARestart() throws Exception {
        start("dash read " + READ);
        StreamingClient later = client(WRITE);
        assertFailsWith(ErrorCode.UNAUTHENTICATED, later::statusBlocking);
        Files.writeString(tokens, TokenFileTest.lines("dash read " + READ, "ingest write " + WRITE));
        Await.until("the added token accepted", () -> succeeds(later));
        // The client's assignment watch, refused before, tries again by itself and then lets appends through.
        Await.until("an append with the added token", () -> appends(later));

        StreamingClient removed = client(READ);
        assertThat(succeeds(removed)).isTrue();
        Files.writeString(tokens, TokenFileTest.lines("ingest write " + WRITE));
        Await.until("the removed token refused", () -> refusedAsUnauthenticated(removed));
        assertThat(succeeds(later)).isTrue();
    }

    private static boolean succeeds(StreamingClient c) {
        try {
            c.statusBlocking();
            return true;
        } catch (StreamingException e) {
            return false;
        }
    }

    private static boolean appends(StreamingClient c) {
        try {
            c.appendRawBlocking(VCHANNEL, bytes("by the new token"));
            return true;
        } catch (StreamingException e) {
            assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
            return false;
        }
    }

    private static boolean refusedAsUnauthenticated(StreamingClient c) {
        try {
            c.statusBlocking();
            return false;
        } catch (StreamingException e) {
            return e.code() == ErrorCode.UNAUTHENTICATED;
        }
    }

    @Test
    void theStandaloneListensOnLoopbackOnlyByDefault() throws Exception {
        startWithEveryRole();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()), 5_000);
        }
        Optional<InetAddress> external = nonLoopbackAddress();
        Assumptions.assumeTrue(external.isPresent(), "this machine has no address beyond loopback");
        try (Socket s = new Socket()) {
            assertThatThrownBy(() -> s.connect(new InetSocketAddress(external.get(), server.port()), 5_000))
                    .isInstanceOf(ConnectException.class);
        }
    }

    static Optional<InetAddress> nonLoopbackAddress() throws Exception {
        for (NetworkInterface n : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!n.isUp() || n.isLoopback()) {
                continue;
            }
            for (InetAddress a : Collections.list(n.getInetAddresses())) {
                if (a instanceof Inet4Address && !a.isLoopbackAddress()) {
                    return Optional.of(a);
                }
            }
        }
        return Optional.empty();
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
