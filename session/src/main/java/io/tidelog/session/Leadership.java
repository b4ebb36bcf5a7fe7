package io.tidelog.session;

import io.tidelog.meta.Compare;

/**
 * One candidate's tenure as leader of an election: from the creation of the election key at revision
 * {@link #epoch()} under its session's lease, until the key is deleted or replaced.
 *
 * <p><b>The guard.</b> A leader learns that it was deposed late (a watch event, a lost session), so it must not act
 * on its belief: every write it makes as leader is a transaction that includes {@link #guard()}, which holds exactly
 * while the key is the one it created. A transaction is applied at one revision, at which the key has one create
 * revision, so no two leaders' guarded writes succeed at the same revision, and once a leader's key is gone (its
 * session ended, it resigned, another leader created the key again) none of its guarded writes succeed whatever it
 * believes. Epochs increase strictly from leader to leader (each is the revision of a later creation), so a
 * follower of the leader's writes can tell an older leader's from a newer one's.
 *
 * <p>Immutable but for {@link #isActive()}; thread-safe.
 */
public final class Leadership {
    private final LeaderElection election;
    private final long epoch;
    private final Compare guard;
    private volatile boolean active = true;

    Leadership(LeaderElection election, long epoch) {
        this.election = election;
        this.epoch = epoch;
        this.guard = Compare.createRevision(election.key(), Compare.Result.EQUAL, epoch);
    }

    /** The election key. */
    public String key() {
        return election.key();
    }

    /** The create revision of the key: strictly increasing across leaders. */
    public long epoch() {
        return epoch;
    }

    /**
     * {@code createRevision(key) == epoch}: include it in every write transaction made as leader. It stays the same
     * after the leadership ended, so that such writes fail.
     */
    public Compare guard() {
        return guard;
    }

    /** The session this leadership depends on. */
    public Session session() {
        return election.session();
    }

    /**
     * Whether this candidate still believes it leads: false from {@code onDeposed} on, and at once when its session
     * is lost or closed. A hint for stopping work, not a permission: only {@link #guard()} makes writes safe.
     */
    public boolean isActive() {
        return active;
    }

    void end() {
        active = false;
    }

    @Override
    public String toString() {
        return "Leadership[" + key() + ", epoch " + epoch + ", " + election.session().id() + (active ? "" : ", ended")
                + "]";
    }
}
