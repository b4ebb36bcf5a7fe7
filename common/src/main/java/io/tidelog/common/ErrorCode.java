package io.tidelog.common;

/**
 * Stable error codes shared by server, client and every backend. The numbers are part of the wire
 * protocol and of the CLI's output: never renumber, only add.
 */
public enum ErrorCode {
    /** The pchannel is not served here (wrong node, or not yet open). Re-route and retry. */
    CHANNEL_NOT_EXIST(1),
    /** The writer was fenced by a newer term; it stays fenced forever. Re-route and retry. */
    CHANNEL_FENCED(2),
    /** The component is shutting down. Retry elsewhere or later. */
    ON_SHUTDOWN(3),
    /** A request arrived out of its protocol sequence. */
    INVALID_REQUEST_SEQ(4),
    /** The caller addressed an older or newer term than the one served. Re-route and retry. */
    UNMATCHED_CHANNEL_TERM(5),
    /** The operation carried a stale term and was skipped; not an error for the caller. */
    IGNORED_OPERATION(6),
    /** An internal failure, possibly transient (I/O error, bug). */
    INNER(7),
    /** The request itself is wrong (size, name, type, schema); retrying cannot help. */
    INVALID_ARGUMENT(8),
    TRANSACTION_EXPIRED(9),
    INVALID_TRANSACTION_STATE(10),
    /** A failure that no retry can mend (for example a record too large for any segment). */
    UNRECOVERABLE(11),
    /** Bounded memory or queue space is used up; back off and retry. */
    RESOURCE_EXHAUSTED(12),
    /** Stored data failed its checksum or framing; the message carries the position. */
    DATA_CORRUPTED(13),
    /** The position asked for was truncated away or lies beyond the end of the log. */
    OUT_OF_RANGE(14),
    /** A write was attempted on a log opened read-only. */
    READ_ONLY(15),
    /** A bounded wait ran out. */
    TIMEOUT(16),
    /** A named thing (a collection, a partition, a field) already exists; retrying cannot help. */
    ALREADY_EXISTS(17),
    /** A named thing (a collection, a partition) does not exist; retrying cannot help. */
    NOT_FOUND(18),
    UNKNOWN(999);

    /**
     * The gRPC trailer that carries a failed call's code (ASCII decimal of {@link #code()}); the status
     * description carries the message.
     */
    public static final String GRPC_TRAILER = "tidelog-error-code";

    private final int code;

    ErrorCode(int code) {
        this.code = code;
    }

    /** The stable number of this code. */
    public int code() {
        return code;
    }

    /** The code with the given number, or {@link #UNKNOWN}. */
    public static ErrorCode fromCode(int code) {
        for (ErrorCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return UNKNOWN;
    }

    /** The request was sent to a node that does not (or no longer) own the pchannel at that term. */
    public boolean isWrongNode() {
        return this == CHANNEL_NOT_EXIST || this == UNMATCHED_CHANNEL_TERM;
    }

    /**
     * A client may retry the same request, possibly after re-routing or backing off, without risk of
     * the retry failing for the same reason forever.
     */
    public boolean isRetriable() {
        switch (this) {
            case CHANNEL_NOT_EXIST:
            case CHANNEL_FENCED:
            case ON_SHUTDOWN:
            case UNMATCHED_CHANNEL_TERM:
            case INNER:
            case RESOURCE_EXHAUSTED:
            case TIMEOUT:
                return true;
            default:
                return false;
        }
    }
}
