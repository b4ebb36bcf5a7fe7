package io.tidelog.client;

import io.grpc.Metadata;
import io.grpc.Status;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.StreamingError;

/**
 * Maps gRPC failures back to {@link StreamingException}s.
 *
 * <p>A call-level error from a Tidelog server is a gRPC status whose trailers carry {@value #TRAILER_NAME}
 * (the ASCII decimal of {@link ErrorCode#code()}) and whose description is the message; it maps to that
 * code. A status without the trailer did not come from Tidelog's own checks (transport, proxy, gRPC
 * itself) and maps by its gRPC code:
 *
 * <pre>
 * UNAVAILABLE, CANCELLED              ON_SHUTDOWN         the node went away or the connection broke: retriable
 * DEADLINE_EXCEEDED                   TIMEOUT
 * RESOURCE_EXHAUSTED                  RESOURCE_EXHAUSTED  for example a message over gRPC's size limit
 * INVALID_ARGUMENT                    INVALID_ARGUMENT
 * OUT_OF_RANGE                        OUT_OF_RANGE
 * UNIMPLEMENTED                       UNRECOVERABLE       the address does not serve Tidelog's services
 * anything else                       INNER
 * </pre>
 */
final class GrpcErrors {
    static final String TRAILER_NAME = ErrorCode.GRPC_TRAILER;
    static final Metadata.Key<String> CODE_KEY = Metadata.Key.of(TRAILER_NAME, Metadata.ASCII_STRING_MARSHALLER);

    private GrpcErrors() {
    }

    /** The exception a failed call's {@code onError} argument stands for; {@code where} names the peer. */
    static StreamingException fromThrowable(Throwable t, String where) {
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

    static ErrorCode codeOf(Status.Code grpcCode) {
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

    /** A per-message error inside a stream's responses. */
    static StreamingException fromProto(StreamingError error) {
        return new StreamingException(ErrorCode.fromCode(error.getCode()), error.getMessage());
    }

    static StreamingError toProto(StreamingException e) {
        return StreamingError.newBuilder().setCode(e.code().code()).setMessage(e.detail()).build();
    }
}
