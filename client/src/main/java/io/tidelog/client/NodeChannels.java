package io.tidelog.client;

import io.grpc.ClientInterceptor;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.tidelog.common.HostPort;
import io.tidelog.common.StreamingException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One {@link ManagedChannel} per address (the coordinator's and every node's), shared by every stream to
 * that address and kept until the client closes. Thread-safe.
 */
final class NodeChannels implements AutoCloseable {
    private static final long CLOSE_WAIT_MILLIS = 1_000;

    private final Function<String, ManagedChannelBuilder<?>> builders;
    private final Executor executor;
    private final int maxInboundMessageBytes;
    private final ChannelSecurity security;
    private final Map<String, ManagedChannel> channels = new HashMap<>();
    private boolean closed;

    /**
     * @param builders how an address becomes a channel builder; {@code null} for plaintext HTTP/2 through
     *                 whatever transport is on the class path (grpc-netty-shaded) with keepalive, or TLS when
     *                 {@code security} names a CA
     * @param security the token every call carries (also over {@code builders}' channels) and the TLS files
     */
    NodeChannels(Function<String, ManagedChannelBuilder<?>> builders, Executor executor, int maxInboundMessageBytes,
                 ChannelSecurity security) {
        this.builders = builders;
        this.security = security;
        this.executor = executor;
        this.maxInboundMessageBytes = maxInboundMessageBytes;
    }

    /**
     * The channel to {@code address}, opened on first use.
     *
     * @throws StreamingException {@code ON_SHUTDOWN} after {@link #close()}; {@code INVALID_ARGUMENT} for an
     *         address gRPC cannot dial
     */
    synchronized ManagedChannel get(String address) {
        if (closed) {
            throw StreamingException.onShutdown("the client is closed");
        }
        return channels.computeIfAbsent(address, this::open);
    }

    private ManagedChannel open(String address) {
        HostPort.parse(address); // gRPC would fail on a malformed one later, on one of its own threads
        ManagedChannelBuilder<?> b;
        if (builders != null) {
            b = builders.apply(address);
        } else {
            b = Grpc.newChannelBuilder(address, security.credentials())
                    .keepAliveTime(30, TimeUnit.SECONDS)
                    .keepAliveTimeout(10, TimeUnit.SECONDS);
        }
        ClientInterceptor token = security.tokenInterceptor();
        if (token != null) {
            b.intercept(token);
        }
        // Retries are the client's business: a transparent retry must never stand between an append and
        // the knowledge whether it was sent.
        try {
            return b.executor(executor).maxInboundMessageSize(maxInboundMessageBytes).disableRetry().build();
        } catch (IllegalArgumentException e) {
            throw StreamingException.invalidArgument("cannot dial '" + address + "': " + e.getMessage());
        }
    }

    /** Shuts every channel down, waiting a moment for calls to finish, then forcefully. */
    @Override
    public void close() {
        List<ManagedChannel> all;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            all = new ArrayList<>(channels.values());
        }
        all.forEach(ManagedChannel::shutdown);
        for (ManagedChannel c : all) {
            try {
                if (!c.awaitTermination(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                    c.shutdownNow();
                }
            } catch (InterruptedException e) {
                c.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }
}
