package io.tidelog.session;

/**
 * Hears that a {@link Session} ended by itself (not by its own {@link Session#close()}).
 *
 * <p>Called at most once per session, on the session's watchdog thread (never on the thread that refreshes the
 * lease, which may be blocked in a store call, never on the meta store's watch dispatcher). It may block briefly
 * (closing the WALs a node serves, stopping a coordinator's work) and may call {@link Session#close()}; the
 * session's deadline checks stop meanwhile, which no longer matters.
 */
@FunctionalInterface
public interface SessionListener {

    /**
     * The session is lost: {@link Session#isAlive()} is false already and stays false. The member must stop at
     * once what the session entitled it to: a streaming node stops serving (closes) its WALs, a coordinator stops
     * acting as leader. Then it may register a new session (a new life, with a new session id) and, for a
     * coordinator, campaign again with it.
     *
     * @param reason why, for logs and operators: a self-fence (no refresh in time), the lease found gone, the key
     *               deleted, or replaced by another session of the same id
     */
    void onLost(Session session, String reason);
}
