package io.tidelog.wal;

import io.tidelog.common.MessageId;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * One record read back from a log: its id and its bytes, exactly as appended.
 *
 * @param id      the backend's position of the record
 * @param payload a read-only buffer owned by the receiver (the backend never reuses it)
 */
public record LogRecord(MessageId id, ByteBuffer payload) {
    public LogRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(payload, "payload");
    }

    /** A copy of the payload bytes. */
    public byte[] bytes() {
        ByteBuffer b = payload.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
