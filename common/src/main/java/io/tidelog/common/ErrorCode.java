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
    /**
     * Another consumer claimed the durable subscription after this one did (a newer generation): this consumer's
     * commits are refused and it should stop; the newer one reads on from the committed position.
     */
    SUBSCRIPTION_TAKEN_OVER(19),
    /**
     * This coordinator is not the leader (a standby, or a leader that lost its leadership): nothing was written.
     * Ask the leader (the message names it when known) or retry after the election.
     */
    NOT_LEADER(20),
    /**
     * The request carried no token, or one the server does not know (gRPC {@code UNAUTHENTICATED}): nothing was
     * done. Give a token the server's token file lists ({@code --token}, {@code TIDELOG_TOKEN}).
     */
    UNAUTHENTICATED(21),
    /**
     * The caller's token is known but its role does not allow the request (gRPC {@code PERMISSION_DENIED}): nothing
     * was done. Ask with a token of a role that allows it ({@code read} &lt; {@code write} &lt; {@code admin}).
     */
    PERMISSION_DENIED(22),
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

    /**
     * The node that answered does not own the pchannel at the term the request addressed: it never served it
     * ({@code CHANNEL_NOT_EXIST}), serves another term ({@code UNMATCHED_CHANNEL_TERM}), or a newer term fenced
     * it ({@code CHANNEL_FENCED}), as Milvus's {@code IsWrongStreamingNode}. Nothing of the request was written
     * ({@link #isNothingWritten()} holds): report the node to the coordinator, wait for the next assignment and
     * send the request again there. A broken connection ({@code ON_SHUTDOWN}) is no wrong node.
     */
    public boolean isWrongNode() {
        return this == CHANNEL_NOT_EXIST || this == UNMATCHED_CHANNEL_TERM || this == CHANNEL_FENCED;
    }

    /**
     * A write (an append, a meta-store write, an upload) that failed with this code certainly did not take
     * effect: nothing of it reached the log or store. Such a write may be retried or re-queued as it is, and
     * its idempotency key is free again. These are the codes only ever used to refuse a request before it can
     * take effect (a bad request, a wrong node or term, a fence, no room, a closed read-only log).
     *
     * <p>Defined by the code alone, so that it holds the same on both sides of the wire, and conservatively:
     * a code that some path uses when the outcome is unknown is not here, although other paths use it for
     * plain refusals. {@code ON_SHUTDOWN} is such a code (a closed WAL refuses with it, but a client whose
     * stream broke with an append in flight fails that append with it, as gRPC's {@code UNAVAILABLE} and
     * {@code CANCELLED} map to it), and so is {@code TIMEOUT} (an append sent but not answered in time).
     *
     * @see #isOutcomeUnknown()
     */
    public boolean isNothingWritten() {
        return switch (this) {
            case CHANNEL_NOT_EXIST, CHANNEL_FENCED, INVALID_REQUEST_SEQ, UNMATCHED_CHANNEL_TERM, IGNORED_OPERATION,
                    INVALID_ARGUMENT, TRANSACTION_EXPIRED, INVALID_TRANSACTION_STATE, UNRECOVERABLE, RESOURCE_EXHAUSTED,
                    OUT_OF_RANGE, READ_ONLY, ALREADY_EXISTS, NOT_FOUND, SUBSCRIPTION_TAKEN_OVER, NOT_LEADER, UNAUTHENTICATED,
                    PERMISSION_DENIED -> true;
            // No default: a new code does not compile until it is classified here.
            case ON_SHUTDOWN, INNER, DATA_CORRUPTED, TIMEOUT, UNKNOWN -> false;
        };
    }

    /**
     * A write that failed with this code may or may not have taken effect (whole, never torn): the complement of
     * {@link #isNothingWritten()}. Such a failure is never reported as "nothing written" and never frees the
     * write's idempotency key; a retry is safe only with the same key (the node's dedup window recognises it),
     * otherwise the caller reads to find out.
     */
    public boolean isOutcomeUnknown() {
        return !isNothingWritten();
    }

    /**
     * The server refused the caller, not the request: no token or an unknown one ({@code UNAUTHENTICATED}), or a role
     * that does not allow the call ({@code PERMISSION_DENIED}). Nothing was done; the same call with the same
     * credentials fails again until the server's token file changes, so it is not {@link #isRetriable()}.
     */
    public boolean isAuthFailure() {
        return this == UNAUTHENTICATED || this == PERMISSION_DENIED;
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
            case NOT_LEADER:
                return true;
            default:
                return false;
        }
    }
}
