package io.tidelog.server;

import io.tidelog.common.StreamingException;
import io.tidelog.message.Rows;
import io.tidelog.proto.ClusterStatus;
import io.tidelog.proto.CollectionInfo;
import io.tidelog.proto.NodeStatus;
import io.tidelog.proto.PchannelStatus;
import io.tidelog.proto.SegmentInfo;
import io.tidelog.server.HttpEndpoints.Reply;
import io.tidelog.tso.HybridTimestamps;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongFunction;
import java.util.function.Supplier;

/**
 * The status page of the HTTP port: {@code /} a static page (HTML, a script, a style sheet, all from this jar, uPlot
 * from its webjar: nothing from elsewhere) that polls {@code /api/status} every second and draws each pchannel's
 * append rate and time-tick lag as small live charts; {@code /api/status} the JSON it polls, made from what
 * {@code GetStatus} answers ({@link CoordinatorService#status()}: pchannels with owner, term, state and WAL status;
 * nodes) and from the catalog with {@link SegmentListing} (collections and their segments). Append rates are the
 * page's: differences of successive {@code appended} totals (messages appended in the pchannel's term, TimeTicks
 * included) over the time between the answers' {@code now}.
 *
 * <p>{@code /api/status}:
 * <pre>
 * {"now": ms since the epoch,
 *  "pchannels": [{"pchannel", "nodeId", "term", "state", "available", "appended", "lastTimeTick", "lastTime" (ms),
 *                 "lagMillis" (now minus the last time tick's time, null before any), "inFlight", "bufferBytes",
 *                 "retainedBytes", "unavailableReason"}],
 *  "nodes": [{"nodeId", "address", "alive", "draining"}],
 *  "collections": [{"id", "name", "state", "vchannels": [...], "rows" (of its segments),
 *                   "segments": [{"id", "vchannel", "partitionId", "state" (growing, flushed, delete-log), "rows"}]}]}
 * </pre>
 * Ids of collections and segments and time ticks are strings: they are 64-bit, beyond JavaScript's exact integers.
 * Every route needs {@link HttpAccess.Access#READ} ({@code /} {@link HttpAccess.Access#PAGE}, where a browser logs in).
 * Thread-safe: each answer reads its sources on the request's thread. Each answer lists the manifests of every
 * collection in object storage (as {@code ListSegments} does): meant for tens of collections, polled by a few pages.
 */
final class StatusPage {
    /** The uPlot webjar's version: the server module's pom names the same. */
    static final String UPLOT_VERSION = "1.6.30";
    private static final String UPLOT = "/META-INF/resources/webjars/uplot/" + UPLOT_VERSION + "/dist/";
    private static final String OWN = "/io/tidelog/server/status/";
    /** Scripts and styles from this port only; inline styles for uPlot's sizing, nothing framed. */
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline';"
            + " connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

    private final Supplier<ClusterStatus> cluster;
    private final Supplier<List<CollectionInfo>> collections;
    private final LongFunction<List<SegmentInfo>> segments;
    private final InstantSource clock;

    /**
     * @param cluster     what {@code GetStatus} answers
     * @param collections the catalog's collections
     * @param segments    a collection's segments, by id
     */
    StatusPage(Supplier<ClusterStatus> cluster, Supplier<List<CollectionInfo>> collections,
               LongFunction<List<SegmentInfo>> segments, InstantSource clock) {
        this.cluster = cluster;
        this.collections = collections;
        this.segments = segments;
        this.clock = clock;
    }

    /**
     * Adds {@code /}, {@code /api/status} and the page's assets to {@code http}.
     *
     * @throws IllegalStateException if an asset is missing from the jar (a build without the uPlot webjar)
     */
    void addTo(HttpEndpoints http) {
        Reply page = asset(OWN + "index.html", "text/html; charset=utf-8").with("Content-Security-Policy", CSP)
                .with("X-Frame-Options", "DENY");
        http.route("/", HttpAccess.Access.PAGE, r -> page);
        http.route("/api/status", HttpAccess.Access.READ, r -> json());
        Map<String, Reply> assets = Map.of(
                "/assets/status.js", asset(OWN + "status.js", "text/javascript; charset=utf-8"),
                "/assets/status.css", asset(OWN + "status.css", "text/css; charset=utf-8"),
                "/assets/uPlot.iife.min.js", asset(UPLOT + "uPlot.iife.min.js", "text/javascript; charset=utf-8"),
                "/assets/uPlot.min.css", asset(UPLOT + "uPlot.min.css", "text/css; charset=utf-8"));
        assets.forEach((path, reply) -> http.route(path, HttpAccess.Access.READ, r -> reply));
    }

    private static Reply asset(String resource, String contentType) {
        try (InputStream in = StatusPage.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the status page's " + resource + " is not in the jar");
            }
            return new Reply(200, contentType, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code /api/status}; {@code 503} with the reason when a source cannot answer (a standby coordinator, which names
     * the leader; the meta store or object store failing).
     */
    Reply json() {
        try {
            return new Reply(200, "application/json; charset=utf-8",
                    Rows.toJson(status()).getBytes(StandardCharsets.UTF_8));
        } catch (StreamingException e) {
            return Reply.text(503, e.getMessage() + "\n");
        }
    }

    /** The JSON of {@code /api/status} as maps and lists. */
    Map<String, Object> status() {
        long now = clock.millis();
        ClusterStatus s = cluster.get();
        List<Map<String, Object>> pchannels = new ArrayList<>();
        for (PchannelStatus p : s.getPchannelsList()) {
            pchannels.add(pchannel(p, now));
        }
        List<Map<String, Object>> nodes = new ArrayList<>();
        for (NodeStatus n : s.getNodesList()) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("nodeId", n.getNodeId());
            j.put("address", n.getAddress());
            j.put("alive", n.getAlive());
            j.put("draining", n.getDraining());
            nodes.add(j);
        }
        List<Map<String, Object>> cs = new ArrayList<>();
        for (CollectionInfo c : collections.get()) {
            cs.add(collection(c));
        }
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("now", now);
        j.put("pchannels", pchannels);
        j.put("nodes", nodes);
        j.put("collections", cs);
        return j;
    }

    private static Map<String, Object> pchannel(PchannelStatus p, long now) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("pchannel", p.getPchannel());
        j.put("nodeId", p.getNodeId());
        j.put("term", p.getTerm());
        j.put("state", p.getState());
        j.put("available", p.getAvailable());
        j.put("appended", p.getAppended());
        long tick = p.getLastTimeTick();
        Long time = tick == 0 ? null : HybridTimestamps.physicalMillis(tick);
        j.put("lastTimeTick", Long.toUnsignedString(tick));
        j.put("lastTime", time);
        j.put("lagMillis", time == null ? null : Math.max(0, now - time));
        j.put("inFlight", p.getInFlight());
        j.put("bufferBytes", p.getBufferBytes());
        j.put("retainedBytes", p.getRetainedBytes());
        j.put("unavailableReason", p.getUnavailableReason().isEmpty() ? null : p.getUnavailableReason());
        return j;
    }

    private Map<String, Object> collection(CollectionInfo c) {
        List<Map<String, Object>> segs = new ArrayList<>();
        long rows = 0;
        for (SegmentInfo g : segments.apply(c.getCollectionId())) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("id", Long.toString(g.getSegmentId()));
            j.put("vchannel", g.getVchannel());
            j.put("partitionId", Long.toString(g.getPartitionId()));
            j.put("state", state(g));
            j.put("rows", g.getRows());
            segs.add(j);
            rows += g.getState() == io.tidelog.proto.SegmentState.SEGMENT_DELETE_LOG ? 0 : g.getRows();
        }
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("id", Long.toString(c.getCollectionId()));
        j.put("name", c.getName());
        j.put("state", c.getState().name().replaceFirst("^COLLECTION_", "").toLowerCase(Locale.ROOT));
        j.put("vchannels", c.getVchannelsList());
        j.put("rows", rows);
        j.put("segments", segs);
        return j;
    }

    private static String state(SegmentInfo g) {
        return switch (g.getState()) {
            case SEGMENT_GROWING -> "growing";
            case SEGMENT_FLUSHED -> "flushed";
            case SEGMENT_DELETE_LOG -> "delete-log";
            default -> "unknown";
        };
    }
}
