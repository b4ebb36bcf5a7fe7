package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.client.Appended;
import io.tidelog.client.ClusterStatus;
import io.tidelog.client.StreamingClient;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.MetaStores;
import io.tidelog.meta.etcd.EtcdServer;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.testing.Await;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streaming nodes of a cluster ({@link NodeServer}) with a coordinator on a real etcd, the objectstore WAL on a shared
 * directory: the coordinator spreads the pchannels over them, a drain and a graceful stop move them with no failed
 * append, and a node whose session is lost stops serving by itself and comes back as a new session.
 */
class NodeServerTest {
    static final Duration WAIT = Duration.ofSeconds(60);
    static final AtomicInteger ROOTS = new AtomicInteger();

    @RegisterExtension
    static final EtcdServer ETCD = new EtcdServer();

    @TempDir
    Path dir;

    final List<AutoCloseable> toClose = new ArrayList<>();
    String root;
    MetaStore meta;

    @BeforeEach
    void start() {
        root = "node-test-" + ROOTS.incrementAndGet();
        meta = MetaStores.create("etcd", ETCD.storeProperties(root));
    }

    @AfterEach
    void close() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        meta.close();
    }

    CoordServer coordinator(int pchannels) {
        Map<String, String> p = new HashMap<>(ETCD.storeProperties(root));
        p.put("server.port", "0");
        p.put("server.host", "127.0.0.1");
        p.put("server.advertised.host", "127.0.0.1");
        p.put("coord.pchannel.count", String.valueOf(pchannels));
        p.put("coord.balance.interval", "50ms");
        p.put("coord.node.health.interval", "100ms");
        p.put("coord.node.health.timeout", "800ms");
        p.put("session.ttl", "3s");
        p.put("session.keepalive.interval", "500ms");
        p.put("session.self.fence.margin", "1s");
        CoordServer c = CoordServer.start(p);
        toClose.add(c);
        return c;
    }

    NodeServer node(String id) {
        Map<String, String> p = new HashMap<>(ETCD.storeProperties(root));
        p.put("server.port", "0");
        p.put("server.host", "127.0.0.1");
        p.put("server.advertised.host", "127.0.0.1");
        p.put("server.node.id", id);
        p.put("wal.backend", "objectstore");
        p.put("wal.objectstore.uri", "file:" + dir.resolve("shared"));
        p.put("session.ttl", "3s");
        p.put("session.keepalive.interval", "500ms");
        p.put("session.self.fence.margin", "1s");
        NodeServer n = NodeServer.start(dir.resolve(id), p);
        toClose.add(n);
        return n;
    }

    StreamingClient client(CoordServer coordinator) {
        StreamingClient c = StreamingClient.builder().target(coordinator.address()).build();
        toClose.add(c);
        return c;
    }

    static boolean allAssigned(StreamingClient client, int pchannels) {
        ClusterStatus s = client.statusBlocking();
        return s.pchannels().size() == pchannels && s.pchannels().stream().allMatch(p -> p.state().equals("ASSIGNED"));
    }

    static Map<String, Long> terms(StreamingClient client) {
        Map<String, Long> out = new TreeMap<>();
        client.statusBlocking().pchannels().forEach(p -> out.put(p.pchannel(), p.term()));
        return out;
    }

    /** Appends to one vchannel per pchannel, one at a time each, until stopped; records every outcome. */
    static final class Producer {
        final Map<String, List<String>> acked = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final List<Thread> threads = new ArrayList<>();

        Producer(StreamingClient client, int pchannels) {
            for (int i = 0; i < pchannels; i++) {
                String vchannel = "pchannel-" + i + "_node-test";
                acked.put(vchannel, new ArrayList<>());
                Thread t = new Thread(() -> {
                    for (int n = 0; !stop.get(); n++) {
                        String payload = vchannel + "#" + n;
                        try {
                            Appended a = client.appendRawBlocking(vchannel, payload.getBytes(StandardCharsets.UTF_8));
                            assertThat(a.timeTick()).isPositive();
                            acked.get(vchannel).add(payload);
                        } catch (RuntimeException e) {
                            failures.add(e);
                            return;
                        }
                    }
                }, "producer-" + vchannel);
                threads.add(t);
                t.start();
            }
        }

        int total() {
            return acked.values().stream().mapToInt(List::size).sum();
        }

        void stop() throws InterruptedException {
            stop.set(true);
            for (Thread t : threads) {
                t.join(WAIT.toMillis());
            }
        }
    }

    /** Every acknowledged message of each vchannel read back once, in order, with strictly increasing time ticks. */
    static void checkHistories(StreamingClient client, Producer producer) {
        for (Map.Entry<String, List<String>> e : producer.acked.entrySet()) {
            List<ImmutableMessage> history = VchannelHistory.of(client, e.getKey());
            List<String> payloads = new ArrayList<>();
            long last = 0;
            for (ImmutableMessage m : history) {
                payloads.add(m.payload().toStringUtf8());
                assertThat(m.timeTick()).as("time tick in %s", e.getKey()).isGreaterThan(last);
                last = m.timeTick();
            }
            assertThat(payloads).as("history of %s", e.getKey()).isEqualTo(e.getValue());
        }
    }

    @Test
    void aDrainMovesEveryPchannelOffANodeWhileAppendsGoOnAndNoneFails() throws Exception {
        CoordServer coord = coordinator(4);
        NodeServer a = node("a");
        NodeServer b = node("b");
        StreamingClient client = client(coord);
        Await.until("the pchannels spread over both nodes", () -> allAssigned(client, 4) && a.serving() == 2
                && b.serving() == 2, WAIT);
        Await.until("the status shows each WAL as its node's heartbeats tell it", () -> client.statusBlocking()
                .pchannels().stream().allMatch(p -> p.available() && p.lastTimeTick() > 0 && p.lastId() != null),
                WAIT);
        Map<String, Long> before = terms(client);
        Producer producer = new Producer(client, 4);
        try {
            Await.until("appends on every pchannel", () -> producer.acked.values().stream().allMatch(l -> l.size() > 5)
                    || !producer.failures.isEmpty(), WAIT);
            assertThat(client.drainNodeBlocking("a", WAIT)).isEqualTo(a.sessionId());
            assertThat(a.serving()).isZero();
            int atDrain = producer.total();
            Await.until("appends go on after the drain", () -> producer.total() > atDrain + 20
                    || !producer.failures.isEmpty(), WAIT);
        } finally {
            producer.stop();
        }
        assertThat(producer.failures).as("failed appends").isEmpty();
        assertThat(b.serving()).isEqualTo(4);
        Map<String, Long> after = terms(client);
        before.forEach((p, t) -> assertThat(after.get(p)).as("term of %s", p).isGreaterThanOrEqualTo(t));
        checkHistories(client, producer);
    }

    @Test
    void aStoppedNodeHandsItsPchannelsBackFirstSoNoAppendFails() throws Exception {
        CoordServer coord = coordinator(4);
        NodeServer a = node("a");
        NodeServer b = node("b");
        StreamingClient client = client(coord);
        Await.until("the pchannels spread over both nodes", () -> allAssigned(client, 4) && a.serving() == 2
                && b.serving() == 2, WAIT);
        Producer producer = new Producer(client, 4);
        try {
            Await.until("appends on every pchannel", () -> producer.acked.values().stream().allMatch(l -> l.size() > 5)
                    || !producer.failures.isEmpty(), WAIT);
            a.close();
            int atStop = producer.total();
            Await.until("appends go on after the stop", () -> producer.total() > atStop + 20
                    || !producer.failures.isEmpty(), WAIT);
        } finally {
            producer.stop();
        }
        assertThat(producer.failures).as("failed appends").isEmpty();
        assertThat(b.serving()).isEqualTo(4);
        checkHistories(client, producer);
    }

    @Test
    void aNodeWhoseSessionIsLostStopsServingAtOnceAndComesBackAsANewSession() throws Exception {
        CoordServer coord = coordinator(2);
        NodeServer a = node("a");
        StreamingClient client = client(coord);
        Await.until("a serves both pchannels", () -> allAssigned(client, 2) && a.serving() == 2, WAIT);
        long first = a.sessionId();
        Map<String, Long> before = terms(client);

        meta.delete("session/node/a"); // as if its lease expired: the session ends, the node must stop serving
        Await.until("a registered again", () -> a.sessionId() != 0 && a.sessionId() != first, WAIT);
        Await.until("a serves both pchannels again, at newer terms", () -> allAssigned(client, 2)
                && a.serving() == 2 && terms(client).entrySet().stream().allMatch(e -> e.getValue()
                > before.get(e.getKey())), WAIT);
        Producer producer = new Producer(client, 2);
        try {
            Await.until("appends work", () -> producer.total() > 10 || !producer.failures.isEmpty(), WAIT);
        } finally {
            producer.stop();
        }
        assertThat(producer.failures).isEmpty();
        checkHistories(client, producer);
    }
}
