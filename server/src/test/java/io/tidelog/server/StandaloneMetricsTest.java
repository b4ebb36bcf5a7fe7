package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.client.Appended;
import io.tidelog.client.ConsumerOptions;
import io.tidelog.client.ResumableConsumer;
import io.tidelog.client.StartPosition;
import io.tidelog.client.ClusterStatus;
import io.tidelog.client.StreamingClient;
import io.tidelog.client.Txn;
import io.tidelog.message.MutableMessage;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.RawHeader;
import io.tidelog.testing.Await;
import com.google.protobuf.ByteString;
import java.time.Duration;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The standalone server's HTTP port: {@code /metrics} in the Prometheus text format, {@code /healthz}, {@code /readyz}. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StandaloneMetricsTest {
    private static final Map<String, String> P1 = Map.of("pchannel", "pchannel-1");
    private static final Map<String, String> P2 = Map.of("pchannel", "pchannel-2");

    @TempDir
    Path dir;
    StandaloneServer server;
    StreamingClient client;
    String http;

    @BeforeEach
    void start() {
        server = TestStandalone.start(dir, Map.of("server.port", "0", "coord.pchannel.count", "4",
                "wal.local.segment.bytes", "4MiB", "wal.local.spare.segments", "1", "message.max.bytes", "1MiB"));
        client = StreamingClient.builder().target(server.address()).build();
        http = server.httpAddress();
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    private void produce(String vchannel, int n, int size) {
        List<CompletableFuture<?>> acks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            acks.add(client.appendRaw(vchannel, new byte[size]));
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).join();
    }

    @Test
    void producingNMessagesRaisesTheAppendCounterAndHistogramOfTheirPchannelByExactlyN() throws Exception {
        Exposition before = Exposition.scrape(http);
        int n = 137;
        produce("pchannel-1_metrics", n, 100);
        Exposition after = Exposition.scrape(http);

        assertThat(after.valueOrZero("tidelog_wal_appends_total", P1) - before.valueOrZero("tidelog_wal_appends_total", P1))
                .isEqualTo(n);
        assertThat(after.valueOrZero("tidelog_wal_append_duration_seconds_count", P1)
                - before.valueOrZero("tidelog_wal_append_duration_seconds_count", P1)).isEqualTo(n);
        assertThat(after.valueOrZero("tidelog_wal_append_bytes_total", P1)
                - before.valueOrZero("tidelog_wal_append_bytes_total", P1)).isGreaterThanOrEqualTo(n * 100.0);
        assertThat(after.valueOrZero("tidelog_wal_append_duration_seconds_sum", P1)).isPositive();
        assertThat(after.valueOrZero("tidelog_wal_backend_append_duration_seconds_count", P1)
                - before.valueOrZero("tidelog_wal_backend_append_duration_seconds_count", P1)).isBetween(1.0, n + 50.0);
        // the histogram's last bucket holds every append
        assertThat(after.value("tidelog_wal_append_duration_seconds_bucket", Map.of("pchannel", "pchannel-1", "le", "+Inf")))
                .hasValue(after.valueOrZero("tidelog_wal_append_duration_seconds_count", P1));
        // another pchannel saw none of them
        assertThat(after.valueOrZero("tidelog_wal_appends_total", P2)).isEqualTo(before.valueOrZero("tidelog_wal_appends_total", P2));
    }

    @Test
    void theWalGaugesOfAServedPchannelShowItsBufferTermAndRecovery() throws Exception {
        produce("pchannel-1_gauges", 20, 1000);
        Exposition e = Exposition.scrape(http);
        assertThat(e.value("tidelog_wal_available", P1)).hasValue(1);
        assertThat(e.value("tidelog_wal_term", P1).orElseThrow()).isGreaterThanOrEqualTo(1);
        assertThat(e.value("tidelog_wal_buffer_bytes", P1).orElseThrow()).isGreaterThanOrEqualTo(20 * 1000);
        assertThat(e.value("tidelog_wal_buffer_messages", P1).orElseThrow()).isGreaterThanOrEqualTo(20);
        assertThat(e.value("tidelog_wal_last_time_tick", P1).orElseThrow()).isPositive();
        assertThat(e.value("tidelog_wal_recovery_duration_seconds", P1)).isPresent();
        assertThat(e.value("tidelog_wal_recovery_replayed_messages", P1)).isPresent();
        assertThat(e.value("tidelog_wal_scanners", Map.of("pchannel", "pchannel-1", "mode", "tailing"))).isPresent();
        assertThat(e.value("tidelog_wal_scanners", Map.of("pchannel", "pchannel-1", "mode", "catchup"))).isPresent();
        for (int p = 0; p < 4; p++) {
            assertThat(e.value("tidelog_wal_available", Map.of("pchannel", "pchannel-" + p))).as("pchannel-" + p).hasValue(1);
        }
    }

    @Test
    void theJvmAndProcessMetricsAreExposedToo() throws Exception {
        Exposition e = Exposition.scrape(http);
        Set<String> names = new TreeSet<>();
        e.samples().forEach(s -> names.add(s.name()));
        assertThat(names).contains("jvm_memory_used_bytes", "jvm_threads_live_threads", "process_cpu_usage",
                "process_uptime_seconds", "jvm_classes_loaded_classes");
    }

    @Test
    void everyTidelogFamilyFollowsThePrometheusNamingConventions() throws Exception {
        produce("pchannel-1_names", 3, 10);
        Exposition e = Exposition.scrape(http);
        Map<String, String> tidelog = new java.util.TreeMap<>();
        e.types().forEach((name, type) -> {
            if (name.startsWith("tidelog_")) {
                tidelog.put(name, type);
            }
        });
        assertThat(tidelog).isNotEmpty();
        tidelog.forEach((name, type) -> {
            assertThat(name).as("snake case").matches("tidelog_[a-z0-9_]+").doesNotContain("__");
            assertThat(name).as("no unit but base units").doesNotContain("millis", "micros", "nanos", "kib", "mib");
            if (type.equals("counter")) {
                assertThat(name).as("a counter ends in _total").endsWith("_total");
            } else {
                assertThat(name).as("only counters end in _total").doesNotEndWith("_total");
            }
            if (type.equals("histogram")) {
                assertThat(name).as("a latency histogram is in seconds").endsWith("_seconds");
            }
            if (name.contains("bytes")) {
                assertThat(name).as("bytes are the unit, last").matches(".*_bytes(_total)?");
            }
        });
        // The coordinator's meters are partly of the whole cluster (the leader, pchannels by state, failover times).
        e.samples().stream().filter(s -> s.name().startsWith("tidelog_") && !s.name().startsWith("tidelog_coord_"))
                .forEach(s -> assertThat(s.labels()).as(s.name()).containsKey("pchannel"));
    }

    @Test
    void aSubscriptionsLagFallsToAboutZeroOnceItCommitsTheLastMessage() throws Exception {
        String v = "pchannel-1_lagging";
        client.subscriptions().subscribe(v, "audit", StartPosition.earliest()).join();
        produce(v, 10, 10);
        Appended last = client.appendRaw(v, new byte[10]).join();
        Map<String, String> tags = Map.of("pchannel", "pchannel-1", "vchannel", v, "subscription", "audit");
        Exposition behind = Exposition.scrape(http);
        assertThat(behind.value("tidelog_subscription_lag_time_ticks", tags).orElseThrow()).isPositive();
        assertThat(behind.value("tidelog_subscription_lag_seconds", tags)).isPresent();

        client.subscriptions().commit(v, "audit", last.id(), last.timeTick()).join();
        Exposition caughtUp = Exposition.scrape(http);
        assertThat(caughtUp.value("tidelog_subscription_lag_seconds", tags).orElseThrow()).isLessThan(5);
        assertThat(caughtUp.value("tidelog_subscription_lag_time_ticks", tags).orElseThrow())
                .isLessThan(behind.value("tidelog_subscription_lag_time_ticks", tags).orElseThrow());
    }

    @Test
    void aConsumersReadsAreCountedBySourceAndItsScannerByMode() throws Exception {
        String v = "pchannel-1_read";
        produce(v, 10, 10);
        Exposition before = Exposition.scrape(http);
        try (ResumableConsumer consumer = client.consumer(ConsumerOptions.vchannel(v).withStart(StartPosition.earliest()))) {
            for (int i = 0; i < 10; i++) {
                assertThat(consumer.poll(Duration.ofSeconds(20))).as("message " + i).isNotNull();
            }
            Exposition reading = Exposition.scrape(http);
            double reads = 0;
            for (String source : List.of("buffer", "backend")) {
                Map<String, String> tags = Map.of("pchannel", "pchannel-1", "source", source);
                reads += reading.valueOrZero("tidelog_wal_scanner_reads_total", tags)
                        - before.valueOrZero("tidelog_wal_scanner_reads_total", tags);
            }
            assertThat(reads).as("at least its 10 messages (and the TimeTicks between)").isGreaterThanOrEqualTo(10);
            assertThat(reading.valueOrZero("tidelog_wal_scanners", Map.of("pchannel", "pchannel-1", "mode", "catchup"))
                    + reading.valueOrZero("tidelog_wal_scanners", Map.of("pchannel", "pchannel-1", "mode", "tailing")))
                    .as("its open scanner").isEqualTo(1);
        }
    }

    @Test
    void aDedupHitIsCountedAndWritesNothing() throws Exception {
        Map<String, String> p3 = Map.of("pchannel", "pchannel-3");
        MutableMessage keyed = MutableMessage.builder(MessageType.RAW, "pchannel-3_idem")
                .header(RawHeader.getDefaultInstance()).payload(ByteString.copyFromUtf8("once")).idempotencyKey("k-1")
                .build();
        Exposition before = Exposition.scrape(http);
        Appended first = client.append(keyed).join();
        Appended again = client.append(keyed).join();
        Exposition after = Exposition.scrape(http);
        assertThat(again.id()).isEqualTo(first.id());
        assertThat(after.valueOrZero("tidelog_wal_dedup_hits_total", p3) - before.valueOrZero("tidelog_wal_dedup_hits_total", p3))
                .isEqualTo(1);
        assertThat(after.valueOrZero("tidelog_wal_appends_total", p3) - before.valueOrZero("tidelog_wal_appends_total", p3))
                .isEqualTo(1);
    }

    @Test
    void anOpenTransactionIsShownUntilItsKeepaliveRunsOutAndItIsCountedExpired() throws Exception {
        Map<String, String> p2 = Map.of("pchannel", "pchannel-2");
        Txn txn = client.txn("pchannel-2_txn", Duration.ofMillis(500));
        txn.appendRaw("body".getBytes(StandardCharsets.UTF_8)).join();
        assertThat(Exposition.scrape(http).value("tidelog_wal_transactions_open", p2)).hasValue(1);
        Await.until("the transaction expired", Duration.ofSeconds(20),
                () -> scraped("tidelog_wal_transactions_expired_total", p2) == 1
                        && scraped("tidelog_wal_transactions_open", p2) == 0);
        assertThat(Exposition.scrape(http).value("tidelog_wal_transactions_open", P1)).hasValue(0);
    }

    private double scraped(String name, Map<String, String> labels) {
        try {
            return Exposition.scrape(http).valueOrZero(name, labels);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theReadmeTableNamesEveryTidelogFamilyExposedAndNoOther() throws Exception {
        produce("pchannel-1_readme", 1, 10);
        client.subscriptions().subscribe("pchannel-1_readme", "readme", StartPosition.earliest()).join();
        // A standalone runs the coordinator and a node: it exposes every family a cluster's members do.
        assertThat(Exposition.readmeFamilies()).isEqualTo(Exposition.scrape(http).tidelogFamilies());
    }

    @Test
    void theCoordinatorInTheProcessReportsEveryPchannelAssignedToItsNodeAtItsFirstTermAndNoFailover() throws Exception {
        Exposition e = Exposition.scrape(http);
        assertThat(e.value("tidelog_coord_leader", Map.of())).hasValue(1);
        assertThat(e.value("tidelog_coord_nodes_alive", Map.of())).hasValue(1);
        assertThat(e.value("tidelog_coord_pchannels", Map.of("state", "assigned"))).hasValue(4);
        assertThat(e.value("tidelog_coord_pchannels", Map.of("state", "assigning"))).hasValue(0);
        assertThat(e.value("tidelog_coord_pchannels", Map.of("state", "unassigned"))).hasValue(0);
        for (ClusterStatus.PchannelStatus p : client.statusBlocking().pchannels()) {
            assertThat(p.term()).as("a new data directory's first term").isEqualTo(1);
            assertThat(e.value("tidelog_coord_pchannel_info", Map.of("pchannel", p.pchannel(), "node", p.nodeId(),
                    "term", "1", "state", "assigned"))).as(p.pchannel()).hasValue(1);
            assertThat(e.value("tidelog_coord_term_changes_total", Map.of("pchannel", p.pchannel()))).hasValue(1);
            assertThat(e.value("tidelog_coord_failovers_total", Map.of("pchannel", p.pchannel()))).hasValue(0);
        }
        assertThat(e.samples().stream().filter(s -> s.name().equals("tidelog_coord_pchannel_info"))).hasSize(4);
        assertThat(e.value("tidelog_coord_failover_duration_seconds_count", Map.of())).hasValue(0);
    }

    @Test
    void aSegmentIsCountedGrowingWhileItTakesInsertsAndNoLongerOnceFlushed() throws Exception {
        client.collections().createBlocking("segments", CollectionServiceTest.BOOKS, 1);
        client.insert("segments", List.of(CollectionServiceTest.book(1), CollectionServiceTest.book(2)))
                .get(30, TimeUnit.SECONDS);
        Exposition e = Exposition.scrape(http);
        assertThat(e.sum("tidelog_segments", Map.of("state", "growing"))).isEqualTo(1);
        assertThat(e.sum("tidelog_segments", Map.of("state", "sealed"))).isZero();
        client.collections().flushBlocking("segments");
        Await.until("the flushed segment no longer counted", () -> {
            Exposition after = Exposition.scrapeUnchecked(http);
            return after.sum("tidelog_segments", Map.of()) == 0;
        }, Duration.ofSeconds(30));
    }

    @Test
    void healthzIsAliveAndReadyzIsReadyWhileEveryPchannelIsServed() throws Exception {
        assertThat(Exposition.get(http, "/healthz")).extracting(Exposition.Reply::status, Exposition.Reply::body)
                .containsExactly(200, "alive\n");
        assertThat(Exposition.get(http, "/readyz")).extracting(Exposition.Reply::status, Exposition.Reply::body)
                .containsExactly(200, "ready\n");
    }

    @Test
    void readyzIsUnavailableNamingThePchannelWhoseWalIsNotOpen() throws Exception {
        long term = server.node().wals().get("pchannel-2", 0).term();
        server.node().wals().remove("pchannel-2", term);
        Exposition.Reply r = Exposition.get(http, "/readyz");
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.body()).isEqualTo("1 of 4 pchannels not ready: pchannel-2 not open\n");
        assertThat(Exposition.scrape(http).value("tidelog_wal_available", P2)).hasValue(0);
    }

    @Test
    void theMetricsEndpointAnswersInThePrometheusTextFormatAndOtherPathsAndMethodsAreRefused() throws Exception {
        assertThat(Exposition.get(http, "/metrics").contentType()).startsWith("text/plain; version=0.0.4");
        assertThat(Exposition.get(http, "/metricsx").status()).isEqualTo(404);
        assertThat(Exposition.get(http, "/nosuch").status()).isEqualTo(404);
        java.net.http.HttpResponse<String> post = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + http + "/metrics"))
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("x")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
    }

    @Test
    void anUnknownHttpKeyOrABadPortIsRefusedAtStart() {
        assertThatThrownBy(() -> TestStandalone.start(dir.resolve("other"), Map.of("server.port", "0", "http.nope", "1")))
                .isInstanceOfSatisfying(StreamingException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains("http.nope");
                });
        assertThatThrownBy(() -> TestStandalone.start(dir.resolve("other2"), Map.of("server.port", "0",
                "http.port", "70000")))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.getMessage()).contains("http.port"));
    }

    @Test
    void aSecondServerOnTheSameHttpPortFailsNamingTheKey() {
        assertThatThrownBy(() -> TestStandalone.start(dir.resolve("other"), Map.of("server.port", "0",
                "http.port", Integer.toString(server.httpPort()))))
                .isInstanceOfSatisfying(StreamingException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains("http.port");
                });
    }
}
