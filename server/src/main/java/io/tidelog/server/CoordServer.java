package io.tidelog.server;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.util.MutableHandlerRegistry;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.Closeables;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.coord.CatalogConfig;
import io.tidelog.coord.CollectionCatalog;
import io.tidelog.coord.CoordConfig;
import io.tidelog.coord.DroppedCollectionCollector;
import io.tidelog.coord.GcConfig;
import io.tidelog.coord.LeaderGuardedMetaStore;
import io.tidelog.coord.PchannelAssigner;
import io.tidelog.coord.ReplicaPlacer;
import io.tidelog.coord.StreamingCoordinator;
import io.tidelog.coord.VchannelAppender;
import io.tidelog.message.MessageLimits;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaStore;
import io.tidelog.objectstore.ObjectStore;
import io.tidelog.objectstore.ObjectStores;
import io.tidelog.proto.CollectionServiceGrpc;
import io.tidelog.proto.CoordinatorGrpc;
import io.tidelog.proto.CoordinatorStatus;
import io.tidelog.proto.NodeStatus;
import io.tidelog.proto.PchannelStatus;
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
import java.util.SortedMap;
import java.util.TreeMap;
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
 * <p>The leader runs a {@link LeaderTerm}, everything of it on the meta store seen through a
 * {@link LeaderGuardedMetaStore} of its epoch (so a deposed leader writes nothing, whatever it believes): the
 * {@link StreamingCoordinator} (TSO, assignments), the {@link ClusterNodes} that feed its assigner with the node
 * sessions and their heartbeats, the Coordinator service, the {@link CollectionCatalog} with the CollectionService
 * (DDL is broadcast to the vchannels through a {@link StreamingClient} aimed at this coordinator, which follows the
 * leader and appends on the nodes that own the pchannels, as any producer), and, when {@code objectstore.uri} names
 * the object store of flushed segments, the {@link DroppedCollectionCollector}. A standby answers every Coordinator
 * and CollectionService call with {@code NOT_LEADER} naming the leader. When the leadership ends (another
 * coordinator took the key, the session was lost), the term closes: the standby services come back first, the
 * assignment streams end with {@code NOT_LEADER} so clients move at once, DDL calls still waiting for their broadcast
 * end with {@code ON_SHUTDOWN} (not {@code NOT_LEADER}: the outcome is unknown, the DDL may be persisted; the client
 * sends them again to the next coordinator, which answers {@code ALREADY_EXISTS} or {@code NOT_FOUND} if the first
 * took effect), then the rest stops. A new leader reads every record and
 * goes on from it: pchannels whose node sessions still live keep their terms; the TSO starts above the high-water
 * mark its predecessor persisted; the DDL broadcasts its predecessor left pending resume before any new DDL (the
 * appends carry the same idempotency keys, so a vchannel that had one gets no second copy). A lost session
 * (self-fenced) is replaced by a new one, which campaigns again.
 *
 * <p>Without {@code objectstore.uri} the coordinator runs, with a warning at its start: dropped collections' files
 * are never removed, and ListSegments lists no flushed segment. Even with it, ListSegments lists only what the
 * manifests in object storage say: growing segments live on the nodes, which the coordinator does not ask yet.
 *
 * <p>Metrics and health on the HTTP port ({@code http.*}, default 9092): {@code /metrics} ({@link CoordMetrics} and the
 * JVM's), {@code /healthz}, {@code /readyz} (the meta store answers and the coordinator holds a session; a standby is
 * ready too, see {@link #whyNoSession()}), and the leader's {@link StatusPage} (collections with their flushed
 * segments only: growing ones live on the nodes; a standby's {@code /api/status} answers 503 naming the leader).
 *
 * <p>Start order: the process's meters, meta store, security ({@link ServerSecurity}: its calls to the nodes carry
 * {@code security.cluster.token} and its TLS; it checks the tokens of both ports), HTTP port, object store, gRPC
 * server (standby services), the coordinators' view, session, election; closed in reverse. Threads: election and session callbacks arrive on their own threads; starting and
 * ending a term happens on the election's thread, which waits for it; the current term is guarded by this object's
 * monitor.
 */
public final class CoordServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CoordServer.class);
    /** The object store of flushed segments: {@code objectstore.uri} ({@code file:DIR} or {@code s3://bucket/prefix}). */
    static final String OBJECTSTORE_PREFIX = "objectstore.";
    static final String OBJECTSTORE_URI = OBJECTSTORE_PREFIX + "uri";
    /** Configuration key prefixes a coordinator understands. */
    static final Set<String> PREFIXES = Set.of(ServerConfig.PREFIX, CoordConfig.PREFIX, "tso.", "meta.", "session.",
            CatalogConfig.PREFIX, GcConfig.PREFIX, MessageLimits.PREFIX, OBJECTSTORE_PREFIX, SecurityConfig.PREFIX,
            HttpConfig.PREFIX);
    static final String ELECTION_KEY = "coord/leader";
    static final String COORD_ROLE = "coord";
    /** The pchannel count the cluster was first started with: fixed for the life of the data. */
    static final String PCHANNEL_COUNT_KEY = "coord/config/pchannel-count";

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final ServerConfig config;
    private final CoordConfig coordConfig;
    private final TsoConfig tsoConfig;
    private final SessionConfig sessionConfig;
    private final CatalogConfig catalogConfig;
    private final GcConfig gcConfig;
    private final MessageLimits limits;
    private final SecurityConfig securityConfig;
    private final HttpConfig httpConfig;
    private ProcessMetrics metrics;
    /** Counted by every leadership's assigner, so totals outlive the terms. */
    private CoordMetrics coordMetrics;
    private Readiness readiness;
    private HttpEndpoints http;
    /** Made at the start, before anything that calls other members; read by their threads after. */
    private ServerSecurity security;
    private final MutableHandlerRegistry services = new MutableHandlerRegistry();
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private MetaStore meta;
    private Server grpc;
    private String address;
    private String id;
    private Members coordinators;
    private ScheduledExecutorService timer;
    private ExecutorService background;
    /** Where CollectionService calls are answered (and segments listed), outliving the terms. */
    private ExecutorService collectionCalls;
    /** The object store of flushed segments, if configured. */
    private Optional<ObjectStore> objects = Optional.empty();
    /** Under the monitor. */
    private Session session;
    private LeaderElection election;
    private LeaderTerm term;
    private boolean closed;

    private CoordServer(ServerConfig config, CoordConfig coordConfig, TsoConfig tsoConfig, SessionConfig sessionConfig,
                        CatalogConfig catalogConfig, GcConfig gcConfig, MessageLimits limits,
                        SecurityConfig securityConfig, HttpConfig httpConfig) {
        this.config = config;
        this.coordConfig = coordConfig;
        this.tsoConfig = tsoConfig;
        this.sessionConfig = sessionConfig;
        this.catalogConfig = catalogConfig;
        this.gcConfig = gcConfig;
        this.limits = limits;
        this.securityConfig = securityConfig;
        this.httpConfig = httpConfig;
    }

    /**
     * Starts a coordinator. {@code properties} hold {@code meta.etcd.*} (at least {@code meta.etcd.endpoints}),
     * {@code server.*}, {@code coord.*}, {@code tso.*}, {@code session.*}, {@code catalog.*}, {@code gc.*},
     * {@code message.*} (the limits of the DDL broadcast's client) and {@code objectstore.*} keys
     * ({@code objectstore.uri} with the {@code objectstore.s3.*} settings, as standalone takes them); unknown keys fail
     * with {@code INVALID_ARGUMENT}, and so do {@code objectstore.*} settings without {@code objectstore.uri}. The
     * member id is {@code server.node.id} if set, else {@code coord-<host>-<port>}.
     */
    public static CoordServer start(Map<String, String> properties) {
        ConfigKeys.checkPrefixes(properties, PREFIXES, "a coordinator");
        SecurityConfig security = SecurityConfig.from(ConfigKeys.only(properties, SecurityConfig.PREFIX));
        HttpConfig http = HttpConfig.from(ConfigKeys.only(properties, HttpConfig.PREFIX), HttpConfig.COORD_PORT)
                .checkedWith(security);
        CoordServer s = new CoordServer(ServerConfig.from(ConfigKeys.only(properties, ServerConfig.PREFIX)),
                CoordConfig.from(ConfigKeys.only(properties, CoordConfig.PREFIX)),
                TsoConfig.from(ConfigKeys.only(properties, "tso.")),
                SessionConfig.from(ConfigKeys.only(properties, "session.")),
                CatalogConfig.from(ConfigKeys.only(properties, CatalogConfig.PREFIX)),
                GcConfig.from(ConfigKeys.only(properties, GcConfig.PREFIX)),
                MessageLimits.from(ConfigKeys.only(properties, MessageLimits.PREFIX)),
                security, http);
        try {
            s.startAll(properties);
            return s;
        } catch (RuntimeException | IOException e) {
            Closeables.closeQuietly(s, e);
            throw StreamingException.from(e);
        }
    }

    private void startAll(Map<String, String> p) throws IOException {
        metrics = new ProcessMetrics();
        started.push(metrics);
        coordMetrics = new CoordMetrics(metrics.registry(), coordConfig.pchannels());
        meta = ConfigKeys.clusterMetaStore(p);
        started.push(meta);
        security = ServerSecurity.forMember(securityConfig, "coordinator");
        started.push(security);
        // HTTP answers from here on; /readyz says 503 until the session is registered.
        readiness = new Readiness(() -> meta.get(ELECTION_KEY), this::whyNoSession, List::of, List::of);
        http = ProcessHttp.start(httpConfig, security, readiness, metrics, () -> coordMetrics.refresh(snapshot()));
        started.push(http);
        checkPchannelCount();
        openObjectStore(p);
        SegmentListing flushed = SegmentListing.manifestsOnly(objects);
        new StatusPage(() -> leading().service.status(), () -> leading().catalog.list(), flushed::of,
                InstantSource.system()).addTo(http);
        timer = Executors.newScheduledThreadPool(2, ServerExecutors.daemon("coord-timer"));
        started.push(() -> ServerExecutors.shutdown(timer));
        background = Executors.newFixedThreadPool(2, ServerExecutors.daemon("coord-background"));
        started.push(() -> ServerExecutors.shutdown(background));
        started.push(() -> channels.values().forEach(ManagedChannel::shutdownNow));
        collectionCalls = Executors.newFixedThreadPool(2, ServerExecutors.daemon("coord-collection-calls"));
        started.push(() -> ServerExecutors.shutdown(collectionCalls));

        services.addService(StandbyServices.notLeader(CoordinatorGrpc.getServiceDescriptor(), this::leaderAddress));
        services.addService(StandbyServices.notLeader(CollectionServiceGrpc.getServiceDescriptor(),
                this::leaderAddress));
        ConnectionFailureLog.install();
        grpc = security.applyTo(NettyServerBuilder.forAddress(new InetSocketAddress(config.host(), config.port()))
                .fallbackHandlerRegistry(services)
                .permitKeepAliveTime(10, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true), config.host(), "coordinator")
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
        readiness.serving(true);
        LOG.info("Tidelog coordinator {} on {} ({} pchannels), campaigning; HTTP on {}", id, address,
                coordConfig.pchannelCount(), httpAddress());
    }

    /**
     * Why the coordinator is not ready beyond the meta store: only when it has no session (starting, or registering
     * again after a lost one). A standby with a session is ready: it can take over, and meanwhile it answers every call
     * by naming the leader, which is its service; a load balancer may send clients to any ready coordinator.
     */
    private synchronized String whyNoSession() {
        return session == null ? "no session in the meta store: registering" : null;
    }

    /** The current leadership's parts; {@code NOT_LEADER} naming the leader on a standby. */
    private LeaderTerm leading() {
        LeaderTerm t;
        synchronized (this) {
            t = term;
        }
        if (t == null || t.service == null || t.catalog == null) {
            throw new StreamingException(ErrorCode.NOT_LEADER, "coordinator " + id + " is a standby; the leader is "
                    + leaderAddress().map(a -> "at " + a + " (its HTTP port shows the status page)")
                    .orElse("not known yet"));
        }
        return t;
    }

    /** What the coordinator's gauges read: the leader's records and nodes, or a standby's nothing. */
    private CoordMetrics.Snapshot snapshot() {
        LeaderTerm t;
        synchronized (this) {
            t = term;
        }
        return t == null ? CoordMetrics.Snapshot.STANDBY : t.snapshot();
    }

    /**
     * Opens the object store of flushed segments if {@code objectstore.uri} names one. Without it the coordinator
     * runs (a cluster may keep no historical data yet), once warned: the collector of dropped collections' files
     * does not run and ListSegments lists nothing flushed.
     */
    private void openObjectStore(Map<String, String> p) {
        Map<String, String> settings = ConfigKeys.only(p, OBJECTSTORE_PREFIX);
        String uri = settings.remove(OBJECTSTORE_URI);
        if (uri == null) {
            if (!settings.isEmpty()) {
                throw StreamingException.invalidArgument("object store settings " + new TreeSet<>(settings.keySet())
                        + " without " + OBJECTSTORE_URI + " (file:DIR or s3://bucket/prefix)");
            }
            LOG.warn("no {} given: this coordinator, when it leads, removes no dropped collection's files, and lists"
                    + " no flushed segment (-c {}=file:DIR or s3://bucket/prefix, the nodes' object store)",
                    OBJECTSTORE_URI, OBJECTSTORE_URI);
            return;
        }
        ObjectStore store = ObjectStores.open(uri, settings);
        started.push(store);
        objects = Optional.of(store);
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

    /** The HTTP port of {@code /metrics}, {@code /healthz} and {@code /readyz}. */
    public int httpPort() {
        return http.port();
    }

    /** host:port of the HTTP endpoints. */
    public String httpAddress() {
        return httpConfig.host() + ":" + http.port();
    }

    private ManagedChannel channel(String target) {
        return channels.computeIfAbsent(target, security::channel);
    }

    /**
     * One leadership: what the leader runs, from election to deposition, all of it on the meta store guarded by the
     * leadership's epoch. Started in order (coordinator, nodes, Coordinator service, the catalog's client, catalog,
     * collector, CollectionService); closed with the standby services first, then in reverse.
     */
    private final class LeaderTerm implements AutoCloseable {
        private final Deque<AutoCloseable> parts = new ArrayDeque<>();
        private volatile CoordinatorService service;
        private volatile CollectionCatalog catalog;
        private volatile StreamingCoordinator coordinator;
        private volatile ClusterNodes nodes;

        LeaderTerm(Leadership leadership) {
            LeaderGuardedMetaStore guarded = new LeaderGuardedMetaStore(meta, ELECTION_KEY, leadership.epoch());
            guarded.putIfAbsent(PCHANNEL_COUNT_KEY,
                    Integer.toString(coordConfig.pchannelCount()).getBytes(StandardCharsets.UTF_8));
            checkPchannelCount();
            try {
                startParts(guarded);
            } catch (RuntimeException e) {
                Closeables.closeQuietly(this, e);
                throw e;
            }
        }

        private void startParts(LeaderGuardedMetaStore guarded) {
            StreamingCoordinator coordinator = new StreamingCoordinator(guarded, coordConfig, tsoConfig,
                    InstantSource.system(), coordMetrics);
            parts.push(coordinator);
            this.coordinator = coordinator;
            ClusterNodes nodes = new ClusterNodes(coordinator.assigner(), CoordServer.this::channel,
                    coordConfig.removeTimeout(), coordConfig.healthInterval(), coordConfig.healthTimeout(), timer)
                    .start(meta);
            parts.push(nodes);
            this.nodes = nodes;
            service = new CoordinatorService(coordinator,
                    new ClusterStatusSource(nodes, coordinator.assigner()), background);
            services.addService(service);

            // DDL is broadcast like any producer's appends: through a client that finds the pchannels' nodes from
            // the leader, this coordinator first.
            StreamingClient self = security.client(StreamingClient.builder()).target(address).messageLimits(limits)
                    .build();
            parts.push(self);
            CollectionCatalog catalog = new CollectionCatalog(guarded, coordinator.pchannels(), catalogConfig,
                    coordinator.tso(), InstantSource.system());
            parts.push(catalog);
            this.catalog = catalog;
            coordinator.assigner().spreadShards(catalog::collectionsByPchannel);
            catalog.start(m -> self.append(m)
                    .thenApply(a -> new VchannelAppender.Ack(a.id(), a.timeTick(), a.flushedSegmentIds())));
            if (objects.isPresent()) {
                DroppedCollectionCollector gc = new DroppedCollectionCollector(guarded, objects.get(),
                        new SegmentObjectLayout(), gcConfig, InstantSource.system());
                parts.push(gc);
                gc.start();
            }
            services.addService(new CollectionService(catalog, collectionCalls,
                    SegmentListing.manifestsOnly(objects)));
            parts.push(new ReplicaPlacer(coordinator, catalog::replicaCollections,
                    () -> replicaNodes(nodes, coordinator.assigner()), timer, coordConfig.healthInterval()).start());
        }

        /** The leader's records and live nodes, for the meters. */
        CoordMetrics.Snapshot snapshot() {
            StreamingCoordinator c = coordinator;
            ClusterNodes n = nodes;
            int alive = n == null ? 0 : (int) n.health().values().stream().filter(Boolean::booleanValue).count();
            return new CoordMetrics.Snapshot(true, c == null ? List.of() : c.assignments().assignments(), alive);
        }

        /** The nodes that may run replicas: alive (heartbeats come) and not drained, each with its address. */
        private static SortedMap<String, String> replicaNodes(ClusterNodes nodes, PchannelAssigner assigner) {
            SortedMap<String, String> out = new TreeMap<>();
            Map<String, Boolean> health = nodes.health();
            Set<String> draining = assigner.drainingNodes();
            nodes.addresses().forEach((id, address) -> {
                if (health.getOrDefault(id, false) && !draining.contains(id)) {
                    out.put(id, address);
                }
            });
            return out;
        }

        /**
         * The standby services first (new calls go to the next leader), the assignment streams end with
         * {@code NOT_LEADER}; then in reverse start order: the collector, the catalog (DDL calls waiting for their
         * broadcast end with {@code ON_SHUTDOWN}), its client, the nodes, the coordinator.
         */
        @Override
        public void close() {
            services.addService(StandbyServices.notLeader(CollectionServiceGrpc.getServiceDescriptor(),
                    CoordServer.this::leaderAddress));
            services.addService(StandbyServices.notLeader(CoordinatorGrpc.getServiceDescriptor(),
                    CoordServer.this::leaderAddress));
            if (service != null) {
                service.endWatches(new StreamingException(ErrorCode.NOT_LEADER, "coordinator " + id
                        + " no longer leads the cluster"));
            }
            List<AutoCloseable> order = List.copyOf(parts);
            parts.clear();
            Closeables.closeAll(order);
        }
    }

    /** Status of a cluster as the leader sees it: nodes by their heartbeats, coordinators by their sessions. */
    private final class ClusterStatusSource implements CoordinatorService.StatusSource {
        private final ClusterNodes nodes;

        private final PchannelAssigner assigner;

        ClusterStatusSource(ClusterNodes nodes, PchannelAssigner assigner) {
            this.nodes = nodes;
            this.assigner = assigner;
        }

        @Override
        public List<NodeStatus> nodes() {
            List<NodeStatus> out = new ArrayList<>();
            Map<String, String> addresses = nodes.addresses();
            Map<String, Boolean> health = nodes.health();
            Set<String> draining = assigner.drainingNodes();
            for (Map.Entry<String, String> en : new java.util.TreeMap<>(addresses).entrySet()) {
                out.add(NodeStatus.newBuilder().setNodeId(en.getKey()).setAddress(en.getValue())
                        .setAlive(health.getOrDefault(en.getKey(), false))
                        .setDraining(draining.contains(en.getKey())).build());
            }
            return out;
        }

        @Override
        public List<PchannelStatus> walStatus() {
            return nodes.walStatus();
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
        if (readiness != null) {
            readiness.serving(false);
        }
        Closeables.closeAll(started);
    }
}
