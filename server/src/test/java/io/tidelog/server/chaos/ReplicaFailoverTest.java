package io.tidelog.server.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tidelog.client.ClusterStatus;
import io.tidelog.client.CollectionDescription;
import io.tidelog.client.Consistency;
import io.tidelog.client.CreateCollectionOptions;
import io.tidelog.client.QueryOptions;
import io.tidelog.client.ReplicaLocation;
import io.tidelog.client.StreamingClient;
import io.tidelog.message.SchemaJson;
import io.tidelog.meta.etcd.EtcdServer;
import io.tidelog.proto.ConsistencyLevel;
import io.tidelog.proto.QueryServiceGrpc;
import io.tidelog.proto.ShardQueryRequest;
import io.tidelog.proto.ShardRead;
import io.tidelog.server.Exposition;
import io.tidelog.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replicas keep queries answering through the death of a node, for real: an etcd, a coordinator process and 3 node
 * processes on the {@code objectstore} WAL; a collection of one shard with {@code --replicas 2}, rows inserted and
 * acknowledged; STRONG queries run back to back while the owner of the shard's pchannel is killed with
 * {@code kill -9}. No query fails, none takes longer than the failover bound, and every answer holds exactly the
 * acknowledged rows; then the replica is placed again on the node that is neither the new owner nor the dead one,
 * and answers every row there.
 */
class ReplicaFailoverTest {
    static final int PCHANNELS = 3;
    static final Duration WAIT = Duration.ofSeconds(90);
    /** The longest a query may take while the owner dies and its pchannel moves (health timeout, WAL recovery). */
    static final Duration FAILOVER_BOUND = Duration.ofSeconds(10);
    static final String COLLECTION = "replicated";

    @RegisterExtension
    static final EtcdServer ETCD = new EtcdServer();

    @TempDir
    Path dir;

    final List<ClusterProcess> members = new ArrayList<>();
    final List<ClusterProcess> nodes = new ArrayList<>();
    final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void stopEverything() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        for (ClusterProcess p : members) {
            p.close();
        }
        Path kept = Path.of("target", "chaos-logs", getClass().getSimpleName());
        Files.createDirectories(kept);
        for (ClusterProcess p : members) {
            if (Files.exists(p.log())) {
                Files.copy(p.log(), kept.resolve(p.log().getFileName()),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    static final java.util.concurrent.atomic.AtomicInteger ROOTS = new java.util.concurrent.atomic.AtomicInteger();

    ClusterProcess coordinator() throws Exception {
        String root = "replicas-" + ROOTS.incrementAndGet();
        Path logs = Files.createDirectories(dir.resolve("logs"));
        List<String> args = new ArrayList<>(List.of("coord", "--pchannels", Integer.toString(PCHANNELS),
                "--etcd", ETCD.endpoint(), "-c", "meta.etcd.root=" + root, "-c", "server.host=127.0.0.1",
                "-c", "server.advertised.host=127.0.0.1", "-c", "objectstore.uri=file:" + dir.resolve("objects")));
        ClusterProcess c = new ClusterProcess("coord", args, logs);
        members.add(c);
        c.start();
        for (int i = 1; i <= 3; i++) {
            List<String> n = new ArrayList<>(List.of("node", "--node-id", "n" + i, "--data-dir",
                    dir.resolve("n" + i).toString(), "--etcd", ETCD.endpoint(), "-c", "meta.etcd.root=" + root,
                    "--wal", "objectstore", "-c", "wal.objectstore.uri=file:" + dir.resolve("wal"),
                    "--object-store", "file:" + dir.resolve("objects"),
                    "-c", "server.host=127.0.0.1", "-c", "server.advertised.host=127.0.0.1"));
            ClusterProcess p = new ClusterProcess("n" + i, n, logs);
            members.add(p);
            nodes.add(p);
            p.start();
        }
        return c;
    }

    /** Every pchannel assigned, each node owning one: nothing left for the balancer to move. */
    static boolean balanced(StreamingClient client) {
        try {
            return allAssigned(client) && client.statusBlocking().pchannels().stream()
                    .map(ClusterStatus.PchannelStatus::nodeId).distinct().count() == PCHANNELS;
        } catch (RuntimeException e) {
            return false;
        }
    }

    static boolean allAssigned(StreamingClient client) {
        try {
            ClusterStatus s = client.statusBlocking();
            return s.pchannels().size() == PCHANNELS
                    && s.pchannels().stream().allMatch(p -> p.state().equals("ASSIGNED"));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The node that owns {@code pchannel} now, or null. */
    static String ownerOf(StreamingClient client, String pchannel) {
        for (ClusterStatus.PchannelStatus p : client.statusBlocking().pchannels()) {
            if (p.pchannel().equals(pchannel) && p.state().equals("ASSIGNED")) {
                return p.nodeId();
            }
        }
        return null;
    }

    /** The primary keys a STRONG query of one delegator, called directly, answers; empty on any failure. */
    static Set<Long> askDirectly(String address, CollectionDescription c) {
        ManagedChannel channel = NettyChannelBuilder.forTarget(address).usePlaintext().build();
        try {
            var response = QueryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .query(ShardQueryRequest.newBuilder().setRead(ShardRead.newBuilder()
                            .setVchannel(c.vchannels().get(0)).setCollectionId(c.id())
                            .setConsistency(ConsistencyLevel.STRONG)).build());
            Set<Long> keys = new TreeSet<>();
            var ids = response.getColumnsList().stream().filter(col -> col.getFieldName().equals("id")).findFirst();
            ids.ifPresent(col -> keys.addAll(col.getInt64S().getValuesList()));
            return keys;
        } catch (RuntimeException e) {
            return Set.of();
        } finally {
            channel.shutdownNow();
        }
    }

    /**
     * One query: when it started, how long it took, and what it answered against the model: every row acknowledged
     * before it started must be in the answer, and nothing that was not sent by the time it ended.
     */
    record Outcome(long startNanos, long tookNanos, Set<Long> missing, Set<Long> extra, String error) {
    }

    /** What the model of the writes was when a query started and ended. */
    interface Model {
        Set<Long> ackedNow();

        Set<Long> sentNow();
    }

    static Set<Long> minus(Set<Long> a, Set<Long> b) {
        Set<Long> out = new TreeSet<>(a);
        out.removeAll(b);
        return out;
    }

    @Test
    void strongQueriesKeepAnsweringEveryAcknowledgedRowWhileTheOwnerOfTheShardIsKilled() throws Exception {
        ClusterProcess coord = coordinator();
        StreamingClient client = StreamingClient.builder().target(coord.address()).build();
        toClose.add(client);
        // Balanced first: a pchannel the balancer moves later would leave the owner chosen below before the kill.
        Await.until("every pchannel assigned, one on each node", () -> balanced(client), WAIT);

        CollectionDescription c = client.collections().createBlocking(COLLECTION,
                SchemaJson.parseJson(Inserts.SCHEMA_JSON), CreateCollectionOptions.defaults().withShards(1)
                        .withReplicas(2));
        assertThat(c.replicas()).isEqualTo(2);
        Set<Long> acked = new TreeSet<>();
        for (long batch = 0; batch < 20; batch++) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (long id = batch * 50 + 1; id <= batch * 50 + 50; id++) {
                rows.add(Inserts.row(id));
            }
            client.insert(COLLECTION, rows).get(30, TimeUnit.SECONDS);
            rows.forEach(r -> acked.add((Long) r.get("id")));
        }
        String vchannel = c.vchannels().get(0);
        String pchannel = vchannel.substring(0, vchannel.indexOf('_'));

        AtomicReference<List<ReplicaLocation>> placed = new AtomicReference<>(List.of());
        toClose.add(client.watchReplicas(placed::set));
        Await.until("a replica of " + vchannel + " that answers every acknowledged row", () -> {
            String owner = ownerOf(client, pchannel);
            return placed.get().stream().anyMatch(r -> r.vchannel().equals(vchannel) && !r.nodeId().equals(owner)
                    && askDirectly(r.address(), c).equals(acked));
        }, WAIT);
        String owner = ownerOf(client, pchannel);
        assertThat(client.statusBlocking().replicas()).as("the replicas in the status")
                .anyMatch(r -> r.vchannel().equals(vchannel) && !r.nodeId().equals(owner));
        ClusterProcess victim = nodes.stream().filter(n -> n.name.equals(owner)).findFirst().orElseThrow();
        List<String> victimOwned = client.statusBlocking().pchannels().stream().filter(p -> p.nodeId().equals(owner))
                .map(ClusterStatus.PchannelStatus::pchannel).toList();
        assertThat(Exposition.get(victim.httpAddress(), "/readyz").status()).as("the owner serving").isEqualTo(200);

        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        long killedAt = queryWhile(client, outcomes, victim, new Model() {
            @Override
            public Set<Long> ackedNow() {
                return acked;
            }

            @Override
            public Set<Long> sentNow() {
                return acked;
            }
        });
        judge(outcomes, killedAt);

        Await.until("the replica placed again, away from the new owner and the dead node, answering every row", () -> {
            String now = ownerOf(client, pchannel);
            return now != null && !now.equals(owner) && placed.get().stream().anyMatch(r -> r.vchannel().equals(vchannel)
                    && !r.nodeId().equals(now) && !r.nodeId().equals(owner) && askDirectly(r.address(), c).equals(acked));
        }, WAIT);
        checkFailoverMetrics(coord, client, victimOwned);
    }

    /**
     * The coordinator's /metrics after a kill -9 of the node that owned {@code victimOwned}: each of them failed over
     * (at least once: a node slow to beat on a loaded machine may be found down too) and was timed; every pchannel
     * assigned with the owner and term of its record, as many term changes as its term (one coordinator throughout).
     */
    static void checkFailoverMetrics(ClusterProcess coord, StreamingClient client, List<String> victimOwned)
            throws Exception {
        Await.until("every failover of the killed node's pchannels timed", () -> allAssigned(client)
                && Exposition.scrapeUnchecked(coord.httpAddress())
                .valueOrZero("tidelog_coord_failover_duration_seconds_count", Map.of()) >= victimOwned.size(), WAIT);
        ClusterStatus status = client.statusBlocking();
        Exposition e = Exposition.scrape(coord.httpAddress());
        assertThat(e.value("tidelog_coord_pchannels", Map.of("state", "assigned"))).hasValue(PCHANNELS);
        for (ClusterStatus.PchannelStatus p : status.pchannels()) {
            Map<String, String> pchannel = Map.of("pchannel", p.pchannel());
            assertThat(e.value("tidelog_coord_pchannel_info", Map.of("pchannel", p.pchannel(), "node", p.nodeId(),
                    "term", Long.toString(p.term()), "state", "assigned"))).as(p.pchannel()).hasValue(1);
            assertThat(e.value("tidelog_coord_term_changes_total", pchannel)).as(p.pchannel()).hasValue(p.term());
            if (victimOwned.contains(p.pchannel())) {
                assertThat(e.valueOrZero("tidelog_coord_failovers_total", pchannel)).as(p.pchannel())
                        .isGreaterThanOrEqualTo(1);
            }
        }
    }

    @Test
    void strongQueriesSeeEveryRowAcknowledgedBeforeThemWhileRowsAreInsertedThroughTheKillOfTheOwner() throws Exception {
        ClusterProcess coord = coordinator();
        StreamingClient client = StreamingClient.builder().target(coord.address()).idempotentAppends(true).build();
        toClose.add(client);
        // Balanced first: a pchannel the balancer moves later would leave the owner chosen below before the kill.
        Await.until("every pchannel assigned, one on each node", () -> balanced(client), WAIT);
        CollectionDescription c = client.collections().createBlocking(COLLECTION,
                SchemaJson.parseJson(Inserts.SCHEMA_JSON), CreateCollectionOptions.defaults().withShards(1)
                        .withReplicas(2));
        String vchannel = c.vchannels().get(0);
        String pchannel = vchannel.substring(0, vchannel.indexOf('_'));
        Inserts inserts = new Inserts(client, COLLECTION);
        inserts.start();
        toClose.add(inserts::stop);
        Await.until("500 rows acknowledged", () -> inserts.acked.size() >= 500, WAIT);

        AtomicReference<List<ReplicaLocation>> placed = new AtomicReference<>(List.of());
        toClose.add(client.watchReplicas(placed::set));
        Await.until("a replica of " + vchannel + " that answers every row acknowledged before", () -> {
            String owner = ownerOf(client, pchannel);
            Set<Long> before = new TreeSet<>(inserts.acked);
            return placed.get().stream().anyMatch(r -> r.vchannel().equals(vchannel) && !r.nodeId().equals(owner)
                    && askDirectly(r.address(), c).containsAll(before));
        }, WAIT);
        String owner = ownerOf(client, pchannel);
        ClusterProcess victim = nodes.stream().filter(n -> n.name.equals(owner)).findFirst().orElseThrow();
        List<String> victimOwned = client.statusBlocking().pchannels().stream().filter(p -> p.nodeId().equals(owner))
                .map(ClusterStatus.PchannelStatus::pchannel).toList();
        assertThat(Exposition.get(victim.httpAddress(), "/readyz").status()).as("the owner serving").isEqualTo(200);

        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        long killedAt = queryWhile(client, outcomes, victim, new Model() {
            @Override
            public Set<Long> ackedNow() {
                return inserts.acked;
            }

            @Override
            public Set<Long> sentNow() {
                return inserts.sent;
            }
        });
        inserts.stop();
        System.out.printf("rows: %d acknowledged, %d inserts failed%n", inserts.acked.size(), inserts.failed.get());
        judge(outcomes, killedAt);
    }

    /** No query failed or took longer than the failover bound; every answer held what the model says. */
    static void judge(List<Outcome> outcomes, long killedAt) {
        List<Outcome> failed = outcomes.stream().filter(o -> o.error() != null).toList();
        long slowest = outcomes.stream().mapToLong(Outcome::tookNanos).max().orElse(0);
        long afterKill = outcomes.stream().filter(o -> o.startNanos() >= killedAt).count();
        System.out.printf("replica failover: %d queries (%d started after the kill), slowest %d ms, %d failed%n",
                outcomes.size(), afterKill, TimeUnit.NANOSECONDS.toMillis(slowest), failed.size());
        assertThat(failed).as("queries that failed").isEmpty();
        assertThat(afterKill).as("queries started after the kill").isGreaterThanOrEqualTo(20);
        assertThat(outcomes).allSatisfy(o -> {
            assertThat(o.missing()).as("acknowledged rows missing from an answer").isEmpty();
            assertThat(o.extra()).as("rows never sent in an answer").isEmpty();
        });
        assertThat(Duration.ofNanos(slowest)).as("the slowest query").isLessThanOrEqualTo(FAILOVER_BOUND);
    }

    /**
     * STRONG queries back to back, with {@code victim} killed after a few of them; goes on until the pchannels have
     * moved and 20 queries started after the kill answered. Returns when the kill happened ({@link System#nanoTime}).
     */
    private long queryWhile(StreamingClient client, List<Outcome> outcomes, ClusterProcess victim, Model model)
            throws Exception {
        QueryOptions strong = QueryOptions.defaults().withConsistency(Consistency.STRONG)
                .withOutputFields(List.of("id")).withTimeout(FAILOVER_BOUND.multipliedBy(2));
        long killedAt = Long.MAX_VALUE;
        long end = System.nanoTime() + WAIT.toNanos();
        int afterKill = 0;
        while (System.nanoTime() < end) {
            if (killedAt == Long.MAX_VALUE && outcomes.size() >= 10) {
                victim.kill9();
                killedAt = System.nanoTime();
            }
            Set<Long> ackedBefore = new TreeSet<>(model.ackedNow());
            long start = System.nanoTime();
            try {
                List<Map<String, Object>> rows = client.queries().query(COLLECTION, strong).get(1, TimeUnit.MINUTES);
                long took = System.nanoTime() - start;
                Set<Long> keys = rows.stream().map(r -> (Long) r.get("id")).collect(Collectors.toCollection(TreeSet::new));
                Set<Long> sentAfter = new TreeSet<>(model.sentNow());
                outcomes.add(new Outcome(start, took, minus(ackedBefore, keys), minus(keys, sentAfter), null));
            } catch (Exception e) {
                outcomes.add(new Outcome(start, System.nanoTime() - start, Set.of(), Set.of(), e.toString()));
            }
            if (start >= killedAt && ++afterKill >= 20 && allAssigned(client)) {
                break;
            }
        }
        return killedAt;
    }
}
