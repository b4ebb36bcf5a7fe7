package io.tidelog.node.testing;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.Vchannels;
import io.tidelog.node.recovery.Checkpoint;
import io.tidelog.node.retention.Subscription;
import io.tidelog.node.retention.SubscriptionStore;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Subscriptions in memory, with the contract of the meta-store one: for tests of the WAL around it. */
public final class MapSubscriptionStore implements SubscriptionStore {
    private final Map<String, Subscription> byKey = new TreeMap<>();

    private static String key(String vchannel, String name) {
        return vchannel + "/" + name;
    }

    @Override
    public synchronized List<Subscription> list(String pchannel) {
        return byKey.values().stream().filter(s -> Vchannels.pchannelOf(s.vchannel()).equals(pchannel))
                .sorted(Comparator.comparing(Subscription::vchannel).thenComparing(Subscription::name)).toList();
    }

    @Override
    public synchronized Optional<Subscription> get(String vchannel, String name) {
        return Optional.ofNullable(byKey.get(key(vchannel, name)));
    }

    @Override
    public synchronized Subscription createIfAbsent(Subscription s) {
        return byKey.computeIfAbsent(key(s.vchannel(), s.name()), k -> s);
    }

    @Override
    public synchronized Subscription claim(String vchannel, String name) {
        Subscription next = existing(vchannel, name).claimed();
        byKey.put(key(vchannel, name), next);
        return next;
    }

    @Override
    public synchronized Subscription commit(String vchannel, String name, Checkpoint position, Instant at, long claim) {
        Subscription next = existing(vchannel, name).committed(position, at, claim);
        byKey.put(key(vchannel, name), next);
        return next;
    }

    private Subscription existing(String vchannel, String name) {
        Subscription s = byKey.get(key(vchannel, name));
        if (s == null) {
            throw new StreamingException(ErrorCode.NOT_FOUND, "no subscription " + name + " of " + vchannel);
        }
        return s;
    }

    @Override
    public synchronized boolean delete(String vchannel, String name) {
        return byKey.remove(key(vchannel, name)) != null;
    }
}
