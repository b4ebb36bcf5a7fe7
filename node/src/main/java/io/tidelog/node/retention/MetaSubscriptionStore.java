package io.tidelog.node.retention;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.Vchannels;
import io.tidelog.meta.Compare;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.Op;
import io.tidelog.node.recovery.Checkpoint;
import io.tidelog.state.proto.SubscriptionProto;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Durable subscriptions in the meta store, one key each, grouped by pchannel so that the pchannel's owner reads
 * all of them with one range read:
 *
 * <pre>
 *   subscription/&lt;pchannel&gt;/&lt;vchannel&gt;/&lt;name&gt;    SubscriptionProto (names have no '/')
 * </pre>
 *
 * <p>Creation is a put-if-absent; a commit is a put conditional on the key existing, so a commit racing a delete
 * never brings the subscription back.
 */
public final class MetaSubscriptionStore implements SubscriptionStore {
    private static final String ROOT = "subscription/";

    private final MetaStore meta;

    public MetaSubscriptionStore(MetaStore meta) {
        this.meta = meta;
    }

    static String key(String vchannel, String name) {
        return ROOT + Vchannels.pchannelOf(vchannel) + "/" + vchannel + "/" + Subscription.validateName(name);
    }

    @Override
    public List<Subscription> list(String pchannel) {
        List<Subscription> out = new ArrayList<>();
        for (KeyValue kv : meta.scan(ROOT + pchannel + "/")) {
            out.add(decode(kv));
        }
        out.sort(Comparator.comparing(Subscription::vchannel).thenComparing(Subscription::name));
        return out;
    }

    @Override
    public Optional<Subscription> get(String vchannel, String name) {
        return meta.get(key(vchannel, name)).map(MetaSubscriptionStore::decode);
    }

    @Override
    public Subscription createIfAbsent(Subscription s) {
        String key = key(s.vchannel(), s.name());
        while (true) {
            if (meta.putIfAbsent(key, encode(s))) {
                return s;
            }
            Optional<Subscription> existing = get(s.vchannel(), s.name());
            if (existing.isPresent()) {
                return existing.get();
            }
        }
    }

    @Override
    public Subscription claim(String vchannel, String name) {
        return update(vchannel, name, Subscription::claimed);
    }

    @Override
    public Subscription commit(String vchannel, String name, Checkpoint position, Instant at, long claim) {
        return update(vchannel, name, s -> s.committed(position, at, claim));
    }

    /** Replaces the stored subscription with {@code change} of it, by compare-and-set on its revision. */
    private Subscription update(String vchannel, String name, UnaryOperator<Subscription> change) {
        String key = key(vchannel, name);
        while (true) {
            Optional<KeyValue> current = meta.get(key);
            if (current.isEmpty()) {
                throw new StreamingException(ErrorCode.NOT_FOUND, "subscription " + name + " of " + vchannel
                        + " does not exist (it was deleted)");
            }
            Subscription next = change.apply(decode(current.get()));
            boolean done = meta.txn(List.of(Compare.modRevision(key, Compare.Result.EQUAL, current.get().modRevision())),
                    List.of(Op.put(key, encode(next))), List.of()).succeeded();
            if (done) {
                return next;
            }
        }
    }

    @Override
    public boolean delete(String vchannel, String name) {
        return meta.delete(key(vchannel, name));
    }

    private static byte[] encode(Subscription s) {
        return SubscriptionProto.newBuilder().setVchannel(s.vchannel()).setName(s.name())
                .setPosition(s.position().toProto()).setCreatedAtMillis(s.createdAt().toEpochMilli())
                .setCommittedAtMillis(s.committedAt().toEpochMilli()).setGeneration(s.generation()).build().toByteArray();
    }

    private static Subscription decode(KeyValue kv) {
        try {
            SubscriptionProto p = SubscriptionProto.parseFrom(kv.value());
            return new Subscription(p.getVchannel(), p.getName(), Checkpoint.fromProto(p.getPosition()),
                    Instant.ofEpochMilli(p.getCreatedAtMillis()), Instant.ofEpochMilli(p.getCommittedAtMillis()),
                    p.getGeneration());
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            throw new StreamingException(ErrorCode.DATA_CORRUPTED, "subscription record " + kv.key()
                    + " cannot be read: " + e.getMessage(), e);
        }
    }
}
