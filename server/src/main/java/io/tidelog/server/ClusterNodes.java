package io.tidelog.server;

import io.grpc.ManagedChannel;
import io.tidelog.coord.PchannelAssigner;
import io.tidelog.meta.MetaStore;
import io.tidelog.proto.Heartbeat;
import io.tidelog.proto.PchannelStatus;
import io.tidelog.session.Members;
import io.tidelog.session.MembersListener;
import io.tidelog.session.SessionInfo;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's view of the streaming nodes, fed to its {@link PchannelAssigner}: each node session registered under
 * {@code session/node/<id>} (its info: the address of its gRPC port) gets a {@link GrpcNodeHandle} and a
 * {@link NodeHealth}; the assigner hears the node up at its first heartbeat and down when its heartbeats stop
 * (about a second), when its session ends, or when a new life of the node replaces it. Each heartbeat tells the
 * assigner what the node serves, so that a WAL of an older term left open on it (it was declared down while it lived
 * on) is removed there.
 *
 * <p>Threads: membership changes arrive on the {@link Members} thread, health changes on gRPC and timer threads;
 * the map of nodes is guarded by this object's monitor; the assigner's inputs return at once.
 */
final class ClusterNodes implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterNodes.class);
    static final String NODE_ROLE = "node";

    private final PchannelAssigner assigner;
    private final Function<String, ManagedChannel> channels;
    private final Duration removeTimeout;
    private final Duration beatInterval;
    private final Duration healthTimeout;
    private final ScheduledExecutorService timer;
    /** Under the monitor: the watched node sessions by node id. */
    private final Map<String, Watched> nodes = new HashMap<>();
    private Members members;
    private boolean closed;

    private record Watched(SessionInfo session, GrpcNodeHandle handle, NodeHealth health) {
    }

    /**
     * @param channels the channel to a node's address (the caller caches and closes them)
     */
    ClusterNodes(PchannelAssigner assigner, Function<String, ManagedChannel> channels, Duration removeTimeout,
                 Duration beatInterval, Duration healthTimeout, ScheduledExecutorService timer) {
        this.assigner = assigner;
        this.channels = channels;
        this.removeTimeout = removeTimeout;
        this.beatInterval = beatInterval;
        this.healthTimeout = healthTimeout;
        this.timer = timer;
    }

    /** Starts following the node sessions of {@code store}. */
    ClusterNodes start(MetaStore store) {
        Members m = Members.watch(store, NODE_ROLE, new MembersListener() {
            @Override
            public void onJoined(SessionInfo session) {
                watch(session);
            }

            @Override
            public void onLeft(SessionInfo session, long revision) {
                unwatch(session, "its session ended");
            }

            @Override
            public void onReplaced(SessionInfo previous, SessionInfo current) {
                unwatch(previous, "a new life of the node replaced it");
                watch(current);
            }
        });
        // Every session found now is pending at once, before any of them can be heard from: the listener follows
        // them one by one, and a node that came up first made the assigner move pchannels off one not yet followed
        // (CoordServerTest, a graceful hand-over: its terms went 2 -> 4). The verdict of each clears its mark.
        m.current().values().forEach(s -> assigner.nodePending(s.id(), s.sessionId()));
        synchronized (this) {
            members = m;
            if (!closed) {
                return this;
            }
        }
        m.close();
        return this;
    }

    private void watch(SessionInfo session) {
        String address = new String(session.info(), StandardCharsets.UTF_8);
        ManagedChannel channel = channels.apply(address);
        GrpcNodeHandle handle = new GrpcNodeHandle(session.id(), session.sessionId(), address, channel, removeTimeout);
        NodeHealth health = new NodeHealth(channel, session.sessionId(), beatInterval, healthTimeout, timer,
                new NodeHealth.Listener() {
                    @Override
                    public void onUp() {
                        assigner.nodeUp(handle);
                    }

                    @Override
                    public void onDown(String why) {
                        LOG.info("{} is down: {}", handle, why);
                        assigner.nodeDown(session.id(), session.sessionId(), why);
                    }

                    @Override
                    public void onBeat(Heartbeat beat) {
                        Map<String, Long> served = new HashMap<>();
                        beat.getWalList().forEach(w -> served.put(w.getPchannel(), w.getTerm()));
                        assigner.served(handle, served);
                    }
                });
        Watched w = new Watched(session, handle, health);
        Watched before;
        synchronized (this) {
            if (closed) {
                return;
            }
            before = nodes.put(session.id(), w);
        }
        if (before != null) {
            before.health().close();
        }
        LOG.info("following {}", handle);
        assigner.nodePending(session.id(), session.sessionId());
        health.start();
    }

    private void unwatch(SessionInfo session, String why) {
        Watched w;
        synchronized (this) {
            w = nodes.get(session.id());
            if (w == null || w.session().sessionId() != session.sessionId()) {
                return;
            }
            nodes.remove(session.id());
        }
        w.health().close();
        assigner.nodeDown(session.id(), session.sessionId(), why);
    }

    /** The node sessions followed now, by node id, with whether their heartbeats come. */
    synchronized Map<String, Boolean> health() {
        Map<String, Boolean> out = new HashMap<>();
        nodes.forEach((id, w) -> out.put(id, w.health().isUp()));
        return out;
    }

    /** The WAL status of every pchannel the live nodes served at their last heartbeats. */
    synchronized List<PchannelStatus> walStatus() {
        List<PchannelStatus> out = new ArrayList<>();
        nodes.values().forEach(w -> {
            Heartbeat beat = w.health().lastBeat();
            if (beat != null) {
                out.addAll(beat.getWalList());
            }
        });
        return out;
    }

    synchronized Map<String, String> addresses() {
        Map<String, String> out = new HashMap<>();
        nodes.forEach((id, w) -> out.put(id, w.handle().address()));
        return out;
    }

    @Override
    public void close() {
        Members m;
        Map<String, Watched> all;
        synchronized (this) {
            closed = true;
            m = members;
            all = new HashMap<>(nodes);
            nodes.clear();
        }
        if (m != null) {
            m.close();
        }
        for (Watched w : all.values()) {
            w.health().close();
        }
    }
}
