package io.tidelog.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Pins every code's stable number and classification. A new code fails
 * {@link #everyCodeIsClassifiedInTheTable()} until it is added here, consciously.
 */
class ErrorCodeTest {
    /** How callers must treat a code: its number, whether a failed write wrote nothing, wrong node, retriable. */
    private record Row(int number, boolean nothingWritten, boolean wrongNode, boolean retriable) {
    }

    private static final boolean WRITTEN_MAYBE = false;
    private static final boolean NOTHING = true;

    private static final Map<ErrorCode, Row> TABLE = Map.ofEntries(
            Map.entry(ErrorCode.CHANNEL_NOT_EXIST, new Row(1, NOTHING, true, true)),
            Map.entry(ErrorCode.CHANNEL_FENCED, new Row(2, NOTHING, true, true)),
            Map.entry(ErrorCode.ON_SHUTDOWN, new Row(3, WRITTEN_MAYBE, false, true)),
            Map.entry(ErrorCode.INVALID_REQUEST_SEQ, new Row(4, NOTHING, false, false)),
            Map.entry(ErrorCode.UNMATCHED_CHANNEL_TERM, new Row(5, NOTHING, true, true)),
            Map.entry(ErrorCode.IGNORED_OPERATION, new Row(6, NOTHING, false, false)),
            Map.entry(ErrorCode.INNER, new Row(7, WRITTEN_MAYBE, false, true)),
            Map.entry(ErrorCode.INVALID_ARGUMENT, new Row(8, NOTHING, false, false)),
            Map.entry(ErrorCode.TRANSACTION_EXPIRED, new Row(9, NOTHING, false, false)),
            Map.entry(ErrorCode.INVALID_TRANSACTION_STATE, new Row(10, NOTHING, false, false)),
            Map.entry(ErrorCode.UNRECOVERABLE, new Row(11, NOTHING, false, false)),
            Map.entry(ErrorCode.RESOURCE_EXHAUSTED, new Row(12, NOTHING, false, true)),
            Map.entry(ErrorCode.DATA_CORRUPTED, new Row(13, WRITTEN_MAYBE, false, false)),
            Map.entry(ErrorCode.OUT_OF_RANGE, new Row(14, NOTHING, false, false)),
            Map.entry(ErrorCode.READ_ONLY, new Row(15, NOTHING, false, false)),
            Map.entry(ErrorCode.TIMEOUT, new Row(16, WRITTEN_MAYBE, false, true)),
            Map.entry(ErrorCode.ALREADY_EXISTS, new Row(17, NOTHING, false, false)),
            Map.entry(ErrorCode.NOT_FOUND, new Row(18, NOTHING, false, false)),
            Map.entry(ErrorCode.SUBSCRIPTION_TAKEN_OVER, new Row(19, NOTHING, false, false)),
            Map.entry(ErrorCode.NOT_LEADER, new Row(20, NOTHING, false, true)),
            Map.entry(ErrorCode.UNAUTHENTICATED, new Row(21, NOTHING, false, false)),
            Map.entry(ErrorCode.PERMISSION_DENIED, new Row(22, NOTHING, false, false)),
            Map.entry(ErrorCode.UNKNOWN, new Row(999, WRITTEN_MAYBE, false, false)));

    @Test
    void everyCodeIsClassifiedInTheTable() {
        assertThat(TABLE.keySet()).containsExactlyInAnyOrderElementsOf(EnumSet.allOf(ErrorCode.class));
    }

    @Test
    void everyCodeKeepsItsNumberBothWays() {
        TABLE.forEach((code, row) -> {
            assertThat(code.code()).as("%s", code).isEqualTo(row.number());
            assertThat(ErrorCode.fromCode(row.number())).isEqualTo(code);
        });
        assertThat(ErrorCode.fromCode(12345)).isEqualTo(ErrorCode.UNKNOWN);
    }

    @Test
    void eachCodeSaysWhetherAFailedWriteWroteNothingOrHasAnUnknownOutcome() {
        TABLE.forEach((code, row) -> {
            assertThat(code.isNothingWritten()).as("%s nothing written", code).isEqualTo(row.nothingWritten());
            assertThat(code.isOutcomeUnknown()).as("%s outcome unknown", code).isEqualTo(!row.nothingWritten());
            StreamingException e = new StreamingException(code, "x");
            assertThat(e.isNothingWritten()).isEqualTo(row.nothingWritten());
            assertThat(e.isOutcomeUnknown()).isEqualTo(!row.nothingWritten());
        });
    }

    @Test
    void eachCodeSaysWhetherTheNodeWasTheWrongOneAndWhetherToRetry() {
        TABLE.forEach((code, row) -> {
            assertThat(code.isWrongNode()).as("%s wrong node", code).isEqualTo(row.wrongNode());
            assertThat(code.isRetriable()).as("%s retriable", code).isEqualTo(row.retriable());
            assertThat(new StreamingException(code, "x").isWrongNode()).isEqualTo(row.wrongNode());
        });
    }

    @Test
    void aWrongNodeNeverWroteAnythingSoTheRequestMayGoToTheNextOwner() {
        for (ErrorCode c : ErrorCode.values()) {
            if (c.isWrongNode()) {
                assertThat(c.isNothingWritten()).as("%s", c).isTrue();
                assertThat(c.isRetriable()).as("%s", c).isTrue();
            }
        }
    }

    @Test
    void onlyAMissingOrUnknownTokenAndARoleThatDoesNotAllowTheCallAreAuthFailures() {
        for (ErrorCode c : ErrorCode.values()) {
            boolean auth = c == ErrorCode.UNAUTHENTICATED || c == ErrorCode.PERMISSION_DENIED;
            assertThat(c.isAuthFailure()).as("%s", c).isEqualTo(auth);
            assertThat(new StreamingException(c, "x").isAuthFailure()).as("%s", c).isEqualTo(auth);
        }
    }
}
