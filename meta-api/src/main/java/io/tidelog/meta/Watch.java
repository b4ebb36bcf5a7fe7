package io.tidelog.meta;

/** A registered watch; see {@link MetaStore#watch}. */
public interface Watch extends AutoCloseable {

    /** The prefix watched. */
    String prefix();

    /**
     * The first revision not yet delivered: after a restart of the watcher, watching from it again
     * continues with no gap and no duplicate (as long as that history is kept).
     */
    long nextRevision();

    /** Whether the watch ended, by {@link #close()} or by an error reported to its listener. */
    boolean isClosed();

    /**
     * Stops the watch. When called from another thread than the dispatcher, no listener call is in
     * progress or starts after this returns. Idempotent.
     */
    @Override
    void close();
}
