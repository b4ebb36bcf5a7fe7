package io.tidelog.client;

import io.tidelog.common.MessageId;
import io.tidelog.message.MessageIds;
import java.time.Instant;
import java.util.List;

/**
 * The cluster as the coordinator sees it: every pchannel with its owner and backlog, and every node. A
 * snapshot; immutable.
 *
 * @param pchannels    every pchannel, in the coordinator's order
 * @param nodes        every known streaming node
 * @param coordinators every coordinator with a live session, the leader marked (empty if the server does not say)
 * @param replicas     the replicas of vchannels the leader placed, by collection id, vchannel, node id (empty if none)
 */
public record ClusterStatus(List<PchannelStatus> pchannels, List<NodeStatus> nodes,
                            List<CoordinatorStatus> coordinators, List<ReplicaLocation> replicas) {

    public ClusterStatus {
        pchannels = List.copyOf(pchannels);
        nodes = List.copyOf(nodes);
        coordinators = List.copyOf(coordinators);
        replicas = List.copyOf(replicas);
    }

    /**
     * One pchannel.
     *
     * @param pchannel      its name
     * @param nodeId        the node that owns it (empty if unassigned)
     * @param term          the current term
     * @param available     whether its WAL accepts appends now
     * @param lastTimeTick  the last time tick it published (0 if none)
     * @param lastId        the id of its last appended message; {@code null} if none
     * @param inFlight      messages accepted but not yet durable
     * @param appended      messages appended in this term (data and written TimeTicks)
     * @param bufferBytes   bytes held by its write-ahead buffer
     * @param retainedBytes bytes its WAL retains on storage (0 if the backend cannot tell)
     * @param retention     what its WAL retains and why
     * @param unavailableReason why its WAL refuses appends ({@code CODE: message}, and how reopening it goes, for
     *                      example a full disk); empty while it accepts them or when its node does not say
     * @param state         the coordinator's record of the assignment: {@code ASSIGNING}, {@code ASSIGNED} or
     *                      {@code UNASSIGNED} (empty if the server does not say)
     */
    public record PchannelStatus(String pchannel, String nodeId, long term, boolean available, long lastTimeTick,
            MessageId lastId, long inFlight, long appended, long bufferBytes, long retainedBytes, Retention retention,
            String unavailableReason, String state) {

        /** The wall-clock time of {@link #lastTimeTick()}, or {@code null} if there is none. */
        public Instant lastTime() {
            return lastTimeTick == 0 ? null : TimeTicks.toInstant(lastTimeTick);
        }
    }

    /**
     * What a pchannel's WAL retains.
     *
     * @param earliestId        the earliest message it retains; {@code null} if unknown
     * @param earliestTimeTick  that message's time tick (0 if unknown)
     * @param truncatedBelow    where it was last truncated below in this term; {@code null} if not yet
     * @param bound             what keeps it from being truncated further: {@code checkpoint},
     *                          {@code wal.retention.time}, {@code wal.retention.bytes} or
     *                          {@code subscription NAME of VCHANNEL}; empty before the node's first retention pass
     * @param subscriptions     its durable subscriptions
     * @param letGo             subscriptions let go in this term for lagging beyond {@code wal.retention.max.lag}
     * @param checkpointId      the last persisted recovery checkpoint (a restart replays from there); {@code null}
     *                          if none yet
     */
    public record Retention(MessageId earliestId, long earliestTimeTick, MessageId truncatedBelow, String bound,
            int subscriptions, long letGo, MessageId checkpointId) {

        /** The wall-clock time of the earliest retained message, or {@code null} if unknown. */
        public Instant earliestTime() {
            return earliestTimeTick == 0 ? null : TimeTicks.toInstant(earliestTimeTick);
        }
    }

    /**
     * One streaming node.
     *
     * @param nodeId  its id
     * @param address host:port of its StreamingNode service
     * @param alive    whether its session is live
     * @param draining whether it was drained ({@code tidelog drain}): it takes no pchannel until its session ends
     */
    public record NodeStatus(String nodeId, String address, boolean alive, boolean draining) {
        /** A node that is not draining. */
        public NodeStatus(String nodeId, String address, boolean alive) {
            this(nodeId, address, alive, false);
        }
    }

    /**
     * One coordinator.
     *
     * @param coordinatorId its id
     * @param address       host:port of its Coordinator service
     * @param leader        whether it leads (the others stand by)
     */
    public record CoordinatorStatus(String coordinatorId, String address, boolean leader) {
    }

    static ClusterStatus fromProto(io.tidelog.proto.ClusterStatus p) {
        return new ClusterStatus(
                p.getPchannelsList().stream().map(ClusterStatus::pchannelFromProto).toList(),
                p.getNodesList().stream().map(n -> new NodeStatus(n.getNodeId(), n.getAddress(), n.getAlive(),
                        n.getDraining())).toList(),
                p.getCoordinatorsList().stream()
                        .map(c -> new CoordinatorStatus(c.getCoordinatorId(), c.getAddress(), c.getLeader())).toList(),
                p.getReplicasList().stream().map(ReplicaLocation::fromProto).toList());
    }

    private static PchannelStatus pchannelFromProto(io.tidelog.proto.PchannelStatus s) {
        MessageId lastId = s.hasLastId() ? MessageIds.fromProto(s.getLastId()) : null;
        Retention retention = new Retention(s.hasEarliestId() ? MessageIds.fromProto(s.getEarliestId()) : null,
                s.getEarliestTimeTick(), s.hasTruncatedBelow() ? MessageIds.fromProto(s.getTruncatedBelow()) : null,
                s.getTruncationBound(), s.getSubscriptions(), s.getSubscriptionsLetGo(),
                s.hasCheckpointId() ? MessageIds.fromProto(s.getCheckpointId()) : null);
        return new PchannelStatus(s.getPchannel(), s.getNodeId(), s.getTerm(), s.getAvailable(), s.getLastTimeTick(),
                lastId, s.getInFlight(), s.getAppended(), s.getBufferBytes(), s.getRetainedBytes(), retention,
                s.getUnavailableReason(), s.getState());
    }
}
