package io.tidelog.coord;

import io.tidelog.state.proto.PchannelMeta;
import io.tidelog.state.proto.PchannelState;

/**
 * Where a pchannel is served: by which node session, at which term, in which state; the record
 * {@code coord/pchannel/<p>} of the meta store.
 *
 * @param pchannel          the pchannel
 * @param term              bumped on every assignment; bound to one node session for life
 * @param nodeId            the node
 * @param sessionId         the node's session the term is bound to (0 in records written before the cluster)
 * @param address           the node's address for clients
 * @param state             ASSIGNING while the node opens the WAL, ASSIGNED once it serves, UNASSIGNED while no live
 *                          node can take it (UNAVAILABLE: written by older releases, read as UNASSIGNED)
 * @param previousNodeId    the owner before this term, kept while ASSIGNING ("" if none)
 * @param previousSessionId its session
 * @param previousTerm      its term
 */
public record Assignment(String pchannel, long term, String nodeId, long sessionId, String address,
                         PchannelState state, String previousNodeId, long previousSessionId, long previousTerm) {

    public Assignment(String pchannel, long term, String nodeId, long sessionId, String address, PchannelState state) {
        this(pchannel, term, nodeId, sessionId, address, state, "", 0, 0);
    }

    static Assignment fromMeta(PchannelMeta m) {
        return new Assignment(m.getPchannel(), m.getTerm(), m.getNodeId(), m.getSessionId(), m.getAddress(),
                m.getState(), m.getPreviousNodeId(), m.getPreviousSessionId(), m.getPreviousTerm());
    }

    PchannelMeta toMeta() {
        return PchannelMeta.newBuilder().setPchannel(pchannel).setTerm(term).setNodeId(nodeId).setSessionId(sessionId)
                .setAddress(address).setState(state).setPreviousNodeId(previousNodeId)
                .setPreviousSessionId(previousSessionId).setPreviousTerm(previousTerm).build();
    }

    /** Whether the term is bound to {@code node}'s session. */
    boolean boundTo(NodeHandle node) {
        return node != null && nodeId.equals(node.nodeId()) && sessionId == node.sessionId();
    }

    /** The same record in another state, forgetting the previous owner (it is out of the picture). */
    Assignment settled(PchannelState newState) {
        return new Assignment(pchannel, term, nodeId, sessionId, address, newState);
    }

    /** Whether the record stands for a node serving the pchannel (or about to). */
    boolean hasOwner() {
        return !nodeId.isEmpty() && (state == PchannelState.ASSIGNED || state == PchannelState.ASSIGNING);
    }
}
