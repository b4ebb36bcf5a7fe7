package io.tidelog.coord;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.MetaStore;
import io.tidelog.tso.TimestampOracle;
import io.tidelog.tso.TsoConfig;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The streaming coordinator: assigns each pchannel to a node session at a term ({@link PchannelAssigner}, whose
 * comment states the protocol), keeps the assignments in the meta store, pushes them to watchers, and runs the
 * cluster's timestamp oracle.
 *
 * <p>Standalone, the node in the same process is {@linkplain #addNode added} once; in a cluster, the leader feeds
 * the {@linkplain #assigner() assigner} with the node sessions that come, go and stop answering, and gives it a
 * leader-guarded meta store.
 *
 * <p>Threads: all methods are thread-safe. Watchers are called on the assigner's thread (assignments) or the
 * caller of {@link #placeReplicas} (replicas), views may reach a watcher out of order (the version tells), and
 * watchers must not block.
 */
public final class StreamingCoordinator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StreamingCoordinator.class);

    private final CoordConfig config;
    private final TimestampOracle tso;
    private final PchannelAssigner assigner;
    private final Map<String, Assignment> assignments = new TreeMap<>();
    private final List<Consumer<AssignmentView>> watchers = new CopyOnWriteArrayList<>();
    /** Fails with the first failed assign while {@link #addNode} waits. */
    private final AtomicReference<CompletableFuture<Void>> startFailure = new AtomicReference<>();
    private List<Replica> replicas = List.of();
    private long version;
    private boolean closed;

    public StreamingCoordinator(MetaStore meta, CoordConfig config, TsoConfig tsoConfig, InstantSource clock) {
        this(meta, config, tsoConfig, clock, AssignmentMetrics.NONE);
    }

    /** A coordinator whose assigner reports new terms and failovers to {@code metrics} (on its thread). */
    public StreamingCoordinator(MetaStore meta, CoordConfig config, TsoConfig tsoConfig, InstantSource clock,
                                AssignmentMetrics metrics) {
        this.config = config;
        this.tso = new TimestampOracle(new MetaTimestampStore(meta), clock, tsoConfig);
        this.assigner = PchannelAssigner.start(meta, config, new PchannelAssigner.Listener() {
            @Override
            public void onChange(Assignment a) {
                publish(a);
            }

            @Override
            public void onAssignFailed(Assignment a, Throwable cause) {
                CompletableFuture<Void> f = startFailure.get();
                if (f != null) {
                    f.completeExceptionally(cause);
                }
            }
        }, metrics);
    }

    /** The cluster's timestamp oracle. */
    public TimestampOracle tso() {
        return tso;
    }

    public List<String> pchannels() {
        return config.pchannels();
    }

    /** Where node sessions come and go (cluster). */
    public PchannelAssigner assigner() {
        return assigner;
    }

    /**
     * Standalone: adds the node of this process and waits until it serves every pchannel, each at a new term (a
     * new node session holds none of the former terms). Throws the first failed assign (the assigner keeps
     * retrying it).
     */
    public void addNode(NodeHandle node) {
        checkOpen();
        CompletableFuture<Void> failure = new CompletableFuture<>();
        startFailure.set(failure);
        try {
            assigner.nodeUp(node);
            CompletableFuture.anyOf(assigner.whenAllAssigned(), failure).join();
        } catch (CompletionException e) {
            throw StreamingException.from(e.getCause());
        } finally {
            startFailure.set(null);
        }
    }

    /**
     * A client reports that the node named by the assignment refused it; see
     * {@link PchannelAssigner#reportError}.
     */
    public void reportError(String pchannel, long term, ErrorCode code, String message) {
        if (!closed) {
            assigner.reportError(pchannel, term, code, message);
        }
    }

    public synchronized AssignmentView assignments() {
        return new AssignmentView(version, new ArrayList<>(assignments.values()), replicas);
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

    /**
     * Publishes a new placement of replicas to the watchers (a new version), unless it equals the one in force.
     */
    public void placeReplicas(List<Replica> placement) {
        AssignmentView view;
        synchronized (this) {
            if (closed || placement.equals(replicas)) {
                return;
            }
            replicas = List.copyOf(placement);
            version++;
            view = assignments();
        }
        notifyWatchers(view);
    }

    private void publish(Assignment a) {
        AssignmentView view;
        synchronized (this) {
            assignments.put(a.pchannel(), a);
            version++;
            view = assignments();
        }
        notifyWatchers(view);
    }

    private void notifyWatchers(AssignmentView view) {
        for (Consumer<AssignmentView> w : watchers) {
            try {
                w.accept(view);
            } catch (RuntimeException e) {
                LOG.warn("an assignment watcher failed: {}", e.toString());
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw StreamingException.onShutdown("the coordinator is closed");
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            watchers.clear();
        }
        assigner.close();
    }
}
