package io.tidelog.wal.kafka;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;

/** How the backend reads the Kafka clients' exceptions. */
final class KafkaErrors {
    private KafkaErrors() {
    }

    /**
     * Whether a newer producer of the same transactional id fenced this one at the broker: its open transaction was
     * aborted there and it can never write again.
     */
    static boolean isFenced(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ProducerFencedException || c instanceof InvalidProducerEpochException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a consumer failed on a stored batch that fails its CRC or cannot be parsed. The consumer reports a bad
     * CRC as a plain {@link KafkaException} ("Record batch for partition ... at offset ... is invalid"), a batch it
     * cannot parse as one "Received exception when fetching the next record".
     */
    static boolean isCorruption(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof CorruptRecordException) {
                return true;
            }
        }
        String m = t.getMessage();
        return t.getClass() == KafkaException.class && m != null
                && (m.contains(" is invalid") || m.startsWith("Received exception when fetching the next record"));
    }

    /**
     * A failure of {@code what} as the backend reports it: a fence is {@code CHANNEL_FENCED}, a damaged batch
     * {@code DATA_CORRUPTED}, a deadline {@code TIMEOUT}; anything else {@code INNER}.
     */
    static StreamingException toStreaming(String what, Throwable t) {
        if (t instanceof StreamingException) {
            return (StreamingException) t;
        }
        if (isFenced(t)) {
            return new StreamingException(ErrorCode.CHANNEL_FENCED, what + ": fenced by a newer term at the broker ("
                    + t + ")", t);
        }
        if (isCorruption(t)) {
            return new StreamingException(ErrorCode.DATA_CORRUPTED, what + ": a stored batch fails its checksum or"
                    + " framing (" + t.getMessage() + ")", t);
        }
        if (t instanceof TimeoutException) {
            return new StreamingException(ErrorCode.TIMEOUT, what + ": the broker did not answer in time (" + t + ")", t);
        }
        if (t instanceof InterruptException) {
            return new StreamingException(ErrorCode.ON_SHUTDOWN, what + ": interrupted", t);
        }
        return StreamingException.inner(what + ": " + t, t);
    }
}
