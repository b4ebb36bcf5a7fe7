package io.tidelog.client;

import io.tidelog.proto.PchannelAssignment;

/** Which node serves a pchannel, at which term, and where to reach its StreamingNode service. */
record Assignment(String pchannel, long term, String nodeId, String address) {

    static Assignment fromProto(PchannelAssignment p) {
        return new Assignment(p.getPchannel(), p.getTerm(), p.getNodeId(), p.getAddress());
    }

    @Override
    public String toString() {
        return pchannel + "@" + term + " on " + nodeId + " (" + address + ")";
    }
}
