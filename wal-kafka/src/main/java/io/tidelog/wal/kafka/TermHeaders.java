package io.tidelog.wal.kafka;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * The Kafka record headers by which the log carries its terms. Every record the backend writes has
 * {@value #TERM} (the writer's term, 8 bytes big-endian). The record an open writes to claim its term has in
 * addition {@value #TYPE} = {@code TERM} and no payload of interest: scanners skip it. A record without a
 * well-formed term header was not written by this backend.
 */
final class TermHeaders {
    static final String TERM = "tidelog.term";
    static final String TYPE = "tidelog.type";
    private static final byte[] TYPE_TERM = "TERM".getBytes(StandardCharsets.US_ASCII);

    private TermHeaders() {
    }

    /** The headers of a data record appended at {@code term}. */
    static List<Header> data(long term) {
        return List.of(termHeader(term));
    }

    /** The headers of the record that claims {@code term}. */
    static List<Header> termRecord(long term) {
        return List.of(termHeader(term), new RecordHeader(TYPE, TYPE_TERM));
    }

    private static Header termHeader(long term) {
        return new RecordHeader(TERM, ByteBuffer.allocate(Long.BYTES).putLong(0, term).array());
    }

    /** The term the headers carry, or -1 if they carry none (or a malformed one). */
    static long termOf(Headers headers) {
        Header h = headers.lastHeader(TERM);
        if (h == null || h.value() == null || h.value().length != Long.BYTES) {
            return -1;
        }
        long term = ByteBuffer.wrap(h.value()).getLong();
        return term < 0 ? -1 : term;
    }

    /** Whether the headers mark the record that claims a term (not data). */
    static boolean isTermRecord(Headers headers) {
        Header h = headers.lastHeader(TYPE);
        return h != null && Arrays.equals(h.value(), TYPE_TERM);
    }
}
