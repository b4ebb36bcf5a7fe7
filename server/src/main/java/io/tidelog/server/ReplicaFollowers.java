package io.tidelog.server;

import io.tidelog.client.ReplicaLocation;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.Closeables;
import io.tidelog.delegator.Delegators;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicas a node runs: for every replica the leading coordinator placed on this node (the
 * {@code replicas} of the assignment snapshots, read through {@code client}), a {@link ReplicaFeed}; a feed
 * stops when its entry goes (the replica moved, the node became the owner, the collection was dropped).
 *
 * <p>Threads: placements arrive on the client's thread and are applied under this object's lock without blocking:
 * starting a feed only starts its thread, and feeds are stopped on {@code stopper}. Owns the feeds, not the
 * client.
 */
final class ReplicaFollowers implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaFollowers.class);

    private final String nodeId;
    private final Delegators delegators;
    private final StreamingClient client;
    private final Duration retry;
    private final Executor stopper;
    /** Running feeds by vchannel. Under the lock. */
    private final Map<String, Running> feeds = new HashMap<>();
    private AutoCloseable watch;
    private boolean closed;

    private record Running(ReplicaLocation replica, ReplicaFeed feed) {
    }

    ReplicaFollowers(String nodeId, Delegators delegators, StreamingClient client, Duration retry, Executor stopper) {
        this.stopper = stopper;
        this.nodeId = nodeId;
        this.delegators = delegators;
        this.client = client;
        this.retry = retry;
    }

    ReplicaFollowers start() {
        AutoCloseable w = client.watchReplicas(this::placed);
        synchronized (this) {
            watch = w;
        }
        return this;
    }

    /** Brings the running feeds in line with {@code all}, the cluster's placement. */
    void placed(List<ReplicaLocation> all) {
        List<ReplicaFeed> stop = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            Map<String, ReplicaLocation> mine = new HashMap<>();
            for (ReplicaLocation r : all) {
                if (r.nodeId().equals(nodeId)) {
                    mine.put(r.vchannel(), r);
                }
            }
            feeds.entrySet().removeIf(e -> {
                ReplicaLocation wanted = mine.get(e.getKey());
                if (wanted != null && wanted.collectionId() == e.getValue().replica().collectionId()) {
                    return false;
                }
                stop.add(e.getValue().feed());
                return true;
            });
            mine.forEach((v, r) -> feeds.computeIfAbsent(v, x -> {
                LOG.info("node {}: starting the replica of {} (collection {})", nodeId, v, r.collectionId());
                return new Running(r, new ReplicaFeed(r, delegators, client, retry).start());
            }));
        }
        if (!stop.isEmpty()) {
            LOG.info("node {}: stopping {} replica(s) no longer placed here", nodeId, stop.size());
            stopper.execute(() -> Closeables.closeAll(stop));
        }
    }

    /** The vchannels whose replicas run here now. */
    synchronized List<String> running() {
        return List.copyOf(feeds.keySet());
    }

    /** Stops following the placement and every feed. Idempotent. */
    @Override
    public void close() {
        List<AutoCloseable> stop = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (watch != null) {
                stop.add(watch);
            }
            feeds.values().forEach(r -> stop.add(r.feed()));
            feeds.clear();
        }
        Closeables.closeAll(stop);
    }
}
