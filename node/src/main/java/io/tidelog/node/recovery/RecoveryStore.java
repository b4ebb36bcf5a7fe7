package io.tidelog.node.recovery;

import io.tidelog.state.proto.RecoverySnapshotProto;
import java.util.Optional;

/**
 * Where a streaming node keeps the recovery state of its pchannels (the recovery storage implements it
 * over the meta store): per pchannel, the latest snapshot of its WAL extensions and the checkpoint from
 * which replay starts.
 *
 * <p><b>Fencing.</b> {@link #claim} at a term makes every later {@link #save} of an older term fail with
 * {@code CHANNEL_FENCED}, on any node: an owner that lost the pchannel can no longer write its metadata.
 *
 * <p><b>Atomicity.</b> A {@link #save} is all or nothing for {@link #load}: a crash in the middle leaves the
 * previous snapshot in place (the checkpoint, which points at the snapshot, is written last).
 *
 * <p><b>Threads.</b> Safe for concurrent use; calls block on the store.
 */
public interface RecoveryStore {

    /**
     * Claims {@code pchannel} for {@code term}: succeeds if no newer term claimed it (idempotent for the
     * same term).
     *
     * @throws io.tidelog.common.StreamingException {@code CHANNEL_FENCED} if a newer term did
     */
    void claim(String pchannel, long term);

    /** The last snapshot saved for {@code pchannel}, or empty (a new pchannel: replay the whole log). */
    Optional<RecoverySnapshotProto> load(String pchannel);

    /**
     * Saves {@code snapshot} as the pchannel's state and {@code checkpoint} as where its replay starts.
     *
     * @throws io.tidelog.common.StreamingException {@code CHANNEL_FENCED} if a newer term claimed the pchannel;
     *         another code if the store failed (the previous snapshot stays in place)
     */
    void save(String pchannel, long term, RecoverySnapshotProto snapshot, Checkpoint checkpoint);

    /** Persists nothing: every open replays the whole log (tests, and nodes run without recovery storage). */
    RecoveryStore NONE = new RecoveryStore() {
        @Override
        public void claim(String pchannel, long term) {
        }

        @Override
        public Optional<RecoverySnapshotProto> load(String pchannel) {
            return Optional.empty();
        }

        @Override
        public void save(String pchannel, long term, RecoverySnapshotProto snapshot, Checkpoint checkpoint) {
        }
    };
}
