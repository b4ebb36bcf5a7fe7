package io.tidelog.session;

/**
 * Hears a candidate's own leadership begin and end. Calls are made one at a time on the election's own thread
 * (never on the meta store's watch dispatcher) and alternate: {@code onElected}, {@code onDeposed},
 * {@code onElected}, ...; every {@code onElected} is followed by exactly one {@code onDeposed} before
 * {@link LeaderElection#close()} returns. A listener may block (start or stop the leader's work) and may call the
 * meta store; the election waits for it. What it throws is logged and dropped.
 */
public interface LeadershipListener {

    /**
     * This candidate leads from now on, at {@link Leadership#epoch()}: include {@link Leadership#guard()} in every
     * write transaction made as leader, so that a write made after the leadership ended fails whatever the leader
     * believes.
     */
    void onElected(Leadership leadership);

    /**
     * The leadership ended: the key was deleted or replaced, the session was lost or closed, or it was resigned.
     * Stop acting as leader (the guard already makes writes fail). After a lost session, campaign again with a new
     * session; otherwise this election campaigns again by itself unless it resigned.
     */
    void onDeposed(Leadership leadership, String reason);
}
