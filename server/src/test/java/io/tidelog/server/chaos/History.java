package io.tidelog.server.chaos;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the clients of a chaos run saw, recorded as it happened: per vchannel, the appends acknowledged (with their
 * time tick and when), the appends whose outcome stayed unknown, and what a consumer that followed the vchannel for
 * the whole run was delivered (with time tick and term). Messages are numbered per vchannel by their producer.
 *
 * <p>{@link #check()} is the history checker: it judges exactly-once and order from these records alone.
 * Thread-safe: one producer and one consumer per vchannel record, anyone reads after the run.
 */
final class History {
    /** An acknowledged append: message {@code seq} of its vchannel, at {@code timeTick}, acknowledged at {@code atNanos}. */
    record Ack(long seq, long timeTick, long atNanos) {
    }

    /** A delivered message: {@code seq} of its vchannel at {@code timeTick}, written at {@code term}. */
    record Delivery(long seq, long timeTick, long term) {
    }

    private final Map<String, Map<Long, Ack>> acked = new ConcurrentHashMap<>();
    private final Map<String, Set<Long>> unknown = new ConcurrentHashMap<>();
    private final Map<String, List<Delivery>> delivered = new ConcurrentHashMap<>();

    void acked(String vchannel, long seq, long timeTick, long atNanos) {
        acked.computeIfAbsent(vchannel, v -> new ConcurrentHashMap<>()).put(seq, new Ack(seq, timeTick, atNanos));
    }

    /** An append that failed with an outcome unknown: it may or may not be in the log. */
    void unknown(String vchannel, long seq) {
        unknown.computeIfAbsent(vchannel, v -> ConcurrentHashMap.newKeySet()).add(seq);
    }

    void delivered(String vchannel, long seq, long timeTick, long term) {
        List<Delivery> list = delivered.computeIfAbsent(vchannel, v -> new ArrayList<>());
        synchronized (list) {
            list.add(new Delivery(seq, timeTick, term));
        }
    }

    Map<Long, Ack> acks(String vchannel) {
        return acked.getOrDefault(vchannel, Map.of());
    }

    List<Delivery> deliveries(String vchannel) {
        List<Delivery> list = delivered.getOrDefault(vchannel, List.of());
        synchronized (list) {
            return List.copyOf(list);
        }
    }

    long ackCount() {
        return acked.values().stream().mapToLong(Map::size).sum();
    }

    long unknownCount() {
        return unknown.values().stream().mapToLong(Set::size).sum();
    }

    /** Whether every acknowledged append of every vchannel has been delivered (the consumers caught up). */
    boolean allDelivered() {
        for (Map.Entry<String, Map<Long, Ack>> e : acked.entrySet()) {
            Set<Long> seen = new TreeSet<>();
            deliveries(e.getKey()).forEach(d -> seen.add(d.seq()));
            if (!seen.containsAll(e.getValue().keySet())) {
                return false;
            }
        }
        return true;
    }

    /**
     * The violations, empty if none: in each vchannel, every acknowledged message delivered exactly once, at the
     * time tick its acknowledgement named; no message delivered twice; none delivered that was never sent; time
     * ticks strictly increasing and messages in the order they were sent (an unknown outcome may be missing).
     */
    List<String> check() {
        List<String> violations = new ArrayList<>();
        Set<String> vchannels = new TreeSet<>(acked.keySet());
        vchannels.addAll(delivered.keySet());
        for (String v : vchannels) {
            Map<Long, Ack> acks = acks(v);
            Set<Long> maybe = unknown.getOrDefault(v, Set.of());
            Map<Long, Integer> times = new TreeMap<>();
            long lastTt = Long.MIN_VALUE;
            long lastSeq = Long.MIN_VALUE;
            for (Delivery d : deliveries(v)) {
                int n = times.merge(d.seq(), 1, Integer::sum);
                if (n == 2) {
                    violations.add(v + ": message " + d.seq() + " delivered more than once");
                }
                if (d.timeTick() <= lastTt) {
                    violations.add(v + ": message " + d.seq() + " at time tick " + d.timeTick()
                            + " after one at " + lastTt);
                }
                if (d.seq() <= lastSeq && n == 1) {
                    violations.add(v + ": message " + d.seq() + " delivered after message " + lastSeq);
                }
                Ack a = acks.get(d.seq());
                if (a == null && !maybe.contains(d.seq())) {
                    violations.add(v + ": message " + d.seq() + " delivered but never acknowledged nor in doubt");
                }
                if (a != null && a.timeTick() != d.timeTick()) {
                    violations.add(v + ": message " + d.seq() + " acknowledged at time tick " + a.timeTick()
                            + " but delivered at " + d.timeTick());
                }
                lastTt = Math.max(lastTt, d.timeTick());
                lastSeq = Math.max(lastSeq, d.seq());
            }
            for (Long seq : new TreeSet<>(acks.keySet())) {
                if (!times.containsKey(seq)) {
                    violations.add(v + ": acknowledged message " + seq + " never delivered");
                }
            }
        }
        return violations;
    }
}
