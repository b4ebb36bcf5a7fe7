package io.tidelog.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Metadata;
import io.grpc.Status;
import io.tidelog.client.testing.FakeErrors;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import org.junit.jupiter.api.Test;

class GrpcErrorsTest {

    @Test
    void theTrailerCodeAndDescriptionBecomeTheException() {
        StreamingException e = GrpcErrors.fromThrowable(
                FakeErrors.status(ErrorCode.UNMATCHED_CHANNEL_TERM, "served at term 3"), "node x");
        assertThat(e.code()).isEqualTo(ErrorCode.UNMATCHED_CHANNEL_TERM);
        assertThat(e.detail()).isEqualTo("served at term 3");
        assertThat(e.isWrongNode()).isTrue();
    }

    @Test
    void aTransportFailureWithoutTrailerIsARetriableOnShutdown() {
        StreamingException e = GrpcErrors.fromThrowable(
                Status.UNAVAILABLE.withDescription("connection reset").asRuntimeException(), "node x at h:1");
        assertThat(e.code()).isEqualTo(ErrorCode.ON_SHUTDOWN);
        assertThat(e.isRetriable()).isTrue();
        assertThat(e.detail()).contains("node x at h:1").contains("UNAVAILABLE").contains("connection reset");
    }

    @Test
    void grpcCodesWithoutTrailerMapByTheTable() {
        assertThat(GrpcErrors.codeOf(Status.Code.CANCELLED)).isEqualTo(ErrorCode.ON_SHUTDOWN);
        assertThat(GrpcErrors.codeOf(Status.Code.DEADLINE_EXCEEDED)).isEqualTo(ErrorCode.TIMEOUT);
        assertThat(GrpcErrors.codeOf(Status.Code.RESOURCE_EXHAUSTED)).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
        assertThat(GrpcErrors.codeOf(Status.Code.UNIMPLEMENTED)).isEqualTo(ErrorCode.UNRECOVERABLE);
        assertThat(GrpcErrors.codeOf(Status.Code.INTERNAL)).isEqualTo(ErrorCode.INNER);
        assertThat(GrpcErrors.codeOf(Status.Code.UNKNOWN)).isEqualTo(ErrorCode.INNER);
    }

    @Test
    void aMalformedTrailerIsAnInnerError() {
        Metadata trailers = new Metadata();
        trailers.put(FakeErrors.CODE_KEY, "seven");
        StreamingException e = GrpcErrors.fromThrowable(
                Status.FAILED_PRECONDITION.withDescription("x").asRuntimeException(trailers), "node x");
        assertThat(e.code()).isEqualTo(ErrorCode.INNER);
        assertThat(e.detail()).contains("seven");
    }

    @Test
    void anUnknownNumberIsUnknown() {
        Metadata trailers = new Metadata();
        trailers.put(FakeErrors.CODE_KEY, "4242");
        assertThat(GrpcErrors.fromThrowable(Status.INTERNAL.asRuntimeException(trailers), "n").code())
                .isEqualTo(ErrorCode.UNKNOWN);
    }
}
