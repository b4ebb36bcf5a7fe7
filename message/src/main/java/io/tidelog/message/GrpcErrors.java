package io.tidelog.message;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.HostPort;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.StreamingError;
import java.util.Optional;

/**
 * How a {@link StreamingException} crosses the wire, both ways; the server and the client share this one
 * mapping.
 *
 * <p>A failed call is a gRPC status whose trailers carry the stable code under {@value ErrorCode#GRPC_TRAILER}
 * (the ASCII decimal of {@link ErrorCode#code()}) and whose description is the message without its code prefix;
 * the status code itself is the nearest gRPC one, for proxies and other gRPC clients. A per-message error inside
 * a stream's responses is a {@link StreamingError} (code and message). The receiver maps the trailer back to
 * its code. A status without the trailer did not come from Tidelog's own checks (transport, proxy, gRPC itself)
 * and maps by its gRPC code:
 *
 * <pre>
 * UNAVAILABLE, CANCELLED              ON_SHUTDOWN         the node went away or the connection broke: retriable,
 *                                                         outcome unknown
 * DEADLINE_EXCEEDED                   TIMEOUT
 * RESOURCE_EXHAUSTED                  RESOURCE_EXHAUSTED  for example a message over gRPC's size limit
 * INVALID_ARGUMENT                    INVALID_ARGUMENT
 * OUT_OF_RANGE                        OUT_OF_RANGE
 * UNIMPLEMENTED                       UNRECOVERABLE       the address does not serve Tidelog's services
 * UNAUTHENTICATED                     UNAUTHENTICATED     for example a proxy that checks credentials
 * PERMISSION_DENIED                   PERMISSION_DENIED
 * anything else                       INNER
 * </pre>
 *
 * <p>A coordinator that is not the leader fails a call with {@code NOT_LEADER} ({@link #notLeader}); when it knows
 * the leader, the trailer {@value #LEADER_TRAILER} carries the leader's {@code host:port}, and the caller reads it
 * with {@link #leaderHint}.
 */
public final class GrpcErrors {
    public static final Metadata.Key<String> CODE_KEY = Metadata.Key.of(ErrorCode.GRPC_TRAILER,
            Metadata.ASCII_STRING_MARSHALLER);

    /** The trailer of a {@code NOT_LEADER} status that names the leader: its {@code host:port}, ASCII. */
    public static final String LEADER_TRAILER = "tidelog-leader";
    public static final Metadata.Key<String> LEADER_KEY = Metadata.Key.of(LEADER_TRAILER,
            Metadata.ASCII_STRING_MARSHALLER);

    private GrpcErrors() {
    }

    /**
     * The status a coordinator that is not the leader fails a call with: {@code NOT_LEADER} (gRPC
     * {@code UNAVAILABLE}) and, when {@code leaderAddressOrNull} is given, the leader's address in the trailer
     * {@value #LEADER_TRAILER}; the description is {@code message}, followed by the leader's address unless the
     * message already names it (people read the description, clients the trailer).
     *
     * @param leaderAddressOrNull {@code host:port} of the leader ({@link HostPort}), or {@code null} when unknown
     *                            (no leader elected yet, or the standby has not learnt it)
     * @throws StreamingException {@code INVALID_ARGUMENT} for a malformed leader address
     */
    public static StatusRuntimeException notLeader(String leaderAddressOrNull, String message) {
        String leader = leaderAddressOrNull == null ? null : HostPort.parse(leaderAddressOrNull).toString();
        String detail = leader == null || message.contains(leader) ? message : message + "; the leader is " + leader;
        Metadata trailers = new Metadata();
        trailers.put(CODE_KEY, Integer.toString(ErrorCode.NOT_LEADER.code()));
        if (leader != null) {
            trailers.put(LEADER_KEY, leader);
        }
        return grpcStatus(ErrorCode.NOT_LEADER).withDescription(detail).asRuntimeException(trailers);
    }

    /**
     * The leader a {@code NOT_LEADER} failure names: the {@value #LEADER_TRAILER} trailer of the status in
     * {@code t} or its causes ({@link #fromThrowable} keeps the status as the cause of the exception it makes).
     * Empty when the failure is no {@code NOT_LEADER}, carries no hint, or a malformed one.
     *
     * <p>Why a trailer and not the message: the address is data for the client, the message text for people;
     * parsing text would tie clients to the wording of every server version, while a trailer is typed, is
     * ignored by clients that do not know it, and leaves {@link StreamingException} as it is (a code and a
     * message, the same on both sides of the wire).
     */
    public static Optional<String> leaderHint(Throwable t) {
        Metadata trailers = t == null ? null : Status.trailersFromThrowable(t);
        if (trailers == null || !Integer.toString(ErrorCode.NOT_LEADER.code()).equals(trailers.get(CODE_KEY))) {
            return Optional.empty();
        }
        String leader = trailers.get(LEADER_KEY);
        try {
            return leader == null ? Optional.empty() : Optional.of(HostPort.parse(leader.trim()).toString());
        } catch (StreamingException e) {
            return Optional.empty();
        }
    }

    /** The status a call fails with for {@code t} (a {@link StreamingException}, or anything, as INNER). */
    public static StatusRuntimeException toStatus(Throwable t) {
        StreamingException e = StreamingException.from(t);
        Metadata trailers = new Metadata();
        trailers.put(CODE_KEY, Integer.toString(e.code().code()));
        return grpcStatus(e.code()).withDescription(e.detail()).asRuntimeException(trailers);
    }

    /** The exception a failed call's {@code onError} argument stands for; {@code where} names the peer. */
    public static StreamingException fromThrowable(Throwable t, String where) {
        if (t instanceof StreamingException) {
            return (StreamingException) t;
        }
        Status status = Status.fromThrowable(t);
        Metadata trailers = Status.trailersFromThrowable(t);
        String tidelogCode = trailers == null ? null : trailers.get(CODE_KEY);
        String description = status.getDescription() != null ? status.getDescription() : status.getCode().toString();
        if (tidelogCode != null) {
            try {
                return new StreamingException(ErrorCode.fromCode(Integer.parseInt(tidelogCode.trim())), description, t);
            } catch (NumberFormatException e) {
                return new StreamingException(ErrorCode.INNER, where + " sent a malformed error code '" + tidelogCode
                        + "': " + description, t);
            }
        }
        return new StreamingException(codeOf(status.getCode()), where + ": " + status.getCode() + ": " + description, t);
    }

    /** A per-message error inside a stream's responses, for {@code t} as {@link #toStatus} takes it. */
    public static StreamingError toProto(Throwable t) {
        StreamingException e = StreamingException.from(t);
        return StreamingError.newBuilder().setCode(e.code().code()).setMessage(e.detail()).build();
    }

    /** The exception a per-message error stands for. */
    public static StreamingException fromProto(StreamingError error) {
        return new StreamingException(ErrorCode.fromCode(error.getCode()), error.getMessage());
    }

    /** The code of a status that carries no Tidelog trailer (see the table above). */
    public static ErrorCode codeOf(Status.Code grpcCode) {
        switch (grpcCode) {
            case UNAVAILABLE:
            case CANCELLED:
                return ErrorCode.ON_SHUTDOWN;
            case DEADLINE_EXCEEDED:
                return ErrorCode.TIMEOUT;
            case RESOURCE_EXHAUSTED:
                return ErrorCode.RESOURCE_EXHAUSTED;
            case INVALID_ARGUMENT:
                return ErrorCode.INVALID_ARGUMENT;
            case OUT_OF_RANGE:
                return ErrorCode.OUT_OF_RANGE;
            case UNIMPLEMENTED:
                return ErrorCode.UNRECOVERABLE;
            case UNAUTHENTICATED:
                return ErrorCode.UNAUTHENTICATED;
            case PERMISSION_DENIED:
                return ErrorCode.PERMISSION_DENIED;
            default:
                return ErrorCode.INNER;
        }
    }

    private static Status grpcStatus(ErrorCode code) {
        return switch (code) {
            case INVALID_ARGUMENT, INVALID_REQUEST_SEQ -> Status.INVALID_ARGUMENT;
            case CHANNEL_NOT_EXIST, NOT_FOUND -> Status.NOT_FOUND;
            case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
            case UNMATCHED_CHANNEL_TERM, CHANNEL_FENCED, INVALID_TRANSACTION_STATE, READ_ONLY, SUBSCRIPTION_TAKEN_OVER ->
                    Status.FAILED_PRECONDITION;
            case ON_SHUTDOWN, NOT_LEADER -> Status.UNAVAILABLE;
            case RESOURCE_EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
            case TIMEOUT -> Status.DEADLINE_EXCEEDED;
            case DATA_CORRUPTED -> Status.DATA_LOSS;
            case OUT_OF_RANGE -> Status.OUT_OF_RANGE;
            case TRANSACTION_EXPIRED, IGNORED_OPERATION -> Status.ABORTED;
            case UNAUTHENTICATED -> Status.UNAUTHENTICATED;
            case PERMISSION_DENIED -> Status.PERMISSION_DENIED;
            case INNER, UNRECOVERABLE, UNKNOWN -> Status.INTERNAL;
        };
    }
}
