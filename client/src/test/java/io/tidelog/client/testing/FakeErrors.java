package io.tidelog.client.testing;

import io.grpc.StatusRuntimeException;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.GrpcErrors;
import io.tidelog.proto.StreamingError;

/** Errors as a Tidelog server sends them: a call-level status with the code trailer, or a per-message error. */
public final class FakeErrors {
    private FakeErrors() {
    }

    /** A call-level error carrying {@code code} in the trailers. */
    public static StatusRuntimeException status(ErrorCode code, String message) {
        return GrpcErrors.toStatus(new StreamingException(code, message));
    }

    /** A per-message error inside a produce result. */
    public static StreamingError error(ErrorCode code, String message) {
        return GrpcErrors.toProto(new StreamingException(code, message));
    }
}
