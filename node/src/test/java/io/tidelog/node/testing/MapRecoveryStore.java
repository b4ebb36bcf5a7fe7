package io.tidelog.node.testing;

import io.tidelog.common.StreamingException;
import io.tidelog.node.recovery.Checkpoint;
import io.tidelog.node.recovery.RecoveryStore;
import io.tidelog.state.proto.RecoverySnapshotProto;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** A recovery store in memory, fenced by term like the real one: for tests of the WAL around it. */
public final class MapRecoveryStore implements RecoveryStore {
    private final Map<String, Long> terms = new HashMap<>();
    private final Map<String, RecoverySnapshotProto> snapshots = new HashMap<>();
    private final Map<String, Checkpoint> checkpoints = new HashMap<>();
    public int saves;

    @Override
    public synchronized void claim(String pchannel, long term) {
        long claimed = terms.getOrDefault(pchannel, 0L);
        if (claimed > term) {
            throw StreamingException.fenced(pchannel + " claimed by " + claimed);
        }
        terms.put(pchannel, term);
    }

    @Override
    public synchronized Optional<RecoverySnapshotProto> load(String pchannel) {
        return Optional.ofNullable(snapshots.get(pchannel));
    }

    @Override
    public synchronized void save(String pchannel, long term, RecoverySnapshotProto snapshot, Checkpoint checkpoint) {
        if (terms.getOrDefault(pchannel, 0L) != term) {
            throw StreamingException.fenced(pchannel + " is not owned by " + term);
        }
        snapshots.put(pchannel, snapshot);
        checkpoints.put(pchannel, checkpoint);
        saves++;
    }

    public synchronized Checkpoint checkpoint(String pchannel) {
        return checkpoints.get(pchannel);
    }
}
