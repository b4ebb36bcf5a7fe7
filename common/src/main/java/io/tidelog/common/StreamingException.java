package io.tidelog.common;

import java.util.Objects;

/**
 * The one exception type of Tidelog: unchecked, carrying a stable {@link ErrorCode}. Expected outcomes
 * (a filtered message, an empty poll) are values, never exceptions.
 */
public class StreamingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    public StreamingException(ErrorCode code, String message) {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
    }

    public StreamingException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    public ErrorCode code() {
        return code;
    }

    public boolean isFenced() {
        return code == ErrorCode.CHANNEL_FENCED;
    }

    public boolean isWrongNode() {
        return code.isWrongNode();
    }

    public boolean isRetriable() {
        return code.isRetriable();
    }

    /** See {@link ErrorCode#isAuthFailure()}. */
    public boolean isAuthFailure() {
        return code.isAuthFailure();
    }

    /** See {@link ErrorCode#isNothingWritten()}. */
    public boolean isNothingWritten() {
        return code.isNothingWritten();
    }

    /** See {@link ErrorCode#isOutcomeUnknown()}. */
    public boolean isOutcomeUnknown() {
        return code.isOutcomeUnknown();
    }

    @Override
    public String getMessage() {
        return code + ": " + super.getMessage();
    }

    /** The message without the code prefix. */
    public String detail() {
        return super.getMessage();
    }

    public static StreamingException invalidArgument(String message) {
        return new StreamingException(ErrorCode.INVALID_ARGUMENT, message);
    }

    public static StreamingException fenced(String message) {
        return new StreamingException(ErrorCode.CHANNEL_FENCED, message);
    }

    public static StreamingException onShutdown(String message) {
        return new StreamingException(ErrorCode.ON_SHUTDOWN, message);
    }

    public static StreamingException corrupted(String message) {
        return new StreamingException(ErrorCode.DATA_CORRUPTED, message);
    }

    public static StreamingException inner(String message, Throwable cause) {
        return new StreamingException(ErrorCode.INNER, message, cause);
    }

    /**
     * The {@link StreamingException} inside {@code t} (unwrapping completion and execution wrappers),
     * or an {@link ErrorCode#INNER} one wrapping it.
     */
    public static StreamingException from(Throwable t) {
        Throwable cur = t;
        for (int depth = 0; cur != null && depth < 16; depth++) {
            if (cur instanceof StreamingException) {
                return (StreamingException) cur;
            }
            cur = cur.getCause();
        }
        return new StreamingException(ErrorCode.INNER, String.valueOf(t), t);
    }
}
