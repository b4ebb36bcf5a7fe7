package io.tidelog.server;

import io.tidelog.coord.NodeHandle;
import io.tidelog.node.WalManager;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The coordinator's handle on the streaming node in the same process (standalone). Opens and removals run on
 * {@code executor}, so that the coordinator's assigner never waits on a WAL's recovery.
 */
final class LocalNode implements NodeHandle {
    private final String nodeId;
    private final long sessionId;
    private final String address;
    private final WalManager wals;
    private final Executor executor;

    LocalNode(String nodeId, long sessionId, String address, WalManager wals, Executor executor) {
        this.nodeId = nodeId;
        this.sessionId = sessionId;
        this.address = address;
        this.wals = wals;
        this.executor = executor;
    }

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public long sessionId() {
        return sessionId;
    }

    @Override
    public String address() {
        return address;
    }

    @Override
    public CompletableFuture<Void> assign(String pchannel, long term) {
        return CompletableFuture.runAsync(() -> wals.open(pchannel, term), executor);
    }

    @Override
    public CompletableFuture<Void> remove(String pchannel, long term) {
        return CompletableFuture.runAsync(() -> wals.remove(pchannel, term), executor);
    }
}
