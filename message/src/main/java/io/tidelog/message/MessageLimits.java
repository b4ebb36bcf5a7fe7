package io.tidelog.message;

import io.tidelog.common.Settings;
import io.tidelog.common.StreamingException;
import java.util.Map;

/**
 * Limits on messages; each key beside its default, validated once.
 *
 * <p>The limit applies to a message as the client builds it (everything but the fields the node sets at
 * append time). The node's additions come to at most {@link #APPEND_FIELDS_MAX_BYTES}, so a WAL that stores
 * these messages must accept records of {@link #maxRecordBytes()}.
 *
 * @param maxMessageBytes {@code message.max.bytes} (default 8 MiB, range 1 KiB to 1 GiB): the largest
 *                        encoded message accepted; larger ones fail with {@code INVALID_ARGUMENT} and
 *                        are never written
 */
public record MessageLimits(int maxMessageBytes) {
    public static final String PREFIX = "message.";
    public static final String MAX_BYTES_KEY = PREFIX + "max.bytes";
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 8 << 20;
    public static final int MIN_MAX_MESSAGE_BYTES = 1 << 10;
    public static final int MAX_MAX_MESSAGE_BYTES = 1 << 30;
    /**
     * The most the node adds to a message at append time: its fields (time tick, ids, term, txn, barrier:
     * at most 81 bytes) and what it writes into the header (an Insert's partition and segment: at most 48
     * bytes), with room to spare.
     */
    public static final int APPEND_FIELDS_MAX_BYTES = 256;

    private static final MessageLimits DEFAULTS = new MessageLimits(DEFAULT_MAX_MESSAGE_BYTES);

    public MessageLimits {
        if (maxMessageBytes < MIN_MAX_MESSAGE_BYTES || maxMessageBytes > MAX_MAX_MESSAGE_BYTES) {
            throw StreamingException.invalidArgument("the maximum message size must lie in ["
                    + MIN_MAX_MESSAGE_BYTES + ", " + MAX_MAX_MESSAGE_BYTES + "] bytes, got " + maxMessageBytes);
        }
    }

    public static MessageLimits defaults() {
        return DEFAULTS;
    }

    /** Reads the {@code message.*} keys; unknown keys under that prefix are rejected. */
    public static MessageLimits from(Map<String, String> properties) {
        Settings s = new Settings(properties);
        int max = (int) s.bytes(MAX_BYTES_KEY, DEFAULT_MAX_MESSAGE_BYTES, MIN_MAX_MESSAGE_BYTES,
                MAX_MAX_MESSAGE_BYTES);
        s.rejectUnknown(PREFIX);
        return new MessageLimits(max);
    }

    /** The largest WAL record a message within these limits can become once the node has set its fields. */
    public int maxRecordBytes() {
        return maxMessageBytes + APPEND_FIELDS_MAX_BYTES;
    }

    /** {@code INVALID_ARGUMENT} stating the size and the limit if {@code encodedBytes} exceeds it. */
    void check(int encodedBytes) {
        if (encodedBytes > maxMessageBytes) {
            throw StreamingException.invalidArgument("message of " + encodedBytes
                    + " bytes exceeds the maximum message size of " + maxMessageBytes + " bytes ("
                    + MAX_BYTES_KEY + ")");
        }
    }
}
