package io.tidelog.server;

/**
 * The endpoints every server process (standalone, coordinator, node) serves on its HTTP port, the same way:
 * {@code /healthz} (alive: a thread of the process answers), {@code /readyz} ({@link Readiness}, per role) and
 * {@code /metrics} (the process's meters in the Prometheus text format, after a refresh of its gauges' snapshots),
 * with the gRPC port's tokens and certificate ({@link ServerSecurity#httpAccess}, {@link ServerSecurity#httpTls}).
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
    static HttpEndpoints start(HttpConfig config, ServerSecurity security, Readiness readiness, ProcessMetrics metrics,
                               Runnable beforeScrape) {
        HttpEndpoints http = HttpEndpoints.start(config, security.httpAccess(config.metricsKey(), config.host()),
                security.httpTls());
        http.route("/healthz", HttpAccess.Access.OPEN, r -> Readiness.alive());
        http.route("/readyz", HttpAccess.Access.OPEN, r -> readiness.check());
        http.route("/metrics", HttpAccess.Access.METRICS, r -> {
            beforeScrape.run();
            return metrics.scrape();
        });
        return http;
    }
}
