package io.tidelog.coord;

import io.tidelog.state.proto.PchannelMeta;
import io.tidelog.state.proto.PchannelState;

/**
 * Where a pchannel is served: by which node, at which term, in which state.
 *
 * @param pchannel the pchannel
 * @param term     bumped on every (re)assignment; the node serves exactly this term
 * @param nodeId   the node
 * @param address  the node's address for clients
 * @param state    ASSIGNING while the node opens the WAL, ASSIGNED once it serves, UNAVAILABLE after a failure
 */
public record Assignment(String pchannel, long term, String nodeId, String address, PchannelState state) {

    static Assignment fromMeta(PchannelMeta m) {
        return new Assignment(m.getPchannel(), m.getTerm(), m.getNodeId(), m.getAddress(), m.getState());
    }

    PchannelMeta toMeta() {
        return PchannelMeta.newBuilder().setPchannel(pchannel).setTerm(term).setNodeId(nodeId)
                .setAddress(address).setState(state).build();
    }
}
