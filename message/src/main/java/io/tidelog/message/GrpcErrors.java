package io.tidelog.message;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.StreamingError;

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
 * anything else                       INNER
 * </pre>
 */
public final class GrpcErrors {
    public static final Metadata.Key<String> CODE_KEY = Metadata.Key.of(ErrorCode.GRPC_TRAILER,
            Metadata.ASCII_STRING_MARSHALLER);

    private GrpcErrors() {
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
            case INNER, UNRECOVERABLE, UNKNOWN -> Status.INTERNAL;
        };
    }
}
