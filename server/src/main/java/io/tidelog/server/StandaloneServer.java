package io.tidelog.server;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.Closeables;
import io.tidelog.common.StreamingException;
import io.tidelog.coord.CatalogConfig;
import io.tidelog.coord.CollectionCatalog;
import io.tidelog.coord.CoordConfig;
import io.tidelog.coord.DroppedCollectionCollector;
import io.tidelog.coord.GcConfig;
import io.tidelog.coord.StreamingCoordinator;
import io.tidelog.coord.VchannelAppender;
import io.tidelog.delegator.QueryConfig;
import io.tidelog.flush.FlusherConfig;
import io.tidelog.message.MessageLimits;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.MetaStores;
import io.tidelog.node.NodeConfig;
import io.tidelog.node.extension.DedupConfig;
import io.tidelog.node.shard.ShardConfig;
import io.tidelog.node.txn.TxnConfig;
import io.tidelog.objectstore.ObjectStore;
import io.tidelog.objectstore.ObjectStores;
import io.tidelog.parquet.ParquetConfig;
import io.tidelog.tso.TsoConfig;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalBackend;
import io.tidelog.wal.WalBackends;
import io.tidelog.wal.local.LocalWalConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tidelog in one process: the coordinator and one streaming node, the embedded meta store, the
 * {@code local} WAL, all under one data directory, serving gRPC on one port.
 *
 * <pre>
 * &lt;data dir&gt;/meta   embedded meta store (assignments, terms, TSO high-water mark, collection catalog,
 *                  DDL broadcast tasks)
 * &lt;data dir&gt;/wal    local WAL, one directory per pchannel
 * &lt;data dir&gt;/objects historical data (Parquet segments, delete logs, manifests) unless
 *                  {@code objectstore.uri} names another store
 * &lt;data dir&gt;/flush-scratch  files being written before their upload
 * </pre>
 *
 * Start order: the process's meters ({@link ProcessMetrics}), security ({@link ServerSecurity}: the token file's
 * reader, for both ports), meta store, coordinator (TSO; its assigner counts terms for {@link CoordMetrics}), the HTTP
 * port ({@code /metrics}, {@code /healthz}, {@code /readyz}: not ready until the end of the start; checked by
 * {@link HttpAccess}), collection catalog,
 * WAL backend, object store with the coordinator's garbage collector of dropped collections, node
 * ({@link StreamingNodeParts}, its WALs reporting to {@link WalMeters}; {@link WalGauges} read their status), gRPC
 * server (on 127.0.0.1 unless {@code server.host} says otherwise) and the {@link StatusPage} on the HTTP port, then
 * the coordinator assigns every pchannel to the node at a new term, then a streaming client aimed at this
 * server is made for the catalog, which starts broadcasting DDL through it (resuming the DDL a previous run
 * left unfinished). {@link #close()} stops in reverse order.
 */
public final class StandaloneServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StandaloneServer.class);
    /** Configuration key prefixes a standalone server understands. */
    static final Set<String> PREFIXES = Set.of(ServerConfig.PREFIX, NodeConfig.PREFIX, CoordConfig.PREFIX,
            CatalogConfig.PREFIX, MessageLimits.PREFIX, DedupConfig.PREFIX, ShardConfig.PREFIX, TxnConfig.PREFIX,
            FlusherConfig.PREFIX, ParquetConfig.PREFIX, QueryConfig.PREFIX, "tso.", "wal.", "meta.", "objectstore.",
            GcConfig.PREFIX, SecurityConfig.PREFIX, HttpConfig.PREFIX);
    /** Where flushed segments go: {@code file:DIR} or {@code s3://bucket/prefix}. */
    static final String OBJECT_STORE_URI = "objectstore.uri";

    static final long STANDALONE_SEGMENT_BYTES = 16 << 20;
    static final String LOCAL_WAL = "local";
    /** The meta key that remembers which WAL backend the data directory was started with. */
    private static final String WAL_BACKEND_KEY = "standalone/wal-backend";
    /** The meta key whose revision numbers the standalone node's sessions (one per start). */
    private static final String NODE_SESSION_KEY = "standalone/node-session";

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final ServerConfig config;
    private final HttpConfig httpConfig;
    private Server grpc;
    private HttpEndpoints http;
    private Readiness readiness;
    private String address;
    private StreamingCoordinator coordinator;
    private volatile StreamingNodeParts node;
    private volatile WalGauges gauges;
    private CollectionCatalog catalog;
    private ObjectStore objects;

    private StandaloneServer(ServerConfig config, HttpConfig httpConfig) {
        this.config = config;
        this.httpConfig = httpConfig;
    }

    /**
     * Starts a standalone server over {@code dataDir}. {@code properties} may hold any component's keys
     * ({@code server.*}, {@code node.*}, {@code dedup.*}, {@code txn.*}, {@code shard.*}, {@code coord.*},
     * {@code catalog.*}, {@code gc.*}, {@code message.*}, {@code tso.*}, {@code wal.local.*}, {@code meta.embedded.*}); unknown
     * keys fail with {@code INVALID_ARGUMENT}.
     */
    public static StandaloneServer start(Path dataDir, Map<String, String> properties) {
        Configs c = Configs.from(dataDir, properties);
        StandaloneServer s = new StandaloneServer(c.server(), c.http());
        try {
            s.startAll(c, dataDir);
            return s;
        } catch (RuntimeException | IOException e) {
            Closeables.closeQuietly(s, e);
            throw StreamingException.from(e);
        }
    }

    /**
     * The configuration of every component of a standalone server, read and checked once, before anything starts
     * ({@code tidelog config show} reads it the same way). The keys of the WAL backend, the object store and the
     * meta store are checked by them as they start.
     *
     * @param p every key, with the standalone's defaults for the data directory's paths
     */
    record Configs(Map<String, String> p, ServerConfig server, StreamingNodeParts.Configs node, CoordConfig coord,
                   TsoConfig tso, CatalogConfig catalog, GcConfig gc, String walBackend, SecurityConfig security,
                   HttpConfig http) {

        /** @throws StreamingException {@code INVALID_ARGUMENT} naming an unknown key or a bad value */
        static Configs from(Path dataDir, Map<String, String> properties) {
            ConfigKeys.checkPrefixes(properties, PREFIXES, "a standalone server");
            Map<String, String> p = new HashMap<>(properties);
            if (p.getOrDefault(WalBackends.BACKEND, WalBackends.DEFAULT_BACKEND).trim().equals(LOCAL_WAL)) {
                p.putIfAbsent(LocalWalConfig.DIR, dataDir.resolve("wal").toString());
            }
            p.putIfAbsent("meta.embedded.dir", dataDir.resolve("meta").toString());
            p.putIfAbsent(OBJECT_STORE_URI, "file:" + dataDir.resolve("objects").toAbsolutePath());
            SecurityConfig security = SecurityConfig.from(ConfigKeys.only(p, SecurityConfig.PREFIX));
            if (security.clusterToken() != null) {
                throw StreamingException.invalidArgument(SecurityConfig.CLUSTER_TOKEN + " is for the members of a"
                        + " cluster; a standalone's own calls carry a token of their own (give users tokens in "
                        + SecurityConfig.TOKENS_FILE + ")");
            }
            HttpConfig http = HttpConfig.from(ConfigKeys.only(p, HttpConfig.PREFIX)).checkedWith(security);
            return new Configs(p, ServerConfig.from(ConfigKeys.only(p, ServerConfig.PREFIX), ServerConfig.LOOPBACK),
                    StreamingNodeParts.Configs.from(p), CoordConfig.from(ConfigKeys.only(p, CoordConfig.PREFIX)),
                    TsoConfig.from(ConfigKeys.only(p, "tso.")),
                    CatalogConfig.from(ConfigKeys.only(p, CatalogConfig.PREFIX)),
                    GcConfig.from(ConfigKeys.only(p, GcConfig.PREFIX)), WalBackends.selected(p), security, http);
        }
    }

    private void startAll(Configs c, Path dataDir) throws IOException {
        Map<String, String> p = c.p();
        StreamingNodeParts.Configs nodeConfigs = c.node();
        MessageLimits limits = nodeConfigs.limits();
        CoordConfig coordConfig = c.coord();
        TsoConfig tsoConfig = c.tso();
        CatalogConfig catalogConfig = c.catalog();
        String walBackend = c.walBackend();
        StandaloneDisk.checkRoomToStart(Path.of(p.get("meta.embedded.dir")),
                walBackend.equals(LOCAL_WAL) ? Path.of(p.get(LocalWalConfig.DIR)) : null, coordConfig.pchannelCount());

        ProcessMetrics metrics = new ProcessMetrics();
        started.push(metrics);
        // Before HTTP: the HTTP port checks the same tokens and serves the same certificate as the gRPC port.
        ServerSecurity security = ServerSecurity.forStandalone(c.security());
        started.push(security);
        MetaStore meta = MetaStores.create("embedded", ConfigKeys.only(p, "meta."));
        started.push(meta);
        CoordMetrics coordMetrics = new CoordMetrics(metrics.registry(), coordConfig.pchannels());
        coordinator = new StreamingCoordinator(meta, coordConfig, tsoConfig, InstantSource.system(), coordMetrics);
        started.push(coordinator);
        // HTTP answers from here on, so /readyz says 503 while the WALs recover.
        startHttp(meta, metrics, security, coordMetrics);
        catalog = new CollectionCatalog(meta, coordinator.pchannels(), catalogConfig, coordinator.tso(),
                InstantSource.system());
        started.push(catalog);
        WalBackend backend = WalBackends.create(walBackend, WalSettings.of(walBackend, p, limits, coordConfig.pchannelCount()));
        started.push(backend);
        // Only once the backend's settings were accepted: a start that failed on them must not tie the directory to it.
        checkWal(meta, walBackend, backend, coordConfig.pchannels());

        Map<String, String> objectStoreSettings = ConfigKeys.only(p, "objectstore.");
        String objectStoreUri = objectStoreSettings.remove(OBJECT_STORE_URI);
        objects = ObjectStores.open(objectStoreUri, objectStoreSettings);
        started.push(objects);
        // The coordinator removes the files of dropped collections once gc.dropped.retention has passed.
        DroppedCollectionCollector gc = new DroppedCollectionCollector(meta, objects, new SegmentObjectLayout(),
                c.gc(), InstantSource.system());
        started.push(gc);
        gc.start();
        node = StreamingNodeParts.start(backend, meta, coordinator.tso(), objects, nodeConfigs, config.maxConsumers(),
                dataDir, new WalMeters(metrics.registry()));
        started.push(node);
        gauges = new WalGauges(metrics.registry(), coordinator::pchannels, node.wals()::status, node::extensions,
                node.retention().subscriptions(), InstantSource.system());

        ConnectionFailureLog.install(); // a connection that is not gRPC: one short line, not a stack trace
        InetSocketAddress bind = new InetSocketAddress(config.host(), config.port());
        // One whole produce request may carry the largest message; anything larger is refused early.
        int maxInbound = limits.maxRecordBytes() + (1 << 20);
        NettyServerBuilder server = NettyServerBuilder.forAddress(bind)
                .maxInboundMessageSize(maxInbound)
                .permitKeepAliveTime(10, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true);
        security.applyTo(server, config.host(), "standalone server");
        node.addServices(server);
        CoordinatorService coordinatorService = new CoordinatorService(coordinator,
                CoordinatorService.standalone(node.wals(), config.nodeId(), this::address), node.grpcResults());
        SegmentListing segments = new SegmentListing(node.shards(), objects);
        grpc = server
                .addService(coordinatorService)
                .addService(new CollectionService(catalog, node.grpcResults(), segments))
                .build()
                .start();
        started.push(this::stopGrpc);
        address = config.advertisedHost() + ":" + grpc.getPort();
        new StatusPage(coordinatorService::status, catalog::list, segments::of, InstantSource.system()).addTo(http);

        // The node's calls from the coordinator run here, one thread per open, so that no recovery waits for another.
        ExecutorService nodeCalls = Executors.newCachedThreadPool(ServerExecutors.daemon("node-control"));
        started.push(() -> ServerExecutors.shutdown(nodeCalls));
        // This life of the node: a number no earlier start had (the revision of the write that records it). Terms
        // are bound to it, so every start serves every pchannel at a new term.
        long session = meta.put(NODE_SESSION_KEY, config.nodeId().getBytes(StandardCharsets.UTF_8));
        coordinator.addNode(new LocalNode(config.nodeId(), session, address, node.wals(), nodeCalls));
        int walMax = node.wals().get(coordinator.pchannels().get(0), 0).maxRecordBytes();
        if (walMax < limits.maxRecordBytes()) {
            throw StreamingException.invalidArgument("the WAL accepts records of at most " + walMax + " bytes, less than "
                    + MessageLimits.MAX_BYTES_KEY + " allows once the node's fields are added (" + limits.maxRecordBytes() + ")");
        }
        // The catalog broadcasts DDL like any producer: through a client of this very server.
        StreamingClient self = security.client(StreamingClient.builder()).target(address).messageLimits(limits).build();
        started.push(self);
        catalog.start(m -> self.append(m)
                .thenApply(a -> new VchannelAppender.Ack(a.id(), a.timeTick(), a.flushedSegmentIds())));
        readiness.serving(true);
        LOG.info("Tidelog standalone serving {} pchannels on {}, HTTP on {}", coordinator.pchannels().size(), address,
                httpAddress());
    }

    /**
     * {@code /metrics}, {@code /healthz} and {@code /readyz} on the HTTP port, with the gRPC port's tokens and
     * certificate; the status page joins once the services it reads exist.
     */
    private void startHttp(MetaStore meta, ProcessMetrics metrics, ServerSecurity security, CoordMetrics coordMetrics) {
        readiness = new Readiness(() -> meta.get(NODE_SESSION_KEY), coordinator::pchannels,
                () -> node == null ? List.of() : node.wals().status());
        http = ProcessHttp.start(httpConfig, security, readiness, metrics, () -> {
            WalGauges g = gauges;
            if (g != null) {
                g.refresh();
            }
            // The coordinator in this process always leads; its one node is alive once started.
            coordMetrics.refresh(new CoordMetrics.Snapshot(true, coordinator.assignments().assignments(),
                    node == null ? 0 : 1));
        });
        started.push(http);
    }

    private void stopGrpc() throws InterruptedException {
        grpc.shutdown();
        if (!grpc.awaitTermination(config.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
            grpc.shutdownNow();
            grpc.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /**
     * A data directory restarts only on the WAL backend it was first started with: its recovery checkpoints and
     * subscriptions name positions in that log, which another backend does not have. And a new data directory starts
     * only on logs nobody wrote: a log outside the directory (a Kafka topic, an object store prefix) that another
     * server, or an earlier life of this directory, wrote would be replayed as this server's own, its messages
     * delivered again under the new catalog.
     */
    private static void checkWal(MetaStore meta, String backendName, WalBackend backend, List<String> pchannels) {
        Optional<String> before = meta.get(WAL_BACKEND_KEY).map(kv -> new String(kv.value(), StandardCharsets.UTF_8));
        if (before.isEmpty()) {
            List<String> written = new ArrayList<>();
            for (String pchannel : pchannels) {
                try (Wal wal = backend.open(OpenOptions.readOnly(pchannel))) {
                    if (!wal.isNew()) {
                        written.add(pchannel);
                    }
                }
            }
            if (!written.isEmpty()) {
                throw StreamingException.invalidArgument("this data directory is new, but the logs of " + written.size()
                        + " of its " + pchannels.size() + " pchannels " + abbreviate(written) + " were already written"
                        + " (on the " + backendName + " backend), by another server or by an earlier life of this"
                        + " directory; replaying them would deliver their messages again. Give this server logs of its"
                        + " own (for kafka wal.kafka.topic.prefix, for pulsar wal.pulsar.topic.prefix, for objectstore"
                        + " wal.objectstore.uri), remove those"
                        + " logs, or start on the data directory that wrote them");
            }
            meta.putIfAbsent(WAL_BACKEND_KEY, backendName.getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (!before.get().equals(backendName)) {
            throw StreamingException.invalidArgument("this data directory was started with the WAL backend '"
                    + before.get() + "' and cannot restart on '" + backendName + "' (its checkpoints name positions in"
                    + " that log); use --wal " + before.get() + ", or a new data directory");
        }
    }

    private static String abbreviate(List<String> names) {
        return names.size() <= 4 ? names.toString() : names.subList(0, 4) + " and " + (names.size() - 4) + " more";
    }

    /** host:port clients dial. */
    public String address() {
        return address;
    }

    public int port() {
        return grpc.getPort();
    }

    /** The node's parts (tests). */
    StreamingNodeParts node() {
        return node;
    }

    /** The HTTP port of the status page, {@code /metrics}, {@code /healthz} and {@code /readyz}. */
    public int httpPort() {
        return http.port();
    }

    /** host:port of the HTTP endpoints. */
    public String httpAddress() {
        return httpConfig.host() + ":" + http.port();
    }

    /** The HTTP port's base URL: {@code http://host:port} or, with TLS, {@code https://host:port}. */
    public String httpUrl() {
        return http.scheme() + "://" + httpAddress();
    }

    /** Blocks until the gRPC server terminates. */
    public void awaitTermination() throws InterruptedException {
        grpc.awaitTermination();
    }

    /**
     * Stops gracefully: gRPC stops taking calls, the catalog stops broadcasting (DDL calls in progress fail
     * with {@code ON_SHUTDOWN}; persisted DDL resumes on the next start), the node closes its WALs (accepted appends complete,
     * consume streams end with {@code ON_SHUTDOWN} so clients resume elsewhere), then everything else
     * in reverse start order. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (started.isEmpty()) {
            return;
        }
        if (readiness != null) {
            readiness.serving(false);
        }
        if (grpc != null) {
            grpc.shutdown();
        }
        if (catalog != null) {
            // DDL calls waiting for their broadcast end now (ON_SHUTDOWN), so gRPC can drain
            Closeables.closeQuietly(catalog, null);
        }
        if (node != null) {
            Closeables.closeQuietly(node.wals(), null);
        }
        List<AutoCloseable> order = List.copyOf(started);
        started.clear();
        Closeables.closeAll(order);
    }
}
