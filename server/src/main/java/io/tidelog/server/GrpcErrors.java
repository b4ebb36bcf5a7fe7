package io.tidelog.server;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.StreamingError;

/**
 * How errors cross the wire: a call fails with a gRPC status whose trailers carry the stable
 * {@link ErrorCode} number under {@link #CODE_KEY}; inside a stream, a per-message error is a
 * {@link StreamingError}.
 */
final class GrpcErrors {
    static final Metadata.Key<String> CODE_KEY = Metadata.Key.of(ErrorCode.GRPC_TRAILER, Metadata.ASCII_STRING_MARSHALLER);

    private GrpcErrors() {
    }

    static StatusRuntimeException toStatus(Throwable t) {
        StreamingException e = StreamingException.from(t);
        Metadata trailers = new Metadata();
        trailers.put(CODE_KEY, Integer.toString(e.code().code()));
        return grpcStatus(e.code()).withDescription(e.detail()).asRuntimeException(trailers);
    }

    static StreamingError toProto(Throwable t) {
        StreamingException e = StreamingException.from(t);
        return StreamingError.newBuilder().setCode(e.code().code()).setMessage(e.detail()).build();
    }

    private static Status grpcStatus(ErrorCode code) {
        switch (code) {
            case INVALID_ARGUMENT:
            case INVALID_REQUEST_SEQ:
                return Status.INVALID_ARGUMENT;
            case CHANNEL_NOT_EXIST:
            case NOT_FOUND:
                return Status.NOT_FOUND;
            case ALREADY_EXISTS:
                return Status.ALREADY_EXISTS;
            case UNMATCHED_CHANNEL_TERM:
            case CHANNEL_FENCED:
            case INVALID_TRANSACTION_STATE:
            case READ_ONLY:
                return Status.FAILED_PRECONDITION;
            case ON_SHUTDOWN:
                return Status.UNAVAILABLE;
            case RESOURCE_EXHAUSTED:
                return Status.RESOURCE_EXHAUSTED;
            case TIMEOUT:
                return Status.DEADLINE_EXCEEDED;
            case DATA_CORRUPTED:
                return Status.DATA_LOSS;
            case OUT_OF_RANGE:
                return Status.OUT_OF_RANGE;
            case TRANSACTION_EXPIRED:
            case IGNORED_OPERATION:
                return Status.ABORTED;
            default:
                return Status.INTERNAL;
        }
    }
}
