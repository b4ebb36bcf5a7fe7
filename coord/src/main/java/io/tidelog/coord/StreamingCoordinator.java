package io.tidelog.coord;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaStore;
import io.tidelog.state.proto.PchannelMeta;
import io.tidelog.state.proto.PchannelState;
import io.tidelog.tso.TimestampOracle;
import io.tidelog.tso.TsoConfig;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The streaming coordinator: assigns each pchannel to a node at a term, keeps the assignments in the
 * meta store, pushes them to watchers, and runs the cluster's timestamp oracle.
 *
 * <p><b>Assignment protocol</b> (per pchannel, serialised): bump the term and persist
 * {@code ASSIGNING} with a compare-and-set on the key's revision (a second coordinator racing this one
 * loses), ask the node to serve the pchannel at that term (the node's WAL fences every older term at
 * the storage), then persist {@code ASSIGNED} and publish a new {@link AssignmentView}. A failure
 * persists {@code UNAVAILABLE}; the next assignment bumps the term again.
 *
 * <p>This is the standalone coordinator: nodes are added in process; node discovery through sessions,
 * balancing and active/standby election come with the cluster.
 *
 * <p>Threads: all methods are thread-safe; assignment is serialised on the coordinator's monitor.
 * Watchers are called on the thread that made the change and must not block.
 */
public final class StreamingCoordinator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StreamingCoordinator.class);
    static final String PCHANNEL_KEYS = "coord/pchannel/";

    private final MetaStore meta;
    private final CoordConfig config;
    private final TimestampOracle tso;
    private final Map<String, Assignment> assignments = new TreeMap<>();
    private final Map<String, NodeHandle> nodes = new TreeMap<>();
    private final List<Consumer<AssignmentView>> watchers = new CopyOnWriteArrayList<>();
    private long version;
    private boolean closed;

    public StreamingCoordinator(MetaStore meta, CoordConfig config, TsoConfig tsoConfig, InstantSource clock) {
        this.meta = meta;
        this.config = config;
        this.tso = new TimestampOracle(new MetaTimestampStore(meta), clock, tsoConfig);
        for (KeyValue kv : meta.scan(PCHANNEL_KEYS)) {
            Assignment a = Assignment.fromMeta(parse(kv));
            assignments.put(a.pchannel(), a);
        }
    }

    /** The cluster's timestamp oracle. */
    public TimestampOracle tso() {
        return tso;
    }

    public List<String> pchannels() {
        return config.pchannels();
    }

    /**
     * Adds a node and assigns to it every pchannel that no live node serves (standalone: all of them,
     * each at a new term). Returns once every such pchannel is served.
     */
    public synchronized void addNode(NodeHandle node) {
        checkOpen();
        nodes.put(node.nodeId(), node);
        for (String p : config.pchannels()) {
            Assignment a = assignments.get(p);
            boolean served = a != null && a.state() == PchannelState.ASSIGNED && nodes.containsKey(a.nodeId())
                    && !a.nodeId().equals(node.nodeId());
            if (!served) {
                assign(p, node);
            }
        }
    }

    /** Assigns {@code pchannel} to {@code node} at a new term; see the class comment. */
    synchronized Assignment assign(String pchannel, NodeHandle node) {
        checkOpen();
        String key = PCHANNEL_KEYS + pchannel;
        Optional<KeyValue> kv = meta.get(key);
        long term = kv.map(v -> parse(v).getTerm() + 1).orElse(1L);
        Assignment assigning = new Assignment(pchannel, term, node.nodeId(), node.address(), PchannelState.ASSIGNING);
        if (!meta.compareAndPut(key, kv.map(KeyValue::modRevision).orElse(0L), assigning.toMeta().toByteArray())) {
            throw new StreamingException(ErrorCode.INNER, "pchannel " + pchannel
                    + ": its assignment changed under this coordinator (another coordinator is active)");
        }
        publish(assigning);
        Assignment previous = kv.map(v -> Assignment.fromMeta(parse(v))).orElse(null);
        if (previous != null && !previous.nodeId().equals(node.nodeId()) && nodes.containsKey(previous.nodeId())) {
            nodes.get(previous.nodeId()).remove(pchannel, previous.term());
        }
        Assignment done;
        try {
            node.assign(pchannel, term);
            done = new Assignment(pchannel, term, node.nodeId(), node.address(), PchannelState.ASSIGNED);
        } catch (RuntimeException e) {
            LOG.warn("pchannel {}: assignment to node {} at term {} failed: {}", pchannel, node.nodeId(), term, e.toString());
            done = new Assignment(pchannel, term, node.nodeId(), node.address(), PchannelState.UNAVAILABLE);
            persist(done);
            publish(done);
            throw e;
        }
        persist(done);
        publish(done);
        return done;
    }

    private void persist(Assignment a) {
        meta.put(PCHANNEL_KEYS + a.pchannel(), a.toMeta().toByteArray());
    }

    /**
     * A client reports that the node named by the assignment refused it. If the assignment still
     * stands at {@code term} and the node no longer serves the pchannel, it is assigned again (new term).
     */
    public synchronized void reportError(String pchannel, long term, ErrorCode code, String message) {
        Assignment a = assignments.get(pchannel);
        if (closed || a == null || a.term() != term || !code.isWrongNode()) {
            return;
        }
        NodeHandle node = nodes.get(a.nodeId());
        if (node == null) {
            return;
        }
        LOG.info("pchannel {} term {}: a client reports {} ({}); reassigning", pchannel, term, code, message);
        try {
            assign(pchannel, node);
        } catch (RuntimeException e) {
            LOG.warn("pchannel {}: reassignment failed: {}", pchannel, e.toString());
        }
    }

    public synchronized AssignmentView assignments() {
        return new AssignmentView(version, new ArrayList<>(assignments.values()));
    }

    /** Calls {@code watcher} with the current view now and with every later one; close to stop. */
    public AutoCloseable watch(Consumer<AssignmentView> watcher) {
        AssignmentView now;
        synchronized (this) {
            watchers.add(watcher);
            now = assignments();
        }
        watcher.accept(now);
        return () -> watchers.remove(watcher);
    }

    private void publish(Assignment a) {
        assignments.put(a.pchannel(), a);
        version++;
        AssignmentView view = assignments();
        for (Consumer<AssignmentView> w : watchers) {
            try {
                w.accept(view);
            } catch (RuntimeException e) {
                LOG.warn("an assignment watcher failed: {}", e.toString());
            }
        }
    }

    private static PchannelMeta parse(KeyValue kv) {
        try {
            return PchannelMeta.parseFrom(kv.value());
        } catch (InvalidProtocolBufferException e) {
            throw new StreamingException(ErrorCode.DATA_CORRUPTED, "meta key " + kv.key() + " does not hold a pchannel assignment", e);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw StreamingException.onShutdown("the coordinator is closed");
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        watchers.clear();
    }
}
