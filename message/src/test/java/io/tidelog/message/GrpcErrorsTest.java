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
    void authFailuresTravelAsTheGrpcStatusesOfTheSameNameBothWays() {
        assertThat(GrpcErrors.toStatus(new StreamingException(ErrorCode.UNAUTHENTICATED, "no token")).getStatus().getCode())
                .isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(GrpcErrors.toStatus(new StreamingException(ErrorCode.PERMISSION_DENIED, "read")).getStatus().getCode())
                .isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(GrpcErrors.codeOf(Status.Code.UNAUTHENTICATED)).isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(GrpcErrors.codeOf(Status.Code.PERMISSION_DENIED)).isEqualTo(ErrorCode.PERMISSION_DENIED);
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

    @Test
    void aNotLeaderStatusNamesTheLeaderInATrailerAndInItsMessage() {
        StatusRuntimeException status = GrpcErrors.notLeader("coord-2:19530", "coordinator coord-1 is a standby");

        assertThat(status.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(status.getTrailers().get(GrpcErrors.LEADER_KEY)).isEqualTo("coord-2:19530");
        StreamingException e = GrpcErrors.fromThrowable(status, "coordinator at coord-1:19530");
        assertThat(e.code()).isEqualTo(ErrorCode.NOT_LEADER);
        assertThat(e.isRetriable()).isTrue();
        assertThat(e.isNothingWritten()).isTrue();
        assertThat(e.detail()).isEqualTo("coordinator coord-1 is a standby; the leader is coord-2:19530");
        assertThat(GrpcErrors.leaderHint(status)).contains("coord-2:19530");
        assertThat(GrpcErrors.leaderHint(e)).as("read through the exception that keeps the status as its cause")
                .contains("coord-2:19530");
        assertThat(GrpcErrors.leaderHint(new StreamingException(e.code(), e.detail(), e))).contains("coord-2:19530");
    }

    @Test
    void aNotLeaderStatusWhoseMessageNamesTheLeaderKeepsItsMessage() {
        StatusRuntimeException status = GrpcErrors.notLeader("[::1]:19531", "not the leader; ask [::1]:19531");
        assertThat(status.getStatus().getDescription()).isEqualTo("not the leader; ask [::1]:19531");
        assertThat(GrpcErrors.leaderHint(status)).contains("[::1]:19531");
    }

    @Test
    void aNotLeaderStatusWithoutLeaderHasNoHint() {
        StatusRuntimeException status = GrpcErrors.notLeader(null, "no leader elected yet");
        assertThat(status.getTrailers().containsKey(GrpcErrors.LEADER_KEY)).isFalse();
        assertThat(GrpcErrors.fromThrowable(status, "c").code()).isEqualTo(ErrorCode.NOT_LEADER);
        assertThat(GrpcErrors.leaderHint(status)).isEmpty();
        assertThat(GrpcErrors.fromThrowable(status, "c").detail()).isEqualTo("no leader elected yet");
    }

    @Test
    void aLeaderHintIsReadOnlyFromAWellFormedNotLeaderStatus() {
        Metadata otherCode = new Metadata();
        otherCode.put(GrpcErrors.CODE_KEY, Integer.toString(ErrorCode.ON_SHUTDOWN.code()));
        otherCode.put(GrpcErrors.LEADER_KEY, "coord-2:19530");
        assertThat(GrpcErrors.leaderHint(Status.UNAVAILABLE.asRuntimeException(otherCode))).isEmpty();

        Metadata malformed = new Metadata();
        malformed.put(GrpcErrors.CODE_KEY, Integer.toString(ErrorCode.NOT_LEADER.code()));
        malformed.put(GrpcErrors.LEADER_KEY, "no port here");
        assertThat(GrpcErrors.leaderHint(Status.UNAVAILABLE.asRuntimeException(malformed))).isEmpty();

        assertThat(GrpcErrors.leaderHint(Status.UNAVAILABLE.asRuntimeException())).isEmpty();
        assertThat(GrpcErrors.leaderHint(new StreamingException(ErrorCode.NOT_LEADER, "from a per-message error")))
                .isEmpty();
        assertThat(GrpcErrors.leaderHint(null)).isEmpty();
    }

    @Test
    void aMalformedLeaderAddressIsRefusedWhenTheStatusIsMade() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> GrpcErrors.notLeader("::1:19530", "x"))
                .isInstanceOfSatisfying(StreamingException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }
}
