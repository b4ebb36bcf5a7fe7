package io.tidelog.server;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.tidelog.client.BearerToken;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.GrpcErrors;
import io.tidelog.message.MessageKind;
import io.tidelog.proto.MessageType;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets a call through only with {@code authorization: Bearer <token>} of a known token ({@link ReloadingTokens})
 * whose role allows the method ({@link MethodRoles}); otherwise the call ends before any handler sees it, with
 * {@code UNAUTHENTICATED} (no token, a malformed header, an unknown token) or {@code PERMISSION_DENIED} (a role
 * below the method's), so nothing of it takes effect. A call let through carries its caller's role in its
 * {@link Context} ({@link #role()}), for checks finer than the method (a DDL message in a produce stream). Refusals
 * are logged with the caller's name when the token is known, at most one line a second; a token is never logged.
 * Thread-safe.
 */
final class TokenInterceptor implements ServerInterceptor {
    private static final Logger LOG = LoggerFactory.getLogger(TokenInterceptor.class);
    private static final String BEARER = BearerToken.PREFIX;
    private static final Context.Key<Role> ROLE = Context.key("tidelog-caller-role");

    private final ReloadingTokens tokens;
    private final LogRateLimit refusals = new LogRateLimit(Duration.ofSeconds(1));

    TokenInterceptor(ReloadingTokens tokens) {
        this.tokens = tokens;
    }

    /** The role of the current call's caller; admin where no token is checked (authentication is off). */
    static Role role() {
        Role r = ROLE.get();
        return r == null ? Role.ADMIN : r;
    }

    /**
     * Refuses a message type a caller of role {@code r} may not send through a produce stream: DDL (the types that
     * take the vchannel's write lock) needs admin, as the CollectionService's DDL does.
     *
     * @throws StreamingException {@code PERMISSION_DENIED}
     */
    static void checkMayProduce(Role r, MessageType type) {
        if (MessageKind.isExclusive(type) && !r.allows(Role.ADMIN)) {
            throw new StreamingException(ErrorCode.PERMISSION_DENIED, "a " + r.label() + " token may not append "
                    + type + " messages: DDL needs an admin token");
        }
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        String header = headers.get(BearerToken.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return refuse(call, ErrorCode.UNAUTHENTICATED, "no token: " + method
                    + " needs one (--token, TIDELOG_TOKEN)", "a call without a token");
        }
        Optional<TokenFile.Caller> caller = tokens.caller(header.substring(BEARER.length()).trim());
        if (caller.isEmpty()) {
            return refuse(call, ErrorCode.UNAUTHENTICATED, "unknown token: the server's token file does not list it",
                    "a call with an unknown token");
        }
        Role needed = MethodRoles.needed(method);
        TokenFile.Caller c = caller.get();
        if (!c.role().allows(needed)) {
            return refuse(call, ErrorCode.PERMISSION_DENIED, method + " needs a " + needed.label() + " token; "
                    + c.name() + "'s role is " + c.role().label(), c.name() + " (" + c.role().label() + ")");
        }
        return Contexts.interceptCall(Context.current().withValue(ROLE, c.role()), call, headers, next);
    }

    private <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, ErrorCode code, String message, String who) {
        long leftOut = refusals.admit(System.nanoTime());
        if (leftOut >= 0) {
            LOG.warn("refused {} from {} to {}: {}{}", who, call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR),
                    call.getMethodDescriptor().getFullMethodName(), code,
                    leftOut > 0 ? " (and " + leftOut + " refusals not logged since the last line)" : "");
        }
        StatusRuntimeException s = GrpcErrors.toStatus(new StreamingException(code, message));
        call.close(s.getStatus(), s.getTrailers());
        return new ServerCall.Listener<>() {
        };
    }
}
