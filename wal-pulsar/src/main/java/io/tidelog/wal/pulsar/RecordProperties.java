package io.tidelog.wal.pulsar;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import java.util.zip.CRC32C;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.TypedMessageBuilder;

/**
 * What the backend writes beside each record's bytes, as message properties: the writer's term, its own sequence
 * number (to find, after a fence, which of its sends landed), the CRC32C of the bytes (checked by every scanner), and
 * on the one record each read-write open writes first, a mark that it is a TERM record (never delivered).
 */
final class RecordProperties {
    static final String TERM = "tidelog.term";
    static final String SEQUENCE = "tidelog.seq";
    static final String CRC = "tidelog.crc";
    static final String KIND = "tidelog.kind";
    static final String KIND_TERM = "term";

    private RecordProperties() {
    }

    static TypedMessageBuilder<byte[]> data(TypedMessageBuilder<byte[]> m, long term, long sequence, byte[] value) {
        return m.value(value).property(TERM, Long.toString(term)).property(SEQUENCE, Long.toString(sequence))
                .property(CRC, Long.toString(crc(value)));
    }

    static TypedMessageBuilder<byte[]> term(TypedMessageBuilder<byte[]> m, long term) {
        return data(m, term, 0, new byte[0]).property(KIND, KIND_TERM);
    }

    static boolean isTermRecord(Message<byte[]> m) {
        return KIND_TERM.equals(m.getProperty(KIND));
    }

    /** The record's term, or -1 if it carries none (it was not written by this backend). */
    static long termOf(Message<byte[]> m) {
        return number(m, TERM);
    }

    static long sequenceOf(Message<byte[]> m) {
        return number(m, SEQUENCE);
    }

    private static long number(Message<byte[]> m, String property) {
        String v = m.getProperty(property);
        try {
            return v == null ? -1 : Long.parseLong(v);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The record's bytes, checked against its CRC; {@code DATA_CORRUPTED} naming the position if they differ. */
    static byte[] checkedValue(String pchannel, Message<byte[]> m) {
        byte[] value = m.getValue() == null ? new byte[0] : m.getValue();
        long expected = number(m, CRC);
        if (termOf(m) < 0 || expected != crc(value)) {
            MessageId id = PulsarIds.of(m.getMessageId());
            throw new StreamingException(ErrorCode.DATA_CORRUPTED, "pchannel " + pchannel + ": the record at " + id
                    + (termOf(m) < 0 ? " was not written by the pulsar WAL (no term)" : " fails its CRC32C"));
        }
        return value;
    }

    static long crc(byte[] value) {
        CRC32C c = new CRC32C();
        c.update(value);
        return c.getValue();
    }
}
