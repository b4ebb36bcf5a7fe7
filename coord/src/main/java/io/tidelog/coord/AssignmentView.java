package io.tidelog.coord;

import java.util.List;

/**
 * A consistent snapshot of every pchannel's assignment.
 *
 * @param version     increases with every change
 * @param assignments one per pchannel that was ever assigned, ordered by pchannel
 */
public record AssignmentView(long version, List<Assignment> assignments) {
    public AssignmentView {
        assignments = List.copyOf(assignments);
    }
}
