package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.client.Appended;
import io.tidelog.client.StartPosition;
import io.tidelog.client.StreamingClient;
import io.tidelog.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.DoublePredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus server (Debian's {@code prometheus}, which {@code ./scripts/test} installs) scrapes a standalone
 * server under traffic every second; its query API finds the append counter of the pchannel written to at exactly
 * the number of messages produced, a positive rate while producing, and a subscription's lag back to about zero once
 * it commits the last message.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PrometheusScrapeTest {
    private static final Duration SCRAPED = Duration.ofSeconds(60);
    private static final String VCHANNEL = "pchannel-1_scraped";
    private static final String APPENDS = "tidelog_wal_appends_total{job=\"tidelog\",pchannel=\"pchannel-1\"}";

    @TempDir
    Path dir;

    @Test
    void aRealPrometheusScrapesTheStandaloneAndSeesItsAppendsMovingAndALagThatReturnsToZero() throws Exception {
        try (StandaloneServer server = TestStandalone.start(dir.resolve("data"), Map.of("server.port", "0",
                     "coord.pchannel.count", "2", "wal.local.segment.bytes", "4MiB", "wal.local.spare.segments", "1",
                     "message.max.bytes", "1MiB"));
             StreamingClient client = StreamingClient.builder().target(server.address()).build();
             PrometheusServer prometheus = PrometheusServer.start(dir.resolve("prometheus"), server.httpAddress())) {
            awaitQuery(prometheus, "up{job=\"tidelog\"}", v -> v == 1);
            client.subscriptions().subscribe(VCHANNEL, "watcher", StartPosition.earliest()).join();

            int n = 250;
            Appended last = null;
            for (int i = 0; i < n; i++) {
                last = client.appendRaw(VCHANNEL, ("m" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8)).join();
            }
            awaitQuery(prometheus, APPENDS, v -> v == n);
            awaitQuery(prometheus, "tidelog_wal_append_duration_seconds_count{pchannel=\"pchannel-1\"}", v -> v == n);
            awaitQuery(prometheus, "tidelog_wal_appends_total{pchannel=\"pchannel-0\"}", v -> v == 0);
            awaitQuery(prometheus, "tidelog_subscription_lag_time_ticks{subscription=\"watcher\"}", v -> v > 0);

            client.subscriptions().commit(VCHANNEL, "watcher", last.id(), last.timeTick()).join();
            awaitQuery(prometheus, "tidelog_subscription_lag_seconds{subscription=\"watcher\"}", v -> v < 1);

            AtomicBoolean producing = new AtomicBoolean(true);
            CompletableFuture<Void> traffic = CompletableFuture.runAsync(() -> {
                while (producing.get()) {
                    client.appendRaw(VCHANNEL, new byte[64]).join();
                }
            });
            try {
                awaitQuery(prometheus, "rate(" + APPENDS + "[5s])", v -> v > 0);
                awaitQuery(prometheus, "rate(tidelog_wal_append_bytes_total{pchannel=\"pchannel-1\"}[5s])", v -> v > 0);
                awaitQuery(prometheus, APPENDS, v -> v > n);
            } finally {
                producing.set(false);
                traffic.join();
            }
            assertThat(prometheus.query("histogram_quantile(0.99, sum by (le) (rate("
                    + "tidelog_wal_append_duration_seconds_bucket{pchannel=\"pchannel-1\"}[1m])))")).isPositive();
            assertThat(prometheus.query("sum(jvm_memory_used_bytes{job=\"tidelog\",area=\"heap\"})")).isPositive();
        }
    }

    @Test
    void withTokensARealPrometheusScrapesWithTheMetricsKeyAloneAndNotWithout() throws Exception {
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, TokenFileTest.lines("dash read " + TokenFileTest.READ));
        String key = "metrics-key-0123456789";
        try (StandaloneServer server = TestStandalone.start(dir.resolve("data"), Map.of("server.port", "0",
                     "coord.pchannel.count", "2", "wal.local.segment.bytes", "4MiB", "wal.local.spare.segments", "1",
                     "message.max.bytes", "1MiB", "security.tokens.file", tokens.toString(),
                     HttpConfig.METRICS_KEY, key));
             PrometheusServer prometheus = PrometheusServer.start(dir.resolve("prometheus"), server.httpAddress(),
                     key)) {
            awaitQuery(prometheus, "up{job=\"tidelog\"}", v -> v == 1);
            awaitQuery(prometheus, "tidelog_wal_available{job=\"tidelog\",pchannel=\"pchannel-1\"}", v -> v == 1);
            awaitQuery(prometheus, "up{job=\"anonymous\"}", v -> v == 0);
        }
    }

    /** Waits until Prometheus answers {@code promql} with one series whose value passes {@code expected}. */
    private static void awaitQuery(PrometheusServer prometheus, String promql, DoublePredicate expected) {
        double[] seen = {Double.NaN};
        try {
            Await.until(promql + " as expected (last seen " + seen[0] + ")", SCRAPED, () -> {
                try {
                    if (!prometheus.isReady()) {
                        return false;
                    }
                    seen[0] = prometheus.query(promql);
                    return !Double.isNaN(seen[0]) && expected.test(seen[0]);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; last seen " + seen[0] + "; prometheus log:\n" + log(prometheus), e);
        }
    }

    private static String log(PrometheusServer prometheus) {
        try {
            return prometheus.log();
        } catch (IOException e) {
            return e.toString();
        }
    }
}
