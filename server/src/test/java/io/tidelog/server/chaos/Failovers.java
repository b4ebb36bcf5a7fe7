package io.tidelog.server.chaos;

import io.tidelog.message.Vchannels;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Failover times of a chaos run, per fault kind: from the fault to the first acknowledged append on the new owner of
 * each pchannel it hit (an append whose message was written at a term above the one before the fault); for a
 * fault that moves no pchannel (the coordinator leader killed), to the first acknowledged append on each pchannel.
 */
final class Failovers {
    /** One fault: when, which pchannels it hit and at which terms they were before (empty: any term counts). */
    record Fault(String kind, long atNanos, Map<String, Long> termsBefore) {
    }

    private final List<Fault> faults = new ArrayList<>();

    synchronized void fault(String kind, long atNanos, Map<String, Long> termsBefore) {
        faults.add(new Fault(kind, atNanos, Map.copyOf(termsBefore)));
    }

    /** Per fault kind, in the order first seen: each hit pchannel's time to its first append on the new owner. */
    synchronized Map<String, List<Duration>> measure(History history, List<String> vchannels) {
        Map<String, List<Duration>> out = new LinkedHashMap<>();
        for (Fault f : faults) {
            List<Duration> samples = out.computeIfAbsent(f.kind(), k -> new ArrayList<>());
            for (Map.Entry<String, Long> hit : f.termsBefore().entrySet()) {
                long first = Long.MAX_VALUE;
                for (String v : vchannels) {
                    if (!Vchannels.pchannelOf(v).equals(hit.getKey())) {
                        continue;
                    }
                    Map<Long, Long> terms = new java.util.HashMap<>();
                    history.deliveries(v).forEach(d -> terms.put(d.seq(), d.term()));
                    for (History.Ack a : history.acks(v).values()) {
                        Long term = terms.get(a.seq());
                        if (a.atNanos() > f.atNanos() && term != null && term > hit.getValue()) {
                            first = Math.min(first, a.atNanos());
                        }
                    }
                }
                if (first != Long.MAX_VALUE) {
                    samples.add(Duration.ofNanos(first - f.atNanos()));
                }
            }
        }
        return out;
    }

    /**
     * Per fault kind, the longest time any pchannel it hit went without an acknowledged append, from the fault to
     * {@code window} after it: how long writers stalled, whoever served them.
     */
    synchronized Map<String, Duration> longestStalls(History history, List<String> vchannels, Duration window) {
        Map<String, Duration> out = new LinkedHashMap<>();
        for (Fault f : faults) {
            long end = f.atNanos() + window.toNanos();
            for (String p : f.termsBefore().keySet()) {
                List<Long> times = new ArrayList<>();
                for (String v : vchannels) {
                    if (Vchannels.pchannelOf(v).equals(p)) {
                        history.acks(v).values().forEach(a -> {
                            if (a.atNanos() >= f.atNanos() && a.atNanos() <= end) {
                                times.add(a.atNanos());
                            }
                        });
                    }
                }
                Collections.sort(times);
                long last = f.atNanos();
                long longest = 0;
                for (long t : times) {
                    longest = Math.max(longest, t - last);
                    last = t;
                }
                longest = Math.max(longest, end - last);
                Duration d = Duration.ofNanos(longest);
                out.merge(f.kind(), d, (a, b) -> a.compareTo(b) >= 0 ? a : b);
            }
        }
        return out;
    }

    /** {@code kind: n=.. p50=.. p99=.. max=..} per fault kind, one line each. */
    static String report(Map<String, List<Duration>> measured) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, List<Duration>> e : measured.entrySet()) {
            List<Duration> d = new ArrayList<>(e.getValue());
            Collections.sort(d);
            b.append(String.format("  %-10s n=%-3d", e.getKey(), d.size()));
            if (!d.isEmpty()) {
                b.append(String.format(" p50=%5d ms  p99=%5d ms  max=%5d ms", percentile(d, 50).toMillis(),
                        percentile(d, 99).toMillis(), d.get(d.size() - 1).toMillis()));
            }
            b.append('\n');
        }
        return b.toString();
    }

    static Duration percentile(List<Duration> sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    static Set<String> kinds() {
        return Set.of("node-kill", "node-stop", "coord-kill", "drain");
    }
}
