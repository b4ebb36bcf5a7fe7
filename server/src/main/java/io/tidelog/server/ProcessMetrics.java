package io.tidelog.server;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tidelog.common.Closeables;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The meters of a server process, in one Prometheus registry: the JVM's and the process's (memory, garbage
 * collection, threads, classes, CPU, open files, uptime) and whatever the process's parts add. Exposed in the
 * Prometheus text format by {@link #scrape()}. Thread-safe; {@link #close()} stops the binders that own resources
 * (the garbage collection listener).
 */
final class ProcessMetrics implements AutoCloseable {
    /** Prometheus's text exposition format, version 0.0.4. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final List<AutoCloseable> binders = new ArrayList<>();

    ProcessMetrics() {
        JvmGcMetrics gc = new JvmGcMetrics();
        binders.add(gc);
        for (MeterBinder b : List.of(new JvmMemoryMetrics(), gc, new JvmThreadMetrics(), new ClassLoaderMetrics(),
                new ProcessorMetrics(), new FileDescriptorMetrics(), new UptimeMetrics())) {
            b.bindTo(registry);
        }
    }

    MeterRegistry registry() {
        return registry;
    }

    /** Every meter, in the Prometheus text format. */
    HttpEndpoints.Reply scrape() {
        return new HttpEndpoints.Reply(200, CONTENT_TYPE, registry.scrape().getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        Closeables.closeAll(binders);
        registry.close();
    }
}
