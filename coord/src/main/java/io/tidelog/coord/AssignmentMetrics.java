package io.tidelog.coord;

/**
 * What the {@link PchannelAssigner} reports for a process's meters: new terms and failovers. Called on the assigner's
 * thread, in the order things happen there; implementations count and must not block or throw. Kept out of the
 * assigner's logic: it calls these and reads nothing back.
 */
public interface AssignmentMetrics {
    /** Reports nothing. */
    AssignmentMetrics NONE = new AssignmentMetrics() {
    };

    /** A new term of {@code pchannel} was persisted (step 1 of the protocol), whatever the reason for it. */
    default void termStarted(String pchannel, long term) {
    }

    /**
     * The node session that owned {@code pchannel} (serving it, or opening it) was found down: the pchannel fails
     * over. Once per loss, even if the first new term fails and another follows.
     */
    default void failoverStarted(String pchannel, String lostNodeId) {
    }

    /**
     * The pchannel that failed over is served again ({@code ASSIGNED} persisted at a new node session),
     * {@code nanos} after its owner was found down.
     */
    default void failedOver(String pchannel, long nanos) {
    }
}
