package io.tidelog.wal.pulsar;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.TypedMessageBuilder;

/**
 * What the backend writes as each Pulsar message: the value is a {@value #SIZE}-byte header, then the record's bytes;
 * the writer's own sequence number (to find, after a fence or a resend, which of its sends landed and where first) is
 * the message's Pulsar sequence id, which a resent copy keeps.
 * <pre>
 *   [0, 4)   CRC32C of every byte after it (header and record), big-endian
 *   [4]      kind: 1 a data record, 2 the TERM record each read-write open writes first (never delivered)
 *   [5, 13)  the writer's term, big-endian
 *   [13, n)  the record
 * </pre>
 * The CRC covers the term and kind too, so a damaged header is never read as an older term's record and silently
 * dropped. Why a header rather than message properties (the first form): the client serialises properties as
 * strings, once to size the batch and once to write it, and three per record took 40 % of the appending threads' CPU
 * in a profile of {@code bench wal-pulsar}.
 */
final class RecordHeader {
    static final int SIZE = 13;
    static final byte DATA = 1;
    static final byte TERM = 2;

    private RecordHeader() {
    }

    /** A message read back: its kind, term and sequence number, and its record's bytes (a view of its value). */
    record Parsed(byte kind, long term, long sequence, ByteBuffer record) {
        boolean isTermRecord() {
            return kind == TERM;
        }
    }

    /**
     * The message of a data record: header, then a copy of {@code record}'s remaining bytes (the one copy between the
     * caller's buffer and the client's). The caller sets its sequence id as it sends it.
     */
    static TypedMessageBuilder<byte[]> data(TypedMessageBuilder<byte[]> m, long term, ByteBuffer record) {
        byte[] value = new byte[SIZE + record.remaining()];
        record.duplicate().get(value, SIZE, record.remaining());
        return m.value(seal(value, DATA, term));
    }

    /** The TERM record of a read-write open at {@code term}: sequence number 0, no record bytes. */
    static TypedMessageBuilder<byte[]> term(TypedMessageBuilder<byte[]> m, long term) {
        return m.value(seal(new byte[SIZE], TERM, term)).sequenceId(0);
    }

    private static byte[] seal(byte[] value, byte kind, long term) {
        ByteBuffer b = ByteBuffer.wrap(value);
        b.put(4, kind).putLong(5, term);
        CRC32C crc = new CRC32C();
        crc.update(value, 4, value.length - 4);
        b.putInt(0, (int) crc.getValue());
        return value;
    }

    /**
     * The message as written by this backend, or null if it was not (too short, an unknown kind) or its bytes fail
     * their CRC32C: neither its term nor its record can be trusted.
     */
    static Parsed parse(Message<byte[]> m) {
        return parse(m.getValue(), m.getSequenceId());
    }

    /** As {@link #parse(Message)}, of a message's value and sequence id. */
    static Parsed parse(byte[] value, long sequence) {
        if (value == null || value.length < SIZE) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(value);
        byte kind = b.get(4);
        if (!intact(value) || (kind != DATA && kind != TERM)) {
            return null;
        }
        return new Parsed(kind, b.getLong(5), sequence,
                ByteBuffer.wrap(value, SIZE, value.length - SIZE).slice().asReadOnlyBuffer());
    }

    private static boolean intact(byte[] value) {
        CRC32C crc = new CRC32C();
        crc.update(value, 4, value.length - 4);
        return ByteBuffer.wrap(value).getInt(0) == (int) crc.getValue();
    }

    /** The message's term, or -1 if it was not written by this backend or is damaged. */
    static long termOf(Message<byte[]> m) {
        Parsed p = parse(m);
        return p == null ? -1 : p.term();
    }

    /** The {@code DATA_CORRUPTED} failure of a message {@link #parse} refused, naming its position. */
    static StreamingException corrupted(String pchannel, Message<byte[]> m) {
        byte[] value = m.getValue();
        MessageId id = PulsarIds.of(m.getMessageId());
        boolean ours = value != null && value.length >= SIZE && !intact(value);
        return new StreamingException(ErrorCode.DATA_CORRUPTED, "pchannel " + pchannel + ": the record at " + id
                + (ours ? " fails its CRC32C" : " was not written by the pulsar WAL"));
    }
}
