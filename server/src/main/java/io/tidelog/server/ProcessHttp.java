package io.tidelog.server;

/**
 * The endpoints every server process (standalone, coordinator, node) serves on its HTTP port, the same way:
 * {@code /healthz} (alive: a thread of the process answers), {@code /readyz} ({@link Readiness}, per role) and
 * {@code /metrics} (the process's meters in the Prometheus text format, after a refresh of its gauges' snapshots).
 */
final class ProcessHttp {
    private ProcessHttp() {
    }

    /**
     * Starts the HTTP port with the three endpoints.
     *
     * @param beforeScrape takes the snapshots the gauges read (on the scraping thread, one scrape at a time or
     *                     serialised by the callee); must not block for long
     */
    static HttpEndpoints start(HttpConfig config, Readiness readiness, ProcessMetrics metrics, Runnable beforeScrape) {
        HttpEndpoints http = HttpEndpoints.start(config);
        http.route("/healthz", Readiness::alive);
        http.route("/readyz", readiness::check);
        http.route("/metrics", () -> {
            beforeScrape.run();
            return metrics.scrape();
        });
        return http;
    }
}
