package io.tidelog.server;

import io.tidelog.common.Settings;
import java.time.Duration;
import java.util.Map;

/**
 * Configuration of the server process; each key beside its default, validated once.
 *
 * @param host             {@code server.host} (127.0.0.1 for a standalone, 0.0.0.0 for the members of a cluster): the
 *                         address to listen on
 * @param port             {@code server.port} (19530): the gRPC port (0: any free port)
 * @param advertisedHost   {@code server.advertised.host} (localhost): the host clients are told to dial
 * @param nodeId           {@code server.node.id} (node-1): this node's id in assignments
 * @param maxConsumers     {@code server.max.consumers} (1024): concurrent consume streams; beyond,
 *                         {@code RESOURCE_EXHAUSTED}
 * @param shutdownTimeout  {@code server.shutdown.timeout} (10s): how long a graceful stop waits for calls
 */
public record ServerConfig(String host, int port, String advertisedHost, String nodeId, int maxConsumers,
                           Duration shutdownTimeout) {
    public static final String PREFIX = "server.";
    public static final String PORT = PREFIX + "port";
    public static final int DEFAULT_PORT = 19530;

    /** Where a standalone listens by default: this machine only. */
    public static final String LOOPBACK = "127.0.0.1";
    /** Where a member of a cluster listens by default: every interface, for the other members. */
    public static final String ANY = "0.0.0.0";

    /** A cluster member's configuration: listens on {@value #ANY} by default. */
    public static ServerConfig from(Map<String, String> properties) {
        return from(properties, ANY);
    }

    /** The configuration with {@code defaultHost} as {@code server.host}'s default. */
    public static ServerConfig from(Map<String, String> properties, String defaultHost) {
        Settings s = new Settings(properties);
        ServerConfig c = new ServerConfig(
                s.string(PREFIX + "host", defaultHost),
                s.integer(PORT, DEFAULT_PORT, 0, 65535),
                s.string(PREFIX + "advertised.host", "localhost"),
                s.string(PREFIX + "node.id", "node-1"),
                s.integer(PREFIX + "max.consumers", 1024, 1, 1 << 20),
                s.duration(PREFIX + "shutdown.timeout", Duration.ofSeconds(10), Duration.ZERO, Duration.ofMinutes(10)));
        s.rejectUnknown(PREFIX);
        return c;
    }
}
