package io.tidelog.server;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.Closeables;
import io.tidelog.common.StreamingException;
import io.tidelog.delegator.QueryConfig;
import io.tidelog.flush.FlusherConfig;
import io.tidelog.message.MessageLimits;
import io.tidelog.meta.MetaStore;
import io.tidelog.node.NodeConfig;
import io.tidelog.node.WalStatus;
import io.tidelog.node.extension.DedupConfig;
import io.tidelog.node.shard.ShardConfig;
import io.tidelog.node.txn.TxnConfig;
import io.tidelog.objectstore.ObjectStore;
import io.tidelog.objectstore.ObjectStores;
import io.tidelog.parquet.ParquetConfig;
import io.tidelog.session.Members;
import io.tidelog.session.MembersListener;
import io.tidelog.session.Session;
import io.tidelog.session.SessionConfig;
import io.tidelog.session.SessionInfo;
import io.tidelog.wal.WalBackend;
import io.tidelog.wal.WalBackends;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One streaming node of a cluster ({@code tidelog node}): the WALs of the pchannels the leader coordinator assigns
 * to it, on a backend every node can open ({@code objectstore}, {@code kafka} or {@code pulsar}, which fence older terms at the
 * storage), with recovery state and subscriptions in the meta store (etcd), flushed segments in the shared object
 * store and time ticks from the leader's TSO ({@link CoordinatorTso}).
 *
 * <p><b>Session.</b> The node registers {@code session/node/<id>} (info: its gRPC address) under a lease; the leader
 * follows the sessions and sends assigns, removes and heartbeats ({@link NodeControlService}), each naming the
 * session it is meant for. When the session is lost (its keepalive failed for longer than the ttl less the margin,
 * or its lease or key is gone), the node stops serving every WAL at once, by itself, then registers a new session:
 * the leader has moved, or will move, its pchannels to other nodes at newer terms, and sees the new session as a
 * node that joined.
 *
 * <p><b>Stopping</b> ({@link #close()}, on SIGTERM) hands the pchannels back: the node asks the leader to drain it
 * (every pchannel removed here gracefully, so accepted appends finish and recovery state is saved, then opened
 * elsewhere), waits for that at most {@code server.shutdown.timeout} (not at all when no other node is live to take
 * them), then ends its session (the lease revoked, so
 * the leader moves at once whatever is left, fencing it at the storage), then stops the rest in reverse start order.
 *
 * <p>Metrics and health on the HTTP port ({@code http.*}, default 9093): {@code /metrics} (its WALs' meters,
 * {@link WalMeters} and {@link WalGauges} as standalone's, and the JVM's), {@code /healthz}, {@code /readyz} (a session
 * in the meta store, the meta store answers, every WAL it serves open and accepting appends).
 *
 * <p>Start order: security ({@link ServerSecurity}: its calls to the coordinator and the replica feeds carry
 * {@code security.cluster.token} and its TLS), the process's meters, meta store, HTTP port, the coordinators' sessions
 * (for the TSO and the drain), WAL backend, object store, node parts ({@link StreamingNodeParts}, its WALs reporting to
 * {@link WalMeters}), gRPC server, session. Threads: the session's listener runs on its
 * watchdog thread and hands the new registration to a background thread; the current session id is volatile.
 */
public final class NodeServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeServer.class);
    /** Configuration key prefixes a node understands. */
    static final Set<String> PREFIXES = Set.of(ServerConfig.PREFIX, NodeConfig.PREFIX, MessageLimits.PREFIX,
            DedupConfig.PREFIX, ShardConfig.PREFIX, TxnConfig.PREFIX, FlusherConfig.PREFIX, ParquetConfig.PREFIX,
            QueryConfig.PREFIX, "wal.", "meta.", "objectstore.", "session.", SecurityConfig.PREFIX, HttpConfig.PREFIX);
    static final String NODE_ROLE = "node";
    /** Backends a node of a cluster can serve on: every node must be able to open every pchannel's log. */
    static final Set<String> SHARED_BACKENDS = Set.of("objectstore", "kafka", "pulsar");

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final ServerConfig config;
    private final SessionConfig sessionConfig;
    private final ServerSecurity security;
    private final HttpConfig httpConfig;
    private Readiness readiness;
    private HttpEndpoints http;
    /** Set once the node's parts run; read by the scraping thread. */
    private volatile WalGauges gauges;
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private MetaStore meta;
    private Members coordinators;
    private StreamingNodeParts node;
    /** Runs the replica feeds' starts and stops; the replicas and their client, under the monitor. */
    private ScheduledExecutorService replicaThread;
    private ReplicaFollowers replicas;
    private StreamingClient replicaClient;
    private Server grpc;
    private String address;
    private ScheduledExecutorService background;
    /** The current session's id, 0 while there is none; written under the monitor. */
    private volatile long sessionId;
    /** Under the monitor. */
    private Session session;
    private boolean closed;

    private NodeServer(ServerConfig config, SessionConfig sessionConfig, ServerSecurity security,
                       HttpConfig httpConfig) {
        this.config = config;
        this.sessionConfig = sessionConfig;
        this.security = security;
        this.httpConfig = httpConfig;
        started.push(security);
    }

    /**
     * Starts a node. {@code properties} hold {@code meta.etcd.*} (at least {@code meta.etcd.endpoints}),
     * {@code server.*} (at least {@code server.node.id}), {@code wal.backend} ({@code objectstore}, {@code kafka} or {@code pulsar})
     * with the backend's keys, {@code objectstore.uri} (flushed segments; for the objectstore WAL it defaults to
     * {@code wal.objectstore.uri}) and any node component's keys; unknown keys fail with {@code INVALID_ARGUMENT}.
     *
     * @param dataDir where files being written before their upload are kept
     */
    public static NodeServer start(Path dataDir, Map<String, String> properties) {
        ConfigKeys.checkPrefixes(properties, PREFIXES, "a node");
        if (!properties.containsKey(ServerConfig.PREFIX + "node.id")) {
            throw StreamingException.invalidArgument("a node needs an id (server.node.id, --node-id)");
        }
        ServerConfig config = ServerConfig.from(ConfigKeys.only(properties, ServerConfig.PREFIX));
        SessionConfig sessionConfig = SessionConfig.from(ConfigKeys.only(properties, "session."));
        SecurityConfig security = SecurityConfig.from(ConfigKeys.only(properties, SecurityConfig.PREFIX));
        HttpConfig httpConfig = HttpConfig.from(ConfigKeys.only(properties, HttpConfig.PREFIX), HttpConfig.NODE_PORT)
                .checkedWith(security);
        NodeServer s = new NodeServer(config, sessionConfig, ServerSecurity.forMember(security, "node"), httpConfig);
        try {
            s.startAll(new HashMap<>(properties), dataDir);
            return s;
        } catch (RuntimeException | IOException e) {
            Closeables.closeQuietly(s, e);
            throw StreamingException.from(e);
        }
    }

    private void startAll(Map<String, String> p, Path dataDir) throws IOException {
        StreamingNodeParts.Configs nodeConfigs = StreamingNodeParts.Configs.from(p);
        String walBackend = WalBackends.selected(p);
        if (!SHARED_BACKENDS.contains(walBackend)) {
            throw StreamingException.invalidArgument("a node of a cluster needs a WAL every node can open: "
                    + new TreeSet<>(SHARED_BACKENDS) + ", not '" + walBackend + "'");
        }
        if (!p.containsKey(StandaloneServer.OBJECT_STORE_URI)) {
            String walUri = p.get("wal.objectstore.uri");
            if (!walBackend.equals("objectstore") || walUri == null) {
                throw StreamingException.invalidArgument("a node needs the shared object store of flushed segments ("
                        + StandaloneServer.OBJECT_STORE_URI + ", --object-store)");
            }
            p.put(StandaloneServer.OBJECT_STORE_URI, walUri);
        }
        Map<String, String> walSettings = WalSettings.of(walBackend, p, nodeConfigs.limits(), 0);

        ProcessMetrics metrics = new ProcessMetrics();
        started.push(metrics);
        meta = ConfigKeys.clusterMetaStore(p);
        started.push(meta);
        // HTTP answers from here on; /readyz says 503 until the node has a session and its WALs are open.
        String sessionKey = "session/" + NODE_ROLE + "/" + config.nodeId(); // a read proving the store answers
        readiness = new Readiness(() -> meta.get(sessionKey), this::whyNoSession,
                () -> node == null ? List.of() : node.wals().status().stream().map(WalStatus::pchannel).toList(),
                () -> node == null ? List.of() : node.wals().status());
        http = ProcessHttp.start(httpConfig, security, readiness, metrics, () -> {
            WalGauges g = gauges;
            if (g != null) {
                g.refresh();
            }
        });
        started.push(http);
        background = Executors.newSingleThreadScheduledExecutor(ServerExecutors.daemon("node-session"));
        started.push(() -> ServerExecutors.shutdown(background));
        started.push(() -> channels.values().forEach(ManagedChannel::shutdownNow));
        coordinators = Members.watch(meta, CoordServer.COORD_ROLE, new MembersListener() {
        });
        started.push(coordinators);
        NodeConfig n = nodeConfigs.node();
        CoordinatorTso tso = new CoordinatorTso(this::coordinatorAddresses, this::channel, n.tsoBatch(),
                n.tsoBatchMaxAge(), n.tsoTimeout());
        WalBackend backend = WalBackends.create(walBackend, walSettings);
        started.push(backend);
        Map<String, String> objectStoreSettings = ConfigKeys.only(p, "objectstore.");
        ObjectStore objects = ObjectStores.open(objectStoreSettings.remove(StandaloneServer.OBJECT_STORE_URI),
                objectStoreSettings);
        started.push(objects);
        node = StreamingNodeParts.start(backend, meta, tso, objects, nodeConfigs, config.maxConsumers(), dataDir,
                new WalMeters(metrics.registry()));
        started.push(node);
        gauges = new WalGauges(metrics.registry(), List::of, node.wals()::status, node::extensions,
                node.retention().subscriptions(), InstantSource.system());

        ConnectionFailureLog.install();
        NettyServerBuilder server = NettyServerBuilder.forAddress(new InetSocketAddress(config.host(), config.port()))
                .maxInboundMessageSize(nodeConfigs.limits().maxRecordBytes() + (1 << 20))
                .permitKeepAliveTime(10, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true);
        security.applyTo(server, config.host(), "node");
        node.addServices(server, () -> sessionId);
        grpc = server.build().start();
        started.push(this::stopGrpc);
        address = config.advertisedHost() + ":" + grpc.getPort();
        started.push(this::endSession);
        replicaThread = Executors.newSingleThreadScheduledExecutor(ServerExecutors.daemon("node-replicas"));
        started.push(() -> ServerExecutors.shutdown(replicaThread));
        started.push(this::stopReplicas);
        replicaThread.execute(() -> followReplicas(nodeConfigs.limits()));
        register();
        readiness.serving(true);
        LOG.info("Tidelog node {} serving on {} ({} WAL), session {}; HTTP on {}", config.nodeId(), address, walBackend,
                sessionId, httpAddress());
    }

    /** Not ready without a session: the leader assigns nothing to it, and it serves nothing (starting, or lost). */
    private String whyNoSession() {
        return sessionId == 0 ? "no session in the meta store: registering" : null;
    }

    /**
     * Starts the replicas the leader places on this node ({@link ReplicaFollowers}), through a client of the
     * coordinators known now; with none known yet, tries again every second. On the replica thread.
     */
    private void followReplicas(MessageLimits limits) {
        List<String> targets = coordinatorAddresses();
        synchronized (this) {
            if (closed) {
                return;
            }
            if (targets.isEmpty()) {
                replicaThread.schedule(() -> followReplicas(limits), 1, TimeUnit.SECONDS);
                return;
            }
            replicaClient = security.client(StreamingClient.builder()).targets(targets).messageLimits(limits).build();
            replicas = new ReplicaFollowers(config.nodeId(), node.delegators(), replicaClient, Duration.ofSeconds(1),
                    replicaThread).start();
        }
    }

    private void stopReplicas() {
        ReplicaFollowers r;
        StreamingClient c;
        synchronized (this) {
            r = replicas;
            c = replicaClient;
            replicas = null;
            replicaClient = null;
        }
        Closeables.closeAll(r, c);
    }

    private List<String> coordinatorAddresses() {
        List<String> out = new ArrayList<>();
        for (SessionInfo s : coordinators.current().values()) {
            out.add(new String(s.info(), StandardCharsets.UTF_8));
        }
        return out;
    }

    private ManagedChannel channel(String target) {
        return channels.computeIfAbsent(target, security::channel);
    }

    /** A new session; the node serves under it from now on. */
    private void register() {
        Session s = Session.register(meta, sessionConfig, NODE_ROLE, config.nodeId(),
                address.getBytes(StandardCharsets.UTF_8), this::sessionLost);
        synchronized (this) {
            if (!closed) {
                session = s;
                sessionId = s.sessionId();
                return;
            }
        }
        s.close();
    }

    /** On the session's watchdog thread: stop serving at once, then a new life. */
    private void sessionLost(Session lost, String why) {
        synchronized (this) {
            if (session != lost) {
                return;
            }
            session = null;
            sessionId = 0; // node control refuses every call from now on
        }
        List<String> removed = node.wals().removeAll();
        LOG.warn("node {}: session {} lost ({}); stopped serving {} pchannels {}; registering again", config.nodeId(),
                lost.sessionId(), why, removed.size(), removed);
        lost.close();
        background.execute(this::registerAgain);
    }

    private void registerAgain() {
        synchronized (this) {
            if (closed || session != null) {
                return;
            }
        }
        try {
            register();
            LOG.info("node {}: registered again, session {}", config.nodeId(), sessionId);
        } catch (RuntimeException e) {
            LOG.warn("node {}: registering again failed: {}; retrying", config.nodeId(), e.toString());
            background.schedule(this::registerAgain, 1, TimeUnit.SECONDS);
        }
    }

    /**
     * The graceful part of a stop: the leader drains this node (each pchannel removed here, so appends in flight
     * finish and recovery state is saved, before it opens elsewhere), within the shutdown timeout.
     */
    private void handBack() {
        if (sessionId == 0 || node.wals().status().isEmpty()) {
            return;
        }
        List<String> targets = coordinatorAddresses();
        if (targets.isEmpty()) {
            LOG.warn("node {}: no coordinator to hand the pchannels back to; they move when the session ends",
                    config.nodeId());
            return;
        }
        Duration timeout = config.shutdownTimeout();
        if (timeout.isZero()) {
            return;
        }
        try (StreamingClient client = security.client(StreamingClient.builder()).targets(targets).appendTimeout(timeout)
                .build()) {
            boolean another = client.statusBlocking().nodes().stream()
                    .anyMatch(n -> n.alive() && !n.nodeId().equals(config.nodeId()));
            if (!another) {
                LOG.warn("node {}: no other live node to hand the pchannels to; they wait for one", config.nodeId());
                return;
            }
            long drained = client.drainNodeBlocking(config.nodeId(), timeout);
            LOG.info("node {}: handed every pchannel back (session {} drained)", config.nodeId(), drained);
        } catch (RuntimeException e) {
            LOG.warn("node {}: handing the pchannels back did not finish within {} ({}); the rest move when the"
                    + " session ends", config.nodeId(), timeout, e.toString());
        }
    }

    private void endSession() {
        Session s;
        synchronized (this) {
            s = session;
            session = null;
            sessionId = 0;
        }
        if (s != null) {
            s.close();
        }
    }

    private void stopGrpc() throws InterruptedException {
        grpc.shutdown();
        if (!grpc.awaitTermination(config.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
            grpc.shutdownNow();
            grpc.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** host:port the coordinator and clients dial. */
    public String address() {
        return address;
    }

    public String nodeId() {
        return config.nodeId();
    }

    /** The current session's id; 0 while the node has none. */
    public long sessionId() {
        return sessionId;
    }

    /** The HTTP port of {@code /metrics}, {@code /healthz} and {@code /readyz}. */
    public int httpPort() {
        return http.port();
    }

    /** host:port of the HTTP endpoints. */
    public String httpAddress() {
        return httpConfig.host() + ":" + http.port();
    }

    /** How many pchannels this node serves now. */
    public int serving() {
        return node == null ? 0 : node.wals().status().size();
    }

    /**
     * Hands the pchannels back (see the class comment), ends the session, then stops in reverse start order: gRPC,
     * the node's parts (its WALs close: accepted appends complete, consume streams end with {@code ON_SHUTDOWN}),
     * the object store, the backend, the meta store. Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true; // no new session from now on; the current one serves until the hand-back is over
        }
        if (readiness != null) {
            readiness.serving(false);
        }
        if (node != null && grpc != null) {
            handBack();
        }
        Closeables.closeAll(started);
    }
}
