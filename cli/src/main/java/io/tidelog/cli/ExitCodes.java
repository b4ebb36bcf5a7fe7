package io.tidelog.cli;

import io.tidelog.common.StreamingException;

/**
 * The exit statuses of the client commands; stable, scripts may rely on them. The {@code *_LINE} constants
 * are the lines of each command's help.
 */
public final class ExitCodes {
    /** Done; also a long-running command stopped cleanly by SIGTERM or Ctrl-C ({@link Launcher}). */
    public static final int OK = 0;
    /** Failed, and the same command would fail again (INVALID_ARGUMENT, NOT_FOUND, OUT_OF_RANGE, UNRECOVERABLE, ...). */
    public static final int FAILED = 1;
    /** The command line is wrong. */
    public static final int USAGE = 2;
    /** Failed for a reason that may pass: retry later (TIMEOUT, ON_SHUTDOWN such as an unreachable server, ...). */
    public static final int RETRIABLE = 3;
    /**
     * Refused: no token, one the server does not know (UNAUTHENTICATED), or one whose role does not allow the command
     * (PERMISSION_DENIED); nothing was done.
     */
    public static final int DENIED = 4;

    static final String HEADING = "%nExit status:%n";
    static final String OK_LINE = "0:done; also after a clean stop on SIGTERM or Ctrl-C";
    static final String FAILED_LINE = "1:failed; the same command would fail again (INVALID_ARGUMENT, NOT_FOUND, ...)";
    static final String USAGE_LINE = "2:wrong command line";
    static final String RETRIABLE_LINE = "3:failed for a reason that may pass; retry later (TIMEOUT, ON_SHUTDOWN, ...)";
    static final String DENIED_LINE = "4:refused, nothing done: no or an unknown token (UNAUTHENTICATED), or its role "
            + "does not allow the command (PERMISSION_DENIED)";

    private ExitCodes() {
    }

    /** The status for a failure with this error. */
    public static int of(StreamingException e) {
        if (e.isAuthFailure()) {
            return DENIED;
        }
        return e.isRetriable() ? RETRIABLE : FAILED;
    }
}
