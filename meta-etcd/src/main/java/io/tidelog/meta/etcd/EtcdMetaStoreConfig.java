package io.tidelog.meta.etcd;

import io.tidelog.common.HostPort;
import io.tidelog.common.Settings;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.MetaKeys;
import io.tidelog.meta.MetaStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Configuration of the etcd meta store; each key beside its default, validated once.
 *
 * @param endpoints      {@code meta.etcd.endpoints} (required): the etcd members to talk to, comma-separated
 *                       {@code host:port} (an {@code http://} scheme is allowed and ignored; TLS is not
 *                       supported); calls go to any member that is up, which forwards to the leader
 * @param root           {@code meta.etcd.root} ({@code tidelog/}): every key of the store lives under this
 *                       prefix of etcd's key space, so several clusters can share one etcd, each with its own
 *                       root; a root must not be a prefix of another cluster's root
 * @param requestTimeout {@code meta.etcd.request.timeout} (5s): the deadline of every call, waiting for a
 *                       connection included; a call that runs out fails with {@code TIMEOUT}
 * @param maxValueBytes  {@code meta.etcd.max.value.bytes} (1MiB, the SPI's limit): the largest value a put
 *                       accepts; a larger one fails with {@code INVALID_ARGUMENT} before anything is sent. etcd
 *                       refuses a request above its {@code --max-request-bytes} (1.5 MiB by default): lower
 *                       this with that flag (the node writes recovery snapshots in chunks of 512 KiB, so it
 *                       needs at least that much)
 */
public record EtcdMetaStoreConfig(List<HostPort> endpoints, String root, Duration requestTimeout, int maxValueBytes) {
    public static final String PREFIX = "meta.etcd.";
    public static final String ENDPOINTS = PREFIX + "endpoints";
    public static final String ROOT = PREFIX + "root";
    public static final String REQUEST_TIMEOUT = PREFIX + "request.timeout";
    public static final String MAX_VALUE_BYTES = PREFIX + "max.value.bytes";

    /** The longest root, in bytes of UTF-8: keys under it stay within etcd's request limit. */
    static final int MAX_ROOT_BYTES = 256;

    public EtcdMetaStoreConfig {
        endpoints = List.copyOf(endpoints);
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
    }

    public static EtcdMetaStoreConfig from(Map<String, String> properties) {
        Settings s = new Settings(properties);
        EtcdMetaStoreConfig c = new EtcdMetaStoreConfig(
                endpoints(s.requiredString(ENDPOINTS)),
                root(s.string(ROOT, "tidelog/")),
                s.duration(REQUEST_TIMEOUT, Duration.ofSeconds(5), Duration.ofMillis(100), Duration.ofMinutes(5)),
                (int) s.bytes(MAX_VALUE_BYTES, MetaStore.MAX_REQUEST_BYTES, 1024, MetaStore.MAX_REQUEST_BYTES));
        s.rejectUnknown(PREFIX);
        return c;
    }

    /** The gRPC target naming every endpoint (jetcd's static name resolver, {@code ip:///h1:p1,h2:p2}). */
    String target() {
        StringBuilder b = new StringBuilder("ip:///");
        for (int i = 0; i < endpoints.size(); i++) {
            b.append(i == 0 ? "" : ",").append(endpoints.get(i));
        }
        return b.toString();
    }

    /** The endpoints as users wrote them, for messages. */
    String endpointList() {
        return String.join(",", endpoints.stream().map(HostPort::toString).toList());
    }

    private static List<HostPort> endpoints(String text) {
        List<HostPort> out = new ArrayList<>();
        for (String part : text.split(",")) {
            String e = part.trim();
            if (e.startsWith("https://")) {
                throw StreamingException.invalidArgument("configuration key '" + ENDPOINTS + "': " + e
                        + " asks for TLS, which the etcd meta store does not support yet; use http://");
            }
            e = e.startsWith("http://") ? e.substring("http://".length()) : e;
            e = e.endsWith("/") ? e.substring(0, e.length() - 1) : e;
            try {
                out.add(HostPort.parse(e));
            } catch (StreamingException bad) {
                throw StreamingException.invalidArgument("configuration key '" + ENDPOINTS + "' = '" + text + "': "
                        + bad.detail());
            }
        }
        return out;
    }

    private static String root(String root) {
        if (root.isEmpty()) {
            throw StreamingException.invalidArgument("configuration key '" + ROOT + "' must not be empty: the store"
                    + " keeps its keys under it (for example tidelog/ or tidelog/cluster-a/)");
        }
        try {
            MetaKeys.requireKey(root);
        } catch (StreamingException bad) {
            throw StreamingException.invalidArgument("configuration key '" + ROOT + "': " + bad.detail());
        }
        if (MetaKeys.utf8Length(root) > MAX_ROOT_BYTES) {
            throw StreamingException.invalidArgument("configuration key '" + ROOT + "' has "
                    + MetaKeys.utf8Length(root) + " bytes in UTF-8; at most " + MAX_ROOT_BYTES + " are accepted");
        }
        return root;
    }
}
