package io.tidelog.server;

import io.tidelog.common.Settings;
import java.util.Map;

/**
 * Configuration of a process's HTTP port (metrics and health); each key beside its default, validated once.
 *
 * @param host    {@code http.host} (127.0.0.1): the address to listen on; loopback unless told otherwise
 * @param port    {@code http.port}: the HTTP port (0: any free port); by role, so that one of each runs on one machine
 *                with none set: standalone 9091 ({@link #DEFAULT_PORT}), coordinator 9092 ({@link #COORD_PORT}),
 *                node 9093 ({@link #NODE_PORT}). Several coordinators or nodes on one machine need a port each.
 * @param threads {@code http.threads} (2): threads answering requests; more requests wait in the accept queue
 */
public record HttpConfig(String host, int port, int threads) {
    public static final String PREFIX = "http.";
    public static final String PORT = PREFIX + "port";
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
                s.integer(PREFIX + "threads", 2, 1, 64));
        s.rejectUnknown(PREFIX);
        return c;
    }
}
