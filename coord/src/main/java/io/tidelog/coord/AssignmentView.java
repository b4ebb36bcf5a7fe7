package io.tidelog.coord;

import java.util.List;

/**
 * A consistent snapshot of every pchannel's assignment and of the replicas placed.
 *
 * @param version     increases with every change (of either)
 * @param assignments one per pchannel that was ever assigned, ordered by pchannel
 * @param replicas    the replicas of vchannels ({@link ReplicaPlacement}), empty if none is placed
 */
public record AssignmentView(long version, List<Assignment> assignments, List<Replica> replicas) {
    public AssignmentView {
        assignments = List.copyOf(assignments);
        replicas = List.copyOf(replicas);
    }
}
