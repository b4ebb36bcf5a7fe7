package io.tidelog.client;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.tidelog.common.StreamingException;

/**
 * Sends a token with every call of a channel, as {@code authorization: Bearer <token>} (the standard HTTP header,
 * which proxies recognise); servers with a token file check it. Immutable, thread-safe.
 */
public final class BearerToken implements ClientInterceptor {
    /** The metadata key of the token. */
    public static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization",
            Metadata.ASCII_STRING_MARSHALLER);
    /** What precedes the token in {@link #AUTHORIZATION}. */
    public static final String PREFIX = "Bearer ";

    private final String header;

    /** @throws StreamingException {@code INVALID_ARGUMENT} for a token that is not one word of printable ASCII */
    public BearerToken(String token) {
        if (token == null || token.isEmpty() || !token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw StreamingException.invalidArgument("a token must be one word of printable ASCII characters");
        }
        this.header = PREFIX + token;
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override
            public void start(Listener<R> listener, Metadata headers) {
                headers.put(AUTHORIZATION, header);
                super.start(listener, headers);
            }
        };
    }

    @Override
    public String toString() {
        return "BearerToken[hidden]";
    }
}
