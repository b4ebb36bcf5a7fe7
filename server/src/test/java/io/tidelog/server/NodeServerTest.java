package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.client.Appended;
import io.tidelog.client.ClusterStatus;
import io.tidelog.client.StreamingClient;
import io.tidelog.meta.etcd.EtcdServer;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.testing.Await;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streaming nodes of a cluster ({@link NodeServer}) with a coordinator on a real etcd, the objectstore WAL on a shared
 * directory: the coordinator spreads the pchannels over them, a drain and a graceful stop move them with no failed
 * append, and a node whose session is lost stops serving by itself and comes back as a new session.
 */
class NodeServerTest extends EtcdClusterTest {
    static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    static final EtcdServer ETCD = new EtcdServer();

    @TempDir
    Path dir;

    @Override
    EtcdServer etcd() {
        return ETCD;
    }

    NodeServer node(String id) {
        NodeServer n = NodeServer.start(dir.resolve(id), nodeProperties(id, dir.resolve("shared")));
        toClose.add(n);
        return n;
    }

    static void awaitSpread(StreamingClient client, NodeServer a, NodeServer b) {
        Await.until("the pchannels spread over both nodes", () -> allAssigned(client, 4) && a.serving() == 2
                && b.serving() == 2, WAIT);
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

    /**
     * The coordinator's /metrics say exactly what its records say: every pchannel assigned with its owner and term,
     * one term change per term (this one coordinator led since the cluster began), and {@code failovers} failovers
     * of each pchannel, as many failover durations in all.
     */
    static void checkCoordinatorMetrics(CoordServer coord, StreamingClient client, int nodes, int failovers)
            throws Exception {
        ClusterStatus status = client.statusBlocking();
        Exposition e = Exposition.scrape(coord.httpAddress());
        assertThat(e.value("tidelog_coord_leader", Map.of())).hasValue(1);
        assertThat(e.value("tidelog_coord_nodes_alive", Map.of())).hasValue(nodes);
        assertThat(e.value("tidelog_coord_pchannels", Map.of("state", "assigned"))).hasValue(status.pchannels().size());
        assertThat(e.sum("tidelog_coord_pchannels", Map.of())).isEqualTo(status.pchannels().size());
        assertThat(e.samples().stream().filter(x -> x.name().equals("tidelog_coord_pchannel_info")))
                .hasSize(status.pchannels().size());
        for (ClusterStatus.PchannelStatus p : status.pchannels()) {
            assertThat(e.value("tidelog_coord_pchannel_info", Map.of("pchannel", p.pchannel(), "node", p.nodeId(),
                    "term", Long.toString(p.term()), "state", "assigned"))).as(p.pchannel()).hasValue(1);
            assertThat(e.value("tidelog_coord_term_changes_total", Map.of("pchannel", p.pchannel())))
                    .as("term changes of %s", p.pchannel()).hasValue(p.term());
            assertThat(e.value("tidelog_coord_failovers_total", Map.of("pchannel", p.pchannel())))
                    .as("failovers of %s", p.pchannel()).hasValue(failovers);
        }
        assertThat(e.value("tidelog_coord_failover_duration_seconds_count", Map.of()))
                .hasValue(failovers * status.pchannels().size());
    }

    static void assertReady(String httpAddress) throws Exception {
        assertThat(Exposition.get(httpAddress, "/readyz")).extracting(Exposition.Reply::status, Exposition.Reply::body)
                .containsExactly(200, "ready\n");
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

    /**
     * Produces on every pchannel; once each has acknowledged appends, runs {@code fault}, waits for more appends, then
     * checks that none failed and every acknowledged message is read back once, in order.
     */
    static void whileProducing(StreamingClient client, int pchannels, String what, Runnable fault) throws Exception {
        Producer producer = new Producer(client, pchannels);
        try {
            Await.until("appends on every pchannel", () -> producer.acked.values().stream().allMatch(l -> l.size() > 5)
                    || !producer.failures.isEmpty(), WAIT);
            fault.run();
            int at = producer.total();
            Await.until("appends go on after " + what, () -> producer.total() > at + 20
                    || !producer.failures.isEmpty(), WAIT);
        } finally {
            producer.stop();
        }
        assertThat(producer.failures).as("failed appends").isEmpty();
        checkHistories(client, producer);
    }

    @Test
    void aDrainMovesEveryPchannelOffANodeWhileAppendsGoOnAndNoneFailsAndTheMetricsSaySo() throws Exception {
        CoordServer coord = startCoordinator(coordinatorProperties(4));
        StreamingClient client = client(coord);
        NodeServer a = node("a");
        NodeServer b = node("b");
        awaitSpread(client, a, b);
        Await.until("the status shows each WAL as its node's heartbeats tell it", () -> client.statusBlocking()
                .pchannels().stream().allMatch(p -> p.available() && p.lastTimeTick() > 0 && p.lastId() != null),
                WAIT);
        checkCoordinatorMetrics(coord, client, 2, 0);
        assertReady(a.httpAddress());
        assertReady(b.httpAddress());
        Map<String, Long> before = terms(client);
        whileProducing(client, 4, "the drain", () -> {
            CommandRun drain = CommandRun.against(coord.address(), "drain", "a", "--json");
            assertThat(drain.status()).as(drain.err()).isZero();
            assertThat(drain.out().strip()).isEqualTo("{\"nodeId\":\"a\",\"sessionId\":" + a.sessionId() + "}");
            // The drain ends when the coordinator's records bind no pchannel to a; a itself lets go once its removal
            // is done (the coordinator waits for it at most coord.remove.timeout, then fences it by the new term).
            Await.until("node a lets go of every pchannel", () -> a.serving() == 0, WAIT);
            assertThat(client.statusBlocking().nodes()).contains(
                    new ClusterStatus.NodeStatus("a", a.address(), true, true),
                    new ClusterStatus.NodeStatus("b", b.address(), true, false));
            CommandRun status = CommandRun.against(coord.address(), "status");
            assertThat(status.out()).containsPattern("(?m)^a\\s+" + a.address() + "\\s+yes, drained\\s*$");
        });
        CommandRun nobody = CommandRun.against(coord.address(), "drain", "nobody");
        assertThat(nobody.status()).as("NOT_FOUND: the same command would fail again").isEqualTo(1);
        assertThat(nobody.err()).contains("NOT_FOUND").contains("nobody");
        assertThat(b.serving()).isEqualTo(4);
        Map<String, Long> after = terms(client);
        before.forEach((p, t) -> assertThat(after.get(p)).as("term of %s", p).isGreaterThanOrEqualTo(t));
        Await.until("every pchannel ASSIGNED on b", () -> allAssigned(client, 4), WAIT);
        checkCoordinatorMetrics(coord, client, 2, 0); // a drain moves pchannels at new terms, and fails none over
        assertReady(a.httpAddress()); // a member that serves nothing, as drained
        assertReady(b.httpAddress());
        Exposition onA = Exposition.scrape(a.httpAddress());
        Exposition onB = Exposition.scrape(b.httpAddress());
        for (String p : after.keySet()) {
            Map<String, String> pchannel = Map.of("pchannel", p);
            assertThat(onA.valueOrZero("tidelog_wal_appends_total", pchannel)
                    + onB.valueOrZero("tidelog_wal_appends_total", pchannel))
                    .as("appends to %s counted by its nodes (more than 5 acknowledged before the drain)", p)
                    .isGreaterThan(5);
            assertThat(onB.value("tidelog_wal_available", pchannel)).as(p).hasValue(1);
            assertThat(onB.value("tidelog_wal_term", pchannel)).as(p).hasValue(after.get(p));
        }
        assertThat(onA.value("tidelog_wal_available", Map.of("pchannel", after.keySet().iterator().next())))
                .as("a WAL node a let go of").isIn(OptionalDouble.empty(), OptionalDouble.of(0));
        // The README's table names every family of both roles (StandaloneMetricsTest checks it names no other).
        Set<String> documented = Exposition.readmeFamilies();
        Set<String> coordinator = Exposition.scrape(coord.httpAddress()).tidelogFamilies();
        assertThat(coordinator).as("the coordinator's families").isNotEmpty()
                .allMatch(f -> f.startsWith("tidelog_coord_"));
        assertThat(documented.stream().filter(f -> f.startsWith("tidelog_coord_")).toList())
                .containsExactlyInAnyOrderElementsOf(coordinator);
        assertThat(documented).containsAll(onB.tidelogFamilies());
        Exposition onCoord = Exposition.scrape(coord.httpAddress());
        for (Exposition e : List.of(onCoord, onB)) {
            assertThat(e.types()).as("the JVM's and the process's meters")
                    .containsKeys("jvm_memory_used_bytes", "jvm_threads_live_threads", "process_cpu_usage");
        }
        assertThat(Exposition.get(coord.httpAddress(), "/healthz").body()).isEqualTo("alive\n");
        assertThat(Exposition.get(b.httpAddress(), "/healthz").body()).isEqualTo("alive\n");
    }

    @Test
    void aStoppedNodeHandsItsPchannelsBackFirstSoNoAppendFails() throws Exception {
        StreamingClient client = client(startCoordinator(coordinatorProperties(4)));
        NodeServer a = node("a");
        NodeServer b = node("b");
        awaitSpread(client, a, b);
        whileProducing(client, 4, "the stop", a::close);
        assertThat(b.serving()).isEqualTo(4);
    }

    @Test
    void aNodeWhoseSessionIsLostStopsServingAtOnceAndComesBackAsANewSessionItsPchannelsCountedAsFailedOver() throws Exception {
        CoordServer coord = startCoordinator(coordinatorProperties(2));
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
        whileProducing(client, 2, "nothing", () -> { });
        // Its session lost, a's pchannels failed over (to its new session): one failover each, both timed.
        Await.until("both failovers timed", () -> Exposition.scrapeUnchecked(coord.httpAddress())
                .valueOrZero("tidelog_coord_failover_duration_seconds_count", Map.of()) == 2, WAIT);
        checkCoordinatorMetrics(coord, client, 1, 1);
        Await.until("a is ready", () -> Exposition.statusUnchecked(a.httpAddress(), "/readyz") == 200, WAIT);
        Exposition onA = Exposition.scrape(a.httpAddress());
        for (String p : before.keySet()) {
            assertThat(onA.valueOrZero("tidelog_wal_appends_total", Map.of("pchannel", p)))
                    .as("appends to %s counted across its terms", p).isGreaterThan(5);
        }
    }
}
