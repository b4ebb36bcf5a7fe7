package io.tidelog.coord;

import io.tidelog.state.proto.PchannelState;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's driver of {@link ReplicaPlacement}: places the replicas again whenever an assignment changes and
 * every {@code interval} (collections created or dropped, nodes that joined or stopped answering), and publishes
 * the placement through {@link StreamingCoordinator#placeReplicas} when it changed.
 *
 * <p><b>Derived, not persisted.</b> The placement is a function of the catalog, the assignments and the live nodes,
 * all of which the leader has; what a node runs is only a cache of the published placement, rebuilt from the
 * vchannel's log. A new leader starts from an empty previous placement, so replicas may move once per change of
 * leader; nothing is lost but the moved replicas' warm state.
 *
 * <p>Threads: placement runs on {@code timer} and is serialized by this object's lock; the suppliers are called
 * there and may block briefly (the catalog reads the meta store).
 */
public final class ReplicaPlacer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaPlacer.class);

    private final StreamingCoordinator coordinator;
    private final Supplier<List<ReplicaPlacement.Collection>> collections;
    private final Supplier<SortedMap<String, String>> liveNodes;
    private final ScheduledExecutorService timer;
    private final Duration interval;
    private List<Replica> placed = List.of();
    private ScheduledFuture<?> ticks;
    private AutoCloseable watch;
    private volatile boolean closed;

    /**
     * @param collections every collection that takes queries (read on each placement)
     * @param liveNodes   the nodes that may run replicas (alive, not drained), each with its address
     */
    public ReplicaPlacer(StreamingCoordinator coordinator, Supplier<List<ReplicaPlacement.Collection>> collections,
                         Supplier<SortedMap<String, String>> liveNodes, ScheduledExecutorService timer,
                         Duration interval) {
        this.coordinator = coordinator;
        this.collections = collections;
        this.liveNodes = liveNodes;
        this.timer = timer;
        this.interval = interval;
    }

    /** Starts placing: at once, after every assignment change and every interval. */
    public synchronized ReplicaPlacer start() {
        ticks = timer.scheduleWithFixedDelay(this::placeQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        watch = coordinator.watch(view -> {
            if (!closed) {
                timer.execute(this::placeQuietly);
            }
        });
        return this;
    }

    private void placeQuietly() {
        try {
            placeOnce();
        } catch (RuntimeException e) {
            if (!closed) {
                LOG.warn("placing replicas failed, trying again in {}: {}", interval, e.toString());
            }
        }
    }

    /** Places the replicas from the current inputs and publishes the placement if it changed. */
    synchronized void placeOnce() {
        if (closed) {
            return;
        }
        Map<String, String> owners = new HashMap<>();
        for (Assignment a : coordinator.assignments().assignments()) {
            if (a.state() != PchannelState.UNASSIGNED && a.state() != PchannelState.UNAVAILABLE) {
                owners.put(a.pchannel(), a.nodeId());
            }
        }
        List<Replica> next = ReplicaPlacement.place(placed, collections.get(), owners, liveNodes.get());
        if (!next.equals(placed)) {
            LOG.info("replicas placed: {}", next);
            placed = next;
            coordinator.placeReplicas(next);
        }
    }

    @Override
    public void close() {
        closed = true;
        AutoCloseable w;
        synchronized (this) {
            if (ticks != null) {
                ticks.cancel(false);
            }
            w = watch;
        }
        if (w != null) {
            try {
                w.close();
            } catch (Exception ignored) {
                // removing a watcher from a list does not fail
            }
        }
    }
}
