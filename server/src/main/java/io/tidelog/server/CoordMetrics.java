package io.tidelog.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.tidelog.coord.Assignment;
import io.tidelog.coord.AssignmentMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A coordinator's meters. Counted by the leader's assigner as things happen ({@link AssignmentMetrics}, kept across
 * leaderships, so totals only grow): {@code tidelog_coord_term_changes_total} and {@code tidelog_coord_failovers_total}
 * (tag {@code pchannel}), {@code tidelog_coord_failover_duration_seconds} (histogram: from a node's loss found to the
 * pchannel served again on another node session). Read from a {@link Snapshot} taken by {@link #refresh} right before
 * each scrape: {@code tidelog_coord_leader} (1 while this coordinator leads), {@code tidelog_coord_pchannels} (tag
 * {@code state}: {@code assigned}, {@code assigning}, {@code unassigned}), {@code tidelog_coord_pchannel_info} (1 per
 * pchannel, its record as tags: {@code pchannel}, {@code node}, {@code term}, {@code state}) and
 * {@code tidelog_coord_nodes_alive}. Only the leader knows the assignments: a standby reports 0 pchannels in every
 * state, no info and no nodes, so that sums over every coordinator are the leader's numbers.
 *
 * <p>Thread-safe: the assigner's thread counts; {@link #refresh} is serialised; gauges read the last snapshot.
 */
final class CoordMetrics implements AssignmentMetrics {
    static final List<String> STATES = List.of("assigned", "assigning", "unassigned");

    private final MeterRegistry registry;
    private final Map<String, Counter> termChanges = new ConcurrentHashMap<>();
    private final Map<String, Counter> failovers = new ConcurrentHashMap<>();
    private final Timer failoverDuration;
    private final MultiGauge info;
    private volatile Snapshot latest = Snapshot.STANDBY;

    /**
     * What the leader's records and health checks say at one moment.
     *
     * @param leader      whether this coordinator leads
     * @param assignments every pchannel's record (empty on a standby)
     * @param nodesAlive  nodes whose heartbeats come
     */
    record Snapshot(boolean leader, List<Assignment> assignments, int nodesAlive) {
        static final Snapshot STANDBY = new Snapshot(false, List.of(), 0);
    }

    /** @param pchannels the cluster's pchannels: their counters start at 0, so that rates work from the first scrape */
    CoordMetrics(MeterRegistry registry, List<String> pchannels) {
        this.registry = registry;
        for (String p : pchannels) {
            termStartedCounter(p);
            failoversCounter(p);
        }
        this.failoverDuration = Timer.builder("tidelog.coord.failover.duration")
                .description("From a node's loss found to its pchannel served again on another node session")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(10))
                .maximumExpectedValue(Duration.ofMinutes(5))
                .register(registry);
        this.info = MultiGauge.builder("tidelog.coord.pchannel.info")
                .description("1 per pchannel; its assignment record as labels (node, term, state)").register(registry);
        Gauge.builder("tidelog.coord.leader", () -> latest.leader() ? 1 : 0)
                .description("1 while this coordinator leads the cluster, 0 while it stands by").register(registry);
        Gauge.builder("tidelog.coord.nodes.alive", () -> latest.nodesAlive())
                .description("Streaming nodes whose heartbeats come (the leader's view)").register(registry);
        for (String state : STATES) {
            Gauge.builder("tidelog.coord.pchannels", () -> latest.assignments().stream()
                            .filter(a -> state(a).equals(state)).count())
                    .tag("state", state).description("Pchannels by the state of their assignment record")
                    .register(registry);
        }
    }

    /** Publishes what the gauges read until the next refresh. */
    synchronized void refresh(Snapshot now) {
        latest = now;
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (Assignment a : now.assignments()) {
            rows.add(MultiGauge.Row.of(Tags.of("pchannel", a.pchannel(), "node", a.nodeId(), "term",
                    Long.toString(a.term()), "state", state(a)), 1));
        }
        info.register(rows, true);
    }

    /** The record's state as a label; records of older releases' {@code UNAVAILABLE} read as unassigned. */
    static String state(Assignment a) {
        return switch (a.state()) {
            case ASSIGNED -> "assigned";
            case ASSIGNING -> "assigning";
            default -> "unassigned";
        };
    }

    @Override
    public void termStarted(String pchannel, long term) {
        termStartedCounter(pchannel).increment();
    }

    @Override
    public void failoverStarted(String pchannel, String lostNodeId) {
        failoversCounter(pchannel).increment();
    }

    private Counter termStartedCounter(String pchannel) {
        return counter(termChanges, "tidelog.coord.term.changes", pchannel,
                "New terms of the pchannel persisted (failover, drain, balance, a failed open)");
    }

    private Counter failoversCounter(String pchannel) {
        return counter(failovers, "tidelog.coord.failovers", pchannel,
                "Times the pchannel's node was found down and the pchannel moved");
    }

    @Override
    public void failedOver(String pchannel, long nanos) {
        failoverDuration.record(nanos, TimeUnit.NANOSECONDS);
    }

    private Counter counter(Map<String, Counter> byPchannel, String name, String pchannel, String description) {
        return byPchannel.computeIfAbsent(pchannel, p -> Counter.builder(name).tag("pchannel", p)
                .description(description).register(registry));
    }
}
