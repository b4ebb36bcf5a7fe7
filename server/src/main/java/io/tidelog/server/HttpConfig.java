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
 * @param port       {@code http.port} (9091): the HTTP port (0: any free port)
 * @param threads    {@code http.threads} (2): threads answering requests; more requests wait in the accept queue
 * @param metricsKey {@code http.metrics.key} (none): with {@code security.tokens.file}, a key (at least 16 printable
 *                   ASCII characters) that opens {@code /metrics} alone, given as {@code Authorization: Bearer KEY}:
 *                   for a Prometheus server, which then needs no token of the file
 */
public record HttpConfig(String host, int port, int threads, String metricsKey) {
    public static final String PREFIX = "http.";
    public static final String PORT = PREFIX + "port";
    public static final String METRICS_KEY = PREFIX + "metrics.key";
    public static final int DEFAULT_PORT = 9091;

    public static HttpConfig from(Map<String, String> properties) {
        Settings s = new Settings(properties);
        HttpConfig c = new HttpConfig(
                s.string(PREFIX + "host", "127.0.0.1"),
                s.integer(PORT, DEFAULT_PORT, 0, 65535),
                s.integer(PREFIX + "threads", 2, 1, 64),
                metricsKey(s.string(METRICS_KEY, null)));
        s.rejectUnknown(PREFIX);
        return c;
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
