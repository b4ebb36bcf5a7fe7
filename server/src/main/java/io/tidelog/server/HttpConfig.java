package io.tidelog.server;

import io.tidelog.common.Settings;
import io.tidelog.common.StreamingException;
import java.util.Map;

/**
 * Configuration of a process's HTTP port (status page, metrics and health); each key beside its default, validated
 * once. Who may read it and whether it speaks TLS follow the {@code security.*} keys ({@link HttpAccess},
 * {@link HttpTls}).
 *
 * @param host       {@code http.host} (127.0.0.1): the address to listen on; loopback unless told otherwise
 * @param port       {@code http.port}: the HTTP port (0: any free port); by role, so that one of each runs on one
 *                   machine with none set: standalone 9091 ({@link #DEFAULT_PORT}), coordinator 9092
 *                   ({@link #COORD_PORT}), node 9093 ({@link #NODE_PORT}). Several coordinators or nodes on one
 *                   machine need a port each.
 * @param threads    {@code http.threads} (2): threads answering requests; more requests wait in the accept queue
 * @param metricsKey {@code http.metrics.key} (none): with {@code security.tokens.file}, a key (at least 16 printable
 *                   ASCII characters) that opens {@code /metrics} alone, given as {@code Authorization: Bearer KEY}:
 *                   for a Prometheus server, which then needs no token of the file
 */
public record HttpConfig(String host, int port, int threads, String metricsKey) {
    public static final String PREFIX = "http.";
    public static final String PORT = PREFIX + "port";
    public static final String METRICS_KEY = PREFIX + "metrics.key";
    /** A standalone's. */
    public static final int DEFAULT_PORT = 9091;
    public static final int COORD_PORT = 9092;
    public static final int NODE_PORT = 9093;

    /** A standalone's: port 9091 unless set. */
    public static HttpConfig from(Map<String, String> properties) {
        return from(properties, DEFAULT_PORT);
    }

    /** @param defaultPort the role's port when {@code http.port} is not set */
    public static HttpConfig from(Map<String, String> properties, int defaultPort) {
        Settings s = new Settings(properties);
        HttpConfig c = new HttpConfig(
                s.string(PREFIX + "host", "127.0.0.1"),
                s.integer(PORT, defaultPort, 0, 65535),
                s.integer(PREFIX + "threads", 2, 1, 64),
                metricsKey(s.string(METRICS_KEY, null)));
        s.rejectUnknown(PREFIX);
        return c;
    }

    /**
     * This configuration, checked against the process's security settings (every role calls it, once, before it
     * starts anything): a metrics key opens {@code /metrics} where tokens are checked, so without a token file it
     * would suggest a protection that is not there.
     */
    HttpConfig checkedWith(SecurityConfig security) {
        if (metricsKey != null && !security.authenticates()) {
            throw StreamingException.invalidArgument(METRICS_KEY + " opens /metrics where tokens are checked; without "
                    + SecurityConfig.TOKENS_FILE + " every HTTP route is open: set the token file, or leave the key"
                    + " out");
        }
        return this;
    }

    private static String metricsKey(String v) {
        if (v == null || v.isEmpty()) {
            return null;
        }
        if (!TokenFile.isWellFormed(v)) {
            throw StreamingException.invalidArgument("configuration key '" + METRICS_KEY + "' must be at least "
                    + TokenFile.MIN_TOKEN_LENGTH + " printable ASCII characters without spaces");
        }
        return v;
    }
}
