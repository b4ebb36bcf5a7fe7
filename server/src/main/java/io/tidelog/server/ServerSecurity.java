package io.tidelog.server;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.tidelog.client.BearerToken;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.StreamingException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The security of one server process ({@link SecurityConfig}), applied to its gRPC server and to the calls it makes
 * itself:
 *
 * <ul>
 *   <li>the server: TLS with its certificate (asking for client certificates signed by {@code security.tls.ca} when
 *       {@code security.tls.client.auth} says so), and the {@link TokenInterceptor} when there is a token file;</li>
 *   <li>its own calls (a coordinator's to the nodes, a node's to the coordinator, the DDL broadcast's client, a
 *       standalone's client of itself): TLS trusting {@code security.tls.ca} (else its own certificate) and presenting
 *       its certificate, and its own token: {@code security.cluster.token} in a cluster, a random token made at each
 *       start in a standalone, which the server accepts as admin.</li>
 * </ul>
 *
 * <p>The HTTP port follows the same settings: {@link #httpAccess} checks the same tokens, {@link #httpTls} serves the
 * same certificate.
 *
 * Start order: the token file's reader; {@link #close()} stops it. Thread-safe after start.
 */
final class ServerSecurity implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServerSecurity.class);

    private final SecurityConfig config;
    /** The token this process presents on its own calls, or null. */
    private final String ownToken;
    private final ReloadingTokens tokens;

    private ServerSecurity(SecurityConfig config, String ownToken, ReloadingTokens tokens) {
        this.config = config;
        this.ownToken = ownToken;
        this.tokens = tokens;
    }

    /**
     * The security of a member of a cluster: with a token file it needs {@code security.cluster.token}, which it
     * presents on its calls to the other members and accepts from them as admin.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} for a token file without a cluster token, or a bad file
     */
    static ServerSecurity forMember(SecurityConfig config, String role) {
        if (config.authenticates() && config.clusterToken() == null) {
            throw StreamingException.invalidArgument("a " + role + " with " + SecurityConfig.TOKENS_FILE + " needs "
                    + SecurityConfig.CLUSTER_TOKEN + " (the same on every member), for the members' calls to each"
                    + " other");
        }
        List<TokenFile.Extra> extra = config.clusterToken() == null ? List.of()
                : List.of(new TokenFile.Extra("cluster-member", config.clusterToken()));
        return start(config, config.clusterToken(), extra);
    }

    /**
     * The security of a standalone: its own client (the catalog's DDL broadcast) presents a random token made now,
     * which the server accepts as admin and no other process knows.
     */
    static ServerSecurity forStandalone(SecurityConfig config) {
        if (!config.authenticates()) {
            return start(config, null, List.of());
        }
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String own = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        return start(config, own, List.of(new TokenFile.Extra("standalone-internal", own)));
    }

    private static ServerSecurity start(SecurityConfig config, String ownToken, List<TokenFile.Extra> extra) {
        ReloadingTokens tokens = config.authenticates()
                ? ReloadingTokens.start(config.tokensFile(), config.reloadInterval(), extra) : null;
        return new ServerSecurity(config, ownToken, tokens);
    }

    /**
     * Sets TLS and the token check on a server not yet built; logs a warning when it listens beyond loopback without
     * tokens ({@code role} names the process in it).
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} if the certificate or key cannot be used
     */
    NettyServerBuilder applyTo(NettyServerBuilder server, String host, String role) {
        if (config.tls()) {
            try {
                SslContextBuilder ssl = GrpcSslContexts.forServer(config.tlsCert().toFile(), config.tlsKey().toFile());
                if (config.clientAuth() != SecurityConfig.ClientAuth.NONE) {
                    boolean require = config.clientAuth() == SecurityConfig.ClientAuth.REQUIRE;
                    ssl.trustManager(config.tlsCa().toFile())
                            .clientAuth(require ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
                }
                server.sslContext(ssl.build());
            } catch (SSLException | IllegalArgumentException e) {
                throw StreamingException.invalidArgument("cannot use " + SecurityConfig.TLS_CERT + " "
                        + config.tlsCert() + " with " + SecurityConfig.TLS_KEY + " " + config.tlsKey() + ": "
                        + e.getMessage());
            }
        }
        if (tokens != null) {
            server.intercept(new TokenInterceptor(tokens));
        } else if (!isLoopback(host)) {
            LOG.warn("the {} listens on {}, beyond loopback, and checks no token: anyone who can reach the port may"
                    + " read, write and drop collections (set {}; see the README's Security section)", role, host,
                    SecurityConfig.TOKENS_FILE);
        }
        return server;
    }

    /** Whether {@code host} names only this machine (a loopback address, or a name that resolves to one). */
    static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** A channel for this process's own calls to {@code target} (another member), with its TLS and token. */
    ManagedChannel channel(String target) {
        NettyChannelBuilder b = NettyChannelBuilder.forTarget(target);
        if (config.tls()) {
            try {
                b.sslContext(GrpcSslContexts.forClient().trustManager(trusted().toFile())
                        .keyManager(config.tlsCert().toFile(), config.tlsKey().toFile()).build());
            } catch (SSLException e) {
                throw StreamingException.invalidArgument("cannot use the TLS files for calls to " + target + ": "
                        + e.getMessage());
            }
        } else {
            b.usePlaintext();
        }
        if (ownToken != null) {
            b.intercept(new BearerToken(ownToken));
        }
        return b.build();
    }

    /** A client builder for this process's own calls, with its TLS and token. */
    StreamingClient.Builder client(StreamingClient.Builder b) {
        if (config.tls()) {
            b.tlsCa(trusted()).tlsClientCert(config.tlsCert(), config.tlsKey());
        }
        return b.token(ownToken);
    }

    /**
     * Who may read the HTTP port: the tokens of the gRPC port (this one reader of the token file), and
     * {@code metricsKey} for {@code /metrics}; everything open without a token file, with a warning when the port
     * listens beyond loopback ({@code host}).
     */
    HttpAccess httpAccess(String metricsKey, String host) {
        if (tokens == null) {
            if (!isLoopback(host)) {
                LOG.warn("the HTTP port listens on {}, beyond loopback, and checks no token: anyone who can reach it"
                        + " may read the status page and the metrics (set {}; see the README's Security section)", host,
                        SecurityConfig.TOKENS_FILE);
            }
            return HttpAccess.open();
        }
        return new HttpAccess(tokens, metricsKey, config.tls());
    }

    /**
     * The HTTP port's TLS: the gRPC port's certificate, when there is one.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} if the certificate or key cannot be used
     */
    Optional<HttpTls> httpTls() {
        return config.tls() ? Optional.of(HttpTls.of(config)) : Optional.empty();
    }

    private Path trusted() {
        return config.tlsCa() != null ? config.tlsCa() : config.tlsCert();
    }

    @Override
    public void close() {
        if (tokens != null) {
            tokens.close();
        }
    }
}
