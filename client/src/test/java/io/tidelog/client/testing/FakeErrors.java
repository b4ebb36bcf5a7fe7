package io.tidelog.client.testing;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tidelog.common.ErrorCode;
import io.tidelog.proto.StreamingError;

/** Errors as a Tidelog server sends them: a call-level status with the code trailer, or a per-message error. */
public final class FakeErrors {
    /** The trailer key of the wire contract (streaming.proto). */
    public static final Metadata.Key<String> CODE_KEY =
            Metadata.Key.of("tidelog-error-code", Metadata.ASCII_STRING_MARSHALLER);

    private FakeErrors() {
    }

    /** A call-level error carrying {@code code} in the trailers. */
    public static StatusRuntimeException status(ErrorCode code, String message) {
        Metadata trailers = new Metadata();
        trailers.put(CODE_KEY, Integer.toString(code.code()));
        return Status.FAILED_PRECONDITION.withDescription(message).asRuntimeException(trailers);
    }

    /** A per-message error inside a produce result. */
    public static StreamingError error(ErrorCode code, String message) {
        return StreamingError.newBuilder().setCode(code.code()).setMessage(message).build();
    }
}
