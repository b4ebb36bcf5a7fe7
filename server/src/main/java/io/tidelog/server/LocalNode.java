package io.tidelog.server;

import io.tidelog.coord.NodeHandle;
import io.tidelog.node.WalManager;

/** The coordinator's handle on the streaming node in the same process (standalone). */
final class LocalNode implements NodeHandle {
    private final String nodeId;
    private final String address;
    private final WalManager wals;

    LocalNode(String nodeId, String address, WalManager wals) {
        this.nodeId = nodeId;
        this.address = address;
        this.wals = wals;
    }

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public String address() {
        return address;
    }

    @Override
    public void assign(String pchannel, long term) {
        wals.open(pchannel, term);
    }

    @Override
    public void remove(String pchannel, long term) {
        wals.remove(pchannel, term);
    }
}
