package io.tidelog.server;

import io.tidelog.common.Settings;
import io.tidelog.common.StreamingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * Security of a server process's gRPC port; each key beside its default, validated once (files must be readable).
 *
 * @param tokensFile     {@code security.tokens.file} (none): the token file ({@link TokenFile}); when set, every call
 *                       needs a token whose role allows it
 * @param reloadInterval {@code security.tokens.reload.interval} (1s): how often the token file is checked for changes
 * @param clusterToken   {@code security.cluster.token} (none): a token every member of a cluster presents on its calls
 *                       to the others and accepts as admin (at least 16 printable ASCII characters); needed with
 *                       {@code security.tokens.file} in a cluster, where it must be the same on every member
 * @param tlsCert        {@code security.tls.cert} (none): PEM certificate chain of the server; with
 *                       {@code security.tls.key} turns TLS on for the port. Members present it as their client
 *                       certificate on their calls to each other
 * @param tlsKey         {@code security.tls.key} (none): PEM private key (PKCS#8) of {@code security.tls.cert}
 * @param tlsCa          {@code security.tls.ca} (none): PEM certificates a member trusts on its calls to the others
 *                       (and, with client auth, the CA client certificates must be signed by); without it a member
 *                       with TLS trusts its own {@code security.tls.cert}
 * @param clientAuth     {@code security.tls.client.auth} (none): {@code none}, {@code optional} or {@code require}
 *                       (mutual TLS: a client without a certificate signed by {@code security.tls.ca} cannot connect)
 */
record SecurityConfig(Path tokensFile, Duration reloadInterval, String clusterToken, Path tlsCert, Path tlsKey,
                      Path tlsCa, ClientAuth clientAuth) {
    static final String PREFIX = "security.";
    static final String TOKENS_FILE = PREFIX + "tokens.file";
    static final String CLUSTER_TOKEN = PREFIX + "cluster.token";
    static final String TLS_CERT = PREFIX + "tls.cert";
    static final String TLS_KEY = PREFIX + "tls.key";
    static final String TLS_CA = PREFIX + "tls.ca";
    static final String CLIENT_AUTH = PREFIX + "tls.client.auth";

    /** Whether a server asks clients for a certificate. */
    enum ClientAuth { NONE, OPTIONAL, REQUIRE }

    /** @throws StreamingException {@code INVALID_ARGUMENT} naming a bad key, value or unreadable file */
    static SecurityConfig from(Map<String, String> properties) {
        Settings s = new Settings(properties);
        SecurityConfig c = new SecurityConfig(
                file(s, TOKENS_FILE),
                s.duration(PREFIX + "tokens.reload.interval", Duration.ofSeconds(1), Duration.ofMillis(10),
                        Duration.ofHours(1)),
                token(s.string(CLUSTER_TOKEN, null)),
                file(s, TLS_CERT), file(s, TLS_KEY), file(s, TLS_CA),
                clientAuth(s.string(CLIENT_AUTH, "none")));
        s.rejectUnknown(PREFIX);
        if ((c.tlsCert == null) != (c.tlsKey == null)) {
            throw StreamingException.invalidArgument(TLS_CERT + " and " + TLS_KEY + " go together: give both for TLS");
        }
        if (c.clientAuth != ClientAuth.NONE && (c.tlsCert == null || c.tlsCa == null)) {
            throw StreamingException.invalidArgument(CLIENT_AUTH + "=" + c.clientAuth.name().toLowerCase(Locale.ROOT)
                    + " needs TLS (" + TLS_CERT + ", " + TLS_KEY + ") and the CA of the client certificates ("
                    + TLS_CA + ")");
        }
        return c;
    }

    /** Whether calls need tokens. */
    boolean authenticates() {
        return tokensFile != null;
    }

    /** Whether the port speaks TLS. */
    boolean tls() {
        return tlsCert != null;
    }

    private static Path file(Settings s, String key) {
        String v = s.string(key, null);
        if (v == null || v.isEmpty()) {
            return null;
        }
        Path p = Path.of(v);
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw StreamingException.invalidArgument("configuration key '" + key + "' = " + v
                    + ": no such readable file");
        }
        return p;
    }

    private static String token(String v) {
        if (v == null || v.isEmpty()) {
            return null;
        }
        if (!TokenFile.isWellFormed(v)) {
            throw StreamingException.invalidArgument("configuration key '" + CLUSTER_TOKEN + "' must be at least "
                    + TokenFile.MIN_TOKEN_LENGTH + " printable ASCII characters without spaces");
        }
        return v;
    }

    private static ClientAuth clientAuth(String v) {
        try {
            return ClientAuth.valueOf(v.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw StreamingException.invalidArgument("configuration key '" + CLIENT_AUTH + "' = " + v
                    + ": expected none, optional or require");
        }
    }
}
