package io.tidelog.message;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.StreamingError;
import org.junit.jupiter.api.Test;

class GrpcErrorsTest {

    @Test
    void theTrailerCodeAndDescriptionBecomeTheException() {
        StreamingException e = GrpcErrors.fromThrowable(
                GrpcErrors.toStatus(new StreamingException(ErrorCode.UNMATCHED_CHANNEL_TERM, "served at term 3")), "node x");
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
        trailers.put(GrpcErrors.CODE_KEY, "seven");
        StreamingException e = GrpcErrors.fromThrowable(
                Status.FAILED_PRECONDITION.withDescription("x").asRuntimeException(trailers), "node x");
        assertThat(e.code()).isEqualTo(ErrorCode.INNER);
        assertThat(e.detail()).contains("seven");
    }

    @Test
    void everyCodeCrossesTheWireAsACallStatusWithItsCodeAndMessage() {
        for (ErrorCode code : ErrorCode.values()) {
            StatusRuntimeException status = GrpcErrors.toStatus(new StreamingException(code, "why " + code));
            assertThat(status.getTrailers().get(GrpcErrors.CODE_KEY)).isEqualTo(Integer.toString(code.code()));
            StreamingException back = GrpcErrors.fromThrowable(status, "node x");
            assertThat(back.code()).as("%s", code).isEqualTo(code);
            assertThat(back.detail()).isEqualTo("why " + code);
        }
    }

    @Test
    void everyCodeCrossesTheWireAsAPerMessageError() {
        for (ErrorCode code : ErrorCode.values()) {
            StreamingError proto = GrpcErrors.toProto(new StreamingException(code, "why " + code));
            StreamingException back = GrpcErrors.fromProto(proto);
            assertThat(back.code()).as("%s", code).isEqualTo(code);
            assertThat(back.detail()).isEqualTo("why " + code);
        }
    }

    @Test
    void aStatusThatLostItsTrailerNeverClaimsNothingWasWrittenWhenTheOutcomeIsUnknown() {
        for (ErrorCode code : ErrorCode.values()) {
            Status.Code grpc = GrpcErrors.toStatus(new StreamingException(code, "x")).getStatus().getCode();
            ErrorCode mapped = GrpcErrors.codeOf(grpc);
            assertThat(mapped.isNothingWritten() && code.isOutcomeUnknown()).as("%s via %s", code, grpc).isFalse();
        }
        assertThat(GrpcErrors.codeOf(Status.Code.UNAVAILABLE).isOutcomeUnknown()).isTrue();
    }

    @Test
    void anythingElseCrossesAsInnerWithItsText() {
        StreamingException back = GrpcErrors.fromThrowable(GrpcErrors.toStatus(new IllegalStateException("boom")), "n");
        assertThat(back.code()).isEqualTo(ErrorCode.INNER);
        assertThat(back.detail()).contains("boom");
    }

    @Test
    void anUnknownNumberIsUnknown() {
        Metadata trailers = new Metadata();
        trailers.put(GrpcErrors.CODE_KEY, "4242");
        assertThat(GrpcErrors.fromThrowable(Status.INTERNAL.asRuntimeException(trailers), "n").code())
                .isEqualTo(ErrorCode.UNKNOWN);
    }
}
