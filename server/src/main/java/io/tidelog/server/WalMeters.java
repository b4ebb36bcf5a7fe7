package io.tidelog.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.tidelog.node.WalMetrics;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The append meters of each pchannel (tag {@code pchannel}), made once per pchannel on its first open and kept across
 * terms, so totals only grow: {@code tidelog_wal_appends_total}, {@code tidelog_wal_append_bytes_total},
 * {@code tidelog_wal_append_duration_seconds} and {@code tidelog_wal_backend_append_duration_seconds} (histograms),
 * {@code tidelog_wal_dedup_hits_total}, {@code tidelog_wal_transactions_expired_total},
 * {@code tidelog_flush_upload_retries_total}.
 * The WAL calls them on its acknowledging thread ({@link WalMetrics}): counters and timers only, no lookup per
 * message. Thread-safe.
 */
final class WalMeters implements WalMetrics.Factory {
    private final MeterRegistry registry;
    private final Map<String, WalMetrics> byPchannel = new ConcurrentHashMap<>();

    WalMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public WalMetrics forPchannel(String pchannel) {
        return byPchannel.computeIfAbsent(pchannel, this::meters);
    }

    private WalMetrics meters(String pchannel) {
        Counter appends = Counter.builder("tidelog.wal.appends").tag("pchannel", pchannel)
                .description("Messages appended and acknowledged (every type but TimeTick)").register(registry);
        Counter bytes = Counter.builder("tidelog.wal.append").baseUnit("bytes").tag("pchannel", pchannel)
                .description("Encoded bytes of the messages appended").register(registry);
        Timer latency = histogram("tidelog.wal.append.duration", pchannel,
                "From the WAL taking a message to its acknowledgement (durable, published in order)");
        Counter dedupHits = Counter.builder("tidelog.wal.dedup.hits").tag("pchannel", pchannel)
                .description("Appends answered from the dedup window (idempotency key seen): nothing written")
                .register(registry);
        Counter expired = Counter.builder("tidelog.wal.transactions.expired").tag("pchannel", pchannel)
                .description("Transactions rolled back because their keepalive ran out").register(registry);
        Counter uploadRetries = Counter.builder("tidelog.flush.upload.retries").tag("pchannel", pchannel)
                .description("Uploads of sealed segments or deletes to object storage that failed and are retried")
                .register(registry);
        Counter bufferReads = reads(pchannel, "buffer");
        Counter backendReads = reads(pchannel, "backend");
        Timer backend = histogram("tidelog.wal.backend.append.duration", pchannel,
                "From handing an append or run to the backend to its durability (the backend's write and sync)");
        return new WalMetrics() {
            @Override
            public void appended(int messages, long encodedBytes, long nanos) {
                appends.increment(messages);
                bytes.increment(encodedBytes);
                for (int i = 0; i < messages; i++) {
                    latency.record(nanos, TimeUnit.NANOSECONDS);
                }
            }

            @Override
            public void stored(long nanos) {
                backend.record(nanos, TimeUnit.NANOSECONDS);
            }

            @Override
            public void read(boolean fromBuffer) {
                (fromBuffer ? bufferReads : backendReads).increment();
            }

            @Override
            public void deduplicated() {
                dedupHits.increment();
            }

            @Override
            public void transactionExpired() {
                expired.increment();
            }

            @Override
            public void uploadRetried() {
                uploadRetries.increment();
            }
        };
    }

    private Counter reads(String pchannel, String source) {
        return Counter.builder("tidelog.wal.scanner.reads").tags("pchannel", pchannel, "source", source)
                .description("Messages scanners read (before their filters), by source: the write-ahead buffer"
                        + " or the backend (catching up)").register(registry);
    }

    private Timer histogram(String name, String pchannel, String description) {
        return Timer.builder(name).tag("pchannel", pchannel).description(description)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(50_000))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
    }
}
