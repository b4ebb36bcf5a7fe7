package io.tidelog.coord;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.Compare;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.Op;
import io.tidelog.meta.Range;
import io.tidelog.meta.TxnResult;
import io.tidelog.meta.Watch;
import io.tidelog.meta.WatchListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The meta store as one leadership of the coordinator sees it: every write is a transaction guarded by
 * {@code createRevision(leaderKey) == epoch}, the revision at which this leader created the election key. Once
 * another coordinator leads (the key was deleted with the leader's session and created again, at a higher
 * revision), every write through this view fails with {@code NOT_LEADER} and changes nothing, whatever the
 * deposed leader believes. So no two coordinators act as leader on the same meta-store revision (the spin model's
 * property (b); its MUT_NO_GUARD mutation removes this guard).
 *
 * <p>Reads, watches and leases pass through unguarded: a deposed leader that reads does no harm. A transaction's
 * failure branch may only read (a write there would escape the guard): {@code INVALID_ARGUMENT} otherwise. A
 * caller's transaction that fails tells the guard's failure (then {@code NOT_LEADER}) from its own compares' (then
 * the result, as the store returned it) by a read of the election key in the same transaction.
 *
 * <p>A view, not an owner: {@link #close()} leaves the store open.
 */
public final class LeaderGuardedMetaStore implements MetaStore {
    private final MetaStore store;
    private final String leaderKey;
    private final long epoch;
    private final Compare guard;

    /**
     * @param store     the store
     * @param leaderKey the election key
     * @param epoch     the create revision of the election key when this coordinator created it
     */
    public LeaderGuardedMetaStore(MetaStore store, String leaderKey, long epoch) {
        if (epoch <= 0) {
            throw StreamingException.invalidArgument("a leader's epoch is a create revision, positive; got " + epoch);
        }
        this.store = store;
        this.leaderKey = leaderKey;
        this.epoch = epoch;
        this.guard = Compare.createRevision(leaderKey, Compare.Result.EQUAL, epoch);
    }

    public long epoch() {
        return epoch;
    }

    @Override
    public String name() {
        return store.name();
    }

    @Override
    public Optional<KeyValue> get(String key) {
        return store.get(key);
    }

    @Override
    public Range range(String prefix, int limit) {
        return store.range(prefix, limit);
    }

    @Override
    public long put(String key, byte[] value, long leaseId) {
        return guarded(List.of(), List.of(Op.put(key, value, leaseId)), List.of()).revision();
    }

    @Override
    public boolean delete(String key) {
        TxnResult r = guarded(List.of(Compare.present(key)), List.of(Op.delete(key)), List.of());
        return r.succeeded();
    }

    /** Deletes the prefix's keys in guarded transactions of at most {@link #MAX_TXN_OPS} keys (not in one revision). */
    @Override
    public int deletePrefix(String prefix) {
        MetaStore.validateDeletePrefix(prefix);
        int deleted = 0;
        while (true) {
            List<KeyValue> batch = store.scan(prefix, MAX_TXN_OPS - 1);
            if (batch.isEmpty()) {
                return deleted;
            }
            List<Op> ops = new ArrayList<>();
            for (KeyValue kv : batch) {
                ops.add(Op.delete(kv.key()));
            }
            guarded(List.of(), ops, List.of());
            deleted += batch.size();
        }
    }

    @Override
    public TxnResult txn(List<Compare> compares, List<Op> onSuccess, List<Op> onFailure) {
        return guarded(compares, onSuccess, onFailure);
    }

    private TxnResult guarded(List<Compare> compares, List<Op> onSuccess, List<Op> onFailure) {
        for (Op op : onFailure) {
            if (!(op instanceof Op.Get)) {
                throw StreamingException.invalidArgument("a leader's transaction may only read in its failure branch"
                        + " (a write there would not be guarded by the leadership): " + op);
            }
        }
        List<Compare> all = new ArrayList<>(compares.size() + 1);
        all.addAll(compares);
        all.add(guard);
        List<Op> failure = new ArrayList<>(onFailure.size() + 1);
        failure.addAll(onFailure);
        failure.add(Op.get(leaderKey));
        TxnResult r = store.txn(all, onSuccess, failure);
        if (r.succeeded()) {
            return r;
        }
        Optional<KeyValue> leader = r.gets().get(r.gets().size() - 1);
        if (leader.isEmpty() || leader.get().createRevision() != epoch) {
            throw new StreamingException(ErrorCode.NOT_LEADER, "this coordinator no longer leads (its epoch " + epoch
                    + " ended" + leader.map(kv -> "; another has led since revision " + kv.createRevision())
                    .orElse("; nobody leads now") + ")");
        }
        return new TxnResult(false, r.revision(), r.gets().subList(0, r.gets().size() - 1));
    }

    @Override
    public long currentRevision() {
        return store.currentRevision();
    }

    @Override
    public Watch watch(String prefix, long fromRevision, WatchListener listener) {
        return store.watch(prefix, fromRevision, listener);
    }

    @Override
    public long grantLease(Duration ttl) {
        return store.grantLease(ttl);
    }

    @Override
    public boolean keepAlive(long leaseId) {
        return store.keepAlive(leaseId);
    }

    @Override
    public boolean revokeLease(long leaseId) {
        return store.revokeLease(leaseId);
    }

    /** Leaves the store open: this is only a view of it. */
    @Override
    public void close() {
    }
}
