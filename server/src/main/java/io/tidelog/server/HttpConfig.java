package io.tidelog.server;

import io.tidelog.common.Settings;
import java.util.Map;

/**
 * Configuration of a process's HTTP port (metrics and health); each key beside its default, validated once.
 *
 * @param host    {@code http.host} (127.0.0.1): the address to listen on; loopback unless told otherwise
 * @param port    {@code http.port} (9091): the HTTP port (0: any free port)
 * @param threads {@code http.threads} (2): threads answering requests; more requests wait in the accept queue
 */
public record HttpConfig(String host, int port, int threads) {
    public static final String PREFIX = "http.";
    public static final String PORT = PREFIX + "port";
    public static final int DEFAULT_PORT = 9091;

    public static HttpConfig from(Map<String, String> properties) {
        Settings s = new Settings(properties);
        HttpConfig c = new HttpConfig(
                s.string(PREFIX + "host", "127.0.0.1"),
                s.integer(PORT, DEFAULT_PORT, 0, 65535),
                s.integer(PREFIX + "threads", 2, 1, 64));
        s.rejectUnknown(PREFIX);
        return c;
    }
}
