package io.tidelog.server;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.tidelog.flush.Flusher;
import io.tidelog.node.WalExtension;
import io.tidelog.node.WalStatus;
import io.tidelog.node.shard.ShardManager;
import io.tidelog.node.txn.TxnManager;
import io.tidelog.node.retention.Subscription;
import io.tidelog.node.retention.SubscriptionStore;
import io.tidelog.tso.HybridTimestamps;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The gauges of each served pchannel's WAL (tag {@code pchannel}) and of its durable subscriptions (tags
 * {@code pchannel}, {@code vchannel}, {@code subscription}), read from {@link WalStatus} snapshots taken by
 * {@link #refresh()} right before each scrape: nothing on the append path. A pchannel gets its gauges at the first
 * refresh that finds it owned or served; while not served here its gauges read NaN ({@code tidelog_wal_available}
 * reads 0).
 *
 * <p>Thread-safe: {@link #refresh()} is serialised; gauges read the last snapshot published.
 */
final class WalGauges {
    private final MeterRegistry registry;
    private final Supplier<List<String>> owned;
    private final Supplier<List<WalStatus>> statuses;
    private final Function<String, List<WalExtension>> extensions;
    private final SubscriptionStore subscriptions;
    private final InstantSource clock;
    private final Set<String> registered = new HashSet<>();
    private final MultiGauge subscriptionLagSeconds;
    private final MultiGauge subscriptionLagTicks;
    private volatile Map<String, WalStatus> latest = Map.of();
    private volatile Map<String, ExtensionNumbers> latestExtensions = Map.of();

    /** What a pchannel's extensions said at the last refresh. */
    private record ExtensionNumbers(int openTransactions, long flushPendingBytes, int unflushedSegments,
                                    int sealedSegments) {
        static ExtensionNumbers of(List<WalExtension> extensions) {
            int txns = 0;
            long pending = 0;
            int segments = 0;
            int sealed = 0;
            for (WalExtension x : extensions) {
                if (x instanceof TxnManager t) {
                    txns = t.openTransactions();
                } else if (x instanceof Flusher f) {
                    pending = f.pendingBytes();
                } else if (x instanceof ShardManager s) {
                    segments = s.snapshot().collections().values().stream().mapToInt(c -> c.segments().size()).sum();
                    sealed = s.sealedSegments();
                }
            }
            return new ExtensionNumbers(txns, pending, segments, sealed);
        }
    }

    /**
     * @param owned    the pchannels the process should serve: they get their gauges even before their WAL opens
     * @param statuses the WALs it serves now
     * @param extensions the extensions of a served pchannel's WAL (transactions, flusher, shards)
     */
    WalGauges(MeterRegistry registry, Supplier<List<String>> owned, Supplier<List<WalStatus>> statuses,
              Function<String, List<WalExtension>> extensions, SubscriptionStore subscriptions, InstantSource clock) {
        this.registry = registry;
        this.extensions = extensions;
        this.owned = owned;
        this.statuses = statuses;
        this.subscriptions = subscriptions;
        this.clock = clock;
        this.subscriptionLagSeconds = MultiGauge.builder("tidelog.subscription.lag").baseUnit("seconds")
                .description("Time between the pchannel's last stored time tick and the subscription's committed one")
                .register(registry);
        this.subscriptionLagTicks = MultiGauge.builder("tidelog.subscription.lag.time.ticks")
                .description("The pchannel's last stored time tick minus the subscription's committed one (hybrid units)")
                .register(registry);
    }

    /** Takes a snapshot of every served WAL and of its subscriptions for the gauges to read. */
    synchronized void refresh() {
        Map<String, WalStatus> now = new HashMap<>();
        for (WalStatus s : statuses.get()) {
            now.put(s.pchannel(), s);
        }
        Set<String> pchannels = new HashSet<>(owned.get());
        pchannels.addAll(now.keySet());
        for (String pchannel : pchannels) {
            if (registered.add(pchannel)) {
                register(pchannel);
            }
        }
        latest = now;
        Map<String, ExtensionNumbers> numbers = new HashMap<>();
        for (String pchannel : now.keySet()) {
            numbers.put(pchannel, ExtensionNumbers.of(extensions.apply(pchannel)));
        }
        latestExtensions = numbers;
        List<MultiGauge.Row<?>> seconds = new ArrayList<>();
        List<MultiGauge.Row<?>> ticks = new ArrayList<>();
        for (WalStatus s : now.values()) {
            for (Subscription sub : subscriptions.list(s.pchannel())) {
                Tags tags = Tags.of("pchannel", s.pchannel(), "vchannel", sub.vchannel(), "subscription", sub.name());
                long at = sub.position().timeTick();
                long end = s.lastStoredTimeTick();
                long lagMillis = Math.max(0, HybridTimestamps.physicalMillis(end) - HybridTimestamps.physicalMillis(at));
                seconds.add(MultiGauge.Row.of(tags, lagMillis / 1000.0));
                ticks.add(MultiGauge.Row.of(tags, Math.max(0, end - at)));
            }
        }
        subscriptionLagSeconds.register(seconds, true);
        subscriptionLagTicks.register(ticks, true);
    }

    private void register(String pchannel) {
        Gauge.builder("tidelog.wal.available", () -> {
            WalStatus s = latest.get(pchannel);
            return s != null && s.available() ? 1 : 0;
        }).tag("pchannel", pchannel).description("1 while the WAL is served here and accepts appends, 0 otherwise")
                .register(registry);
        gauge("tidelog.wal.term", pchannel, null, "The term the pchannel is served at", WalStatus::term);
        gauge("tidelog.wal.last.time.tick", pchannel, null, "The time tick of the last message published",
                WalStatus::lastTimeTick);
        gauge("tidelog.wal.inflight.appends", pchannel, null, "Appends handed to the backend, not yet acknowledged",
                WalStatus::inFlight);
        gauge("tidelog.wal.buffer", pchannel, "bytes", "Encoded bytes in the write-ahead buffer",
                WalStatus::bufferBytes);
        gauge("tidelog.wal.buffer.messages", pchannel, null, "Messages in the write-ahead buffer",
                WalStatus::bufferEntries);
        gauge("tidelog.wal.retained", pchannel, "bytes", "Bytes the backend holds for the pchannel",
                s -> s.retainedBytes() < 0 ? Double.NaN : s.retainedBytes());
        gauge("tidelog.wal.recovery.replayed.messages", pchannel, null,
                "Messages replayed when the pchannel opened at its term", s -> s.replay().messages());
        gauge("tidelog.wal.recovery.replayed", pchannel, "bytes", "Bytes replayed when the pchannel opened at its term",
                s -> s.replay().bytes());
        TimeGauge.builder("tidelog.wal.recovery.duration", () -> value(pchannel, s -> s.replay().millis()),
                        TimeUnit.MILLISECONDS)
                .tag("pchannel", pchannel).description("How long the replay of the pchannel's last open took")
                .register(registry);
        TimeGauge.builder("tidelog.wal.checkpoint.age", () -> value(pchannel, this::checkpointAgeMillis),
                        TimeUnit.MILLISECONDS)
                .tag("pchannel", pchannel)
                .description("Time since the time tick of the last persisted checkpoint (what a reopen replays from)")
                .register(registry);
        extensionGauge("tidelog.wal.transactions.open", pchannel, null, "Transactions begun and not yet finished",
                ExtensionNumbers::openTransactions);
        extensionGauge("tidelog.flush.pending", pchannel, "bytes",
                "Payload bytes of sealed segments and deletes waiting for object storage", ExtensionNumbers::flushPendingBytes);
        // Created and not flushed, by whether they still take inserts; their sum is every unflushed segment.
        extensionGauge("tidelog.segments", Tags.of("pchannel", pchannel, "state", "growing"), null,
                "Segments of the pchannel's collections created and not yet flushed, by state: growing (taking"
                        + " inserts) or sealed (their flush on its way)",
                n -> Math.max(0, n.unflushedSegments() - n.sealedSegments()));
        extensionGauge("tidelog.segments", Tags.of("pchannel", pchannel, "state", "sealed"), null,
                "Segments of the pchannel's collections created and not yet flushed, by state: growing (taking"
                        + " inserts) or sealed (their flush on its way)", ExtensionNumbers::sealedSegments);
        for (String mode : List.of("catchup", "tailing")) {
            Gauge.builder("tidelog.wal.scanners", () -> value(pchannel, s -> mode.equals("catchup")
                            ? s.scanners().catchingUp() : s.scanners().tailing()))
                    .tags("pchannel", pchannel, "mode", mode)
                    .description("Open scanners: catchup read the backend, tailing the write-ahead buffer")
                    .register(registry);
        }
    }

    private double checkpointAgeMillis(WalStatus s) {
        return s.checkpoint() == null ? Double.NaN
                : Math.max(0, clock.millis() - HybridTimestamps.physicalMillis(s.checkpoint().timeTick()));
    }

    private void gauge(String name, String pchannel, String unit, String description, ToDoubleFunction<WalStatus> f) {
        Gauge.builder(name, () -> value(pchannel, f)).tag("pchannel", pchannel).baseUnit(unit)
                .description(description).register(registry);
    }

    private void extensionGauge(String name, String pchannel, String unit, String description,
                                ToDoubleFunction<ExtensionNumbers> f) {
        extensionGauge(name, Tags.of("pchannel", pchannel), unit, description, f);
    }

    private void extensionGauge(String name, Tags tags, String unit, String description,
                                ToDoubleFunction<ExtensionNumbers> f) {
        String pchannel = tags.stream().filter(t -> t.getKey().equals("pchannel")).findFirst().orElseThrow().getValue();
        Gauge.builder(name, () -> {
            ExtensionNumbers n = latestExtensions.get(pchannel);
            return n == null ? Double.NaN : f.applyAsDouble(n);
        }).tags(tags).baseUnit(unit).description(description).register(registry);
    }

    private double value(String pchannel, ToDoubleFunction<WalStatus> f) {
        WalStatus s = latest.get(pchannel);
        return s == null ? Double.NaN : f.applyAsDouble(s);
    }
}
