package io.tidelog.server;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.util.MutableHandlerRegistry;
import io.tidelog.common.Closeables;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.coord.CoordConfig;
import io.tidelog.coord.LeaderGuardedMetaStore;
import io.tidelog.coord.StreamingCoordinator;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.MetaStores;
import io.tidelog.node.WalStatus;
import io.tidelog.proto.CollectionServiceGrpc;
import io.tidelog.proto.CoordinatorGrpc;
import io.tidelog.proto.CoordinatorStatus;
import io.tidelog.proto.NodeStatus;
import io.tidelog.session.LeaderElection;
import io.tidelog.session.LeaderInfo;
import io.tidelog.session.Leadership;
import io.tidelog.session.LeadershipListener;
import io.tidelog.session.Members;
import io.tidelog.session.MembersListener;
import io.tidelog.session.Session;
import io.tidelog.session.SessionConfig;
import io.tidelog.session.SessionInfo;
import io.tidelog.tso.TsoConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One coordinator process of a cluster ({@code tidelog coord}): a session in the meta store (etcd), a candidate in
 * the election of the leader ({@code coord/leader}), and a gRPC port.
 *
 * <p>The leader runs a {@link LeaderTerm}: the {@link StreamingCoordinator} (TSO, assignments) on the meta store
 * seen through a {@link LeaderGuardedMetaStore} of its epoch, the {@link ClusterNodes} that feed its assigner with
 * the node sessions and their heartbeats, and the Coordinator service. A standby answers every Coordinator and
 * CollectionService call with {@code NOT_LEADER} naming the leader. When the leadership ends (another coordinator
 * took the key, the session was lost), the term closes: the standby services come back first, the assignment
 * streams end with {@code NOT_LEADER} so clients move at once, then the coordinator stops. A new leader reads every
 * record and goes on from it: pchannels whose node sessions still live keep their terms; the TSO starts above the
 * high-water mark its predecessor persisted. A lost session (self-fenced) is replaced by a new one, which campaigns
 * again.
 *
 * <p>Not here yet: the collection catalog and DDL broadcast (the CollectionService answers {@code NOT_LEADER} on a
 * standby and is not served by the leader), and the collector of dropped collections' files.
 *
 * <p>Start order: meta store, gRPC server (standby services), the coordinators' view, session, election; closed in
 * reverse. Threads: election and session callbacks arrive on their own threads; starting and ending a term happens
 * on the election's thread, which waits for it; the current term is guarded by this object's monitor.
 */
public final class CoordServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CoordServer.class);
    /** Configuration key prefixes a coordinator understands. */
    static final Set<String> PREFIXES = Set.of(ServerConfig.PREFIX, CoordConfig.PREFIX, "tso.", "meta.", "session.");
    static final String ELECTION_KEY = "coord/leader";
    static final String COORD_ROLE = "coord";
    /** The pchannel count the cluster was first started with: fixed for the life of the data. */
    static final String PCHANNEL_COUNT_KEY = "coord/config/pchannel-count";

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final ServerConfig config;
    private final CoordConfig coordConfig;
    private final TsoConfig tsoConfig;
    private final SessionConfig sessionConfig;
    private final MutableHandlerRegistry services = new MutableHandlerRegistry();
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private MetaStore meta;
    private Server grpc;
    private String address;
    private String id;
    private Members coordinators;
    private ScheduledExecutorService timer;
    private ExecutorService background;
    /** Under the monitor. */
    private Session session;
    private LeaderElection election;
    private LeaderTerm term;
    private boolean closed;

    private CoordServer(ServerConfig config, CoordConfig coordConfig, TsoConfig tsoConfig, SessionConfig sessionConfig) {
        this.config = config;
        this.coordConfig = coordConfig;
        this.tsoConfig = tsoConfig;
        this.sessionConfig = sessionConfig;
    }

    /**
     * Starts a coordinator. {@code properties} hold {@code meta.etcd.*} (at least {@code meta.etcd.endpoints}),
     * {@code server.*}, {@code coord.*}, {@code tso.*} and {@code session.*} keys; unknown keys fail with
     * {@code INVALID_ARGUMENT}. The member id is {@code server.node.id} if set, else {@code coord-<host>-<port>}.
     */
    public static CoordServer start(Map<String, String> properties) {
        Set<String> unknown = new TreeSet<>();
        for (String k : properties.keySet()) {
            if (PREFIXES.stream().noneMatch(k::startsWith)) {
                unknown.add(k);
            }
        }
        if (!unknown.isEmpty()) {
            throw StreamingException.invalidArgument("unknown configuration keys for a coordinator: " + unknown);
        }
        CoordServer s = new CoordServer(ServerConfig.from(ConfigKeys.only(properties, ServerConfig.PREFIX)),
                CoordConfig.from(ConfigKeys.only(properties, CoordConfig.PREFIX)),
                TsoConfig.from(ConfigKeys.only(properties, "tso.")),
                SessionConfig.from(ConfigKeys.only(properties, "session.")));
        try {
            s.startAll(properties);
            return s;
        } catch (RuntimeException | IOException e) {
            Closeables.closeQuietly(s, e);
            throw StreamingException.from(e);
        }
    }

    private void startAll(Map<String, String> p) throws IOException {
        Map<String, String> metaSettings = ConfigKeys.only(p, "meta.");
        String store = metaSettings.containsKey("meta.etcd.endpoints") ? "etcd" : metaSettings.getOrDefault(
                "meta.store", "etcd");
        metaSettings.remove("meta.store");
        meta = MetaStores.create(store, metaSettings);
        started.push(meta);
        checkPchannelCount();
        timer = Executors.newScheduledThreadPool(2, ServerExecutors.daemon("coord-timer"));
        started.push(() -> ServerExecutors.shutdown(timer));
        background = Executors.newFixedThreadPool(2, ServerExecutors.daemon("coord-background"));
        started.push(() -> ServerExecutors.shutdown(background));
        started.push(() -> channels.values().forEach(ManagedChannel::shutdownNow));

        services.addService(StandbyServices.notLeader(CoordinatorGrpc.getServiceDescriptor(), this::leaderAddress));
        services.addService(StandbyServices.notLeader(CollectionServiceGrpc.getServiceDescriptor(),
                this::leaderAddress));
        ConnectionFailureLog.install();
        grpc = NettyServerBuilder.forAddress(new InetSocketAddress(config.host(), config.port()))
                .fallbackHandlerRegistry(services)
                .permitKeepAliveTime(10, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true)
                .build()
                .start();
        started.push(this::stopGrpc);
        address = config.advertisedHost() + ":" + grpc.getPort();
        id = p.containsKey(ServerConfig.PREFIX + "node.id") ? config.nodeId()
                : "coord-" + config.advertisedHost() + "-" + grpc.getPort();

        coordinators = Members.watch(meta, COORD_ROLE, new MembersListener() {
        });
        started.push(coordinators);
        started.push(this::endElection);
        register();
        LOG.info("Tidelog coordinator {} on {} ({} pchannels), campaigning", id, address, coordConfig.pchannelCount());
    }

    /** The pchannel count is fixed for the life of the data: the first coordinator records it, the others check. */
    private void checkPchannelCount() {
        Optional<KeyValue> kv = meta.get(PCHANNEL_COUNT_KEY);
        if (kv.isPresent()) {
            int recorded = Integer.parseInt(new String(kv.get().value(), StandardCharsets.UTF_8));
            if (recorded != coordConfig.pchannelCount()) {
                throw StreamingException.invalidArgument("this cluster has " + recorded + " pchannels ("
                        + CoordConfig.PCHANNEL_COUNT + " is fixed for the life of the data), not "
                        + coordConfig.pchannelCount());
            }
        }
    }

    /** A new session, and a campaign with it. */
    private void register() {
        Session s = Session.register(meta, sessionConfig, COORD_ROLE, id, address.getBytes(StandardCharsets.UTF_8),
                (lost, why) -> background.execute(() -> sessionLost(lost, why)));
        LeaderElection e = LeaderElection.campaign(s, ELECTION_KEY, address.getBytes(StandardCharsets.UTF_8),
                new LeadershipListener() {
                    @Override
                    public void onElected(Leadership leadership) {
                        beginTerm(leadership);
                    }

                    @Override
                    public void onDeposed(Leadership leadership, String reason) {
                        endTerm(reason);
                    }
                });
        synchronized (this) {
            if (!closed) {
                session = s;
                election = e;
                return;
            }
        }
        e.close(); // closed meanwhile (a lost session was being replaced): this life must not outlive the server
        s.close();
    }

    /** A self-fenced or otherwise lost session: stop leading (the election says so too), then a new life. */
    private void sessionLost(Session lost, String why) {
        synchronized (this) {
            if (closed || session != lost) {
                return;
            }
        }
        LOG.warn("coordinator {}: session {} lost ({}); registering again", id, lost.sessionId(), why);
        endElection();
        try {
            register();
        } catch (RuntimeException e) {
            LOG.warn("coordinator {}: registering again failed: {}; retrying", id, e.toString());
            timer.schedule(() -> background.execute(() -> sessionLost(lost, why)), 1, TimeUnit.SECONDS);
        }
    }

    private void endElection() {
        LeaderElection e;
        Session s;
        synchronized (this) {
            e = election;
            s = session;
            election = null;
            session = null;
        }
        if (e != null) {
            e.close(); // ends the term through onDeposed
        }
        if (s != null) {
            s.close();
        }
    }

    private void beginTerm(Leadership leadership) {
        LOG.info("coordinator {} leads the cluster at epoch {}", id, leadership.epoch());
        LeaderTerm t;
        try {
            t = new LeaderTerm(leadership);
        } catch (RuntimeException e) {
            LOG.error("coordinator {}: starting as leader failed; resigning", id, e);
            LeaderElection el;
            synchronized (this) {
                el = election;
            }
            if (el != null) {
                el.resign();
            }
            return;
        }
        synchronized (this) {
            if (closed) {
                t.close();
                return;
            }
            term = t;
        }
    }

    private void endTerm(String reason) {
        LeaderTerm t;
        synchronized (this) {
            t = term;
            term = null;
        }
        if (t != null) {
            LOG.info("coordinator {} no longer leads: {}", id, reason);
            t.close();
        }
    }

    /** The leader's address, if one is known (for a standby's answers). */
    Optional<String> leaderAddress() {
        LeaderElection e;
        synchronized (this) {
            e = election;
        }
        return e == null ? Optional.empty() : e.leader().map(l -> new String(l.info(), StandardCharsets.UTF_8));
    }

    /** Whether this coordinator leads now. */
    public synchronized boolean isLeader() {
        return term != null;
    }

    public String address() {
        return address;
    }

    public String id() {
        return id;
    }

    private ManagedChannel channel(String target) {
        return channels.computeIfAbsent(target, t -> NettyChannelBuilder.forTarget(t).usePlaintext().build());
    }

    /** One leadership: what the leader runs, from election to deposition. */
    private final class LeaderTerm implements AutoCloseable {
        final StreamingCoordinator coordinator;
        final ClusterNodes nodes;
        final CoordinatorService service;

        LeaderTerm(Leadership leadership) {
            LeaderGuardedMetaStore guarded = new LeaderGuardedMetaStore(meta, ELECTION_KEY, leadership.epoch());
            guarded.putIfAbsent(PCHANNEL_COUNT_KEY,
                    Integer.toString(coordConfig.pchannelCount()).getBytes(StandardCharsets.UTF_8));
            checkPchannelCount();
            coordinator = new StreamingCoordinator(guarded, coordConfig, tsoConfig, InstantSource.system());
            try {
                nodes = new ClusterNodes(coordinator.assigner(), CoordServer.this::channel, coordConfig.removeTimeout(),
                        coordConfig.healthInterval(), coordConfig.healthTimeout(), timer).start(meta);
            } catch (RuntimeException e) {
                coordinator.close();
                throw e;
            }
            service = new CoordinatorService(coordinator, new ClusterStatusSource(nodes), background);
            services.addService(service);
        }

        @Override
        public void close() {
            services.addService(StandbyServices.notLeader(CoordinatorGrpc.getServiceDescriptor(),
                    CoordServer.this::leaderAddress));
            service.endWatches(new StreamingException(ErrorCode.NOT_LEADER, "coordinator " + id
                    + " no longer leads the cluster"));
            nodes.close();
            coordinator.close();
        }
    }

    /** Status of a cluster as the leader sees it: nodes by their heartbeats, coordinators by their sessions. */
    private final class ClusterStatusSource implements CoordinatorService.StatusSource {
        private final ClusterNodes nodes;

        ClusterStatusSource(ClusterNodes nodes) {
            this.nodes = nodes;
        }

        @Override
        public List<NodeStatus> nodes() {
            List<NodeStatus> out = new ArrayList<>();
            Map<String, String> addresses = nodes.addresses();
            Map<String, Boolean> health = nodes.health();
            for (Map.Entry<String, String> en : new java.util.TreeMap<>(addresses).entrySet()) {
                out.add(NodeStatus.newBuilder().setNodeId(en.getKey()).setAddress(en.getValue())
                        .setAlive(health.getOrDefault(en.getKey(), false)).build());
            }
            return out;
        }

        @Override
        public List<WalStatus> walStatus() {
            return List.of();
        }

        @Override
        public List<CoordinatorStatus> coordinators() {
            Optional<LeaderInfo> leader;
            synchronized (CoordServer.this) {
                leader = election == null ? Optional.empty() : election.leader();
            }
            List<CoordinatorStatus> out = new ArrayList<>();
            for (SessionInfo s : coordinators.current().values()) {
                boolean leads = leader.isPresent() && leader.get().memberId().equals(s.id())
                        && leader.get().sessionId() == s.sessionId();
                out.add(CoordinatorStatus.newBuilder().setCoordinatorId(s.id())
                        .setAddress(new String(s.info(), StandardCharsets.UTF_8)).setLeader(leads).build());
            }
            return out;
        }
    }

    private void stopGrpc() throws InterruptedException {
        grpc.shutdown();
        if (!grpc.awaitTermination(config.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
            grpc.shutdownNow();
            grpc.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** Resigns (if leading) and stops, in reverse start order. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        Closeables.closeAll(started);
    }
}
