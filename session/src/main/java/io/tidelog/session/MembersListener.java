package io.tidelog.session;

/**
 * Hears the changes of one role's sessions seen by {@link Members}: in revision order, one call at a time, on the
 * members' own thread (never on the meta store's watch dispatcher), so a listener may block and may call the meta
 * store; later changes wait for it. What it throws is logged and dropped.
 */
public interface MembersListener {

    /** A member registered (or was found by a scan). {@link Members#current()} holds it already. */
    default void onJoined(SessionInfo session) {
    }

    /**
     * A member's session ended: its key was deleted (lease expired or revoked, by close or by hand) at
     * {@code revision}. {@link Members#current()} no longer holds it.
     */
    default void onLeft(SessionInfo session, long revision) {
    }

    /**
     * A member of the same id registered again (a restart, or the same id started elsewhere) before its previous
     * session's key went: {@code previous} is over, its holder has lost it (and stops by itself); {@code current}
     * is the new life. For anything keyed by a member's session (an assignment naming a node's session), this is
     * a leave followed by a join.
     */
    default void onReplaced(SessionInfo previous, SessionInfo current) {
    }
}
