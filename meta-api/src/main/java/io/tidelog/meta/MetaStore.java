package io.tidelog.meta;

import io.tidelog.common.StreamingException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The meta store: a small key-value store with revisions, watches and leases, modelled on etcd's data
 * model so that etcd implements it one to one. It holds the coordinator's state (pchannel assignments
 * with terms, the TSO high-water mark, the collection catalog, broadcast tasks, sessions) and the
 * streaming nodes' recovery state. Stores are found by name through {@link MetaStores}; every store
 * passes the shared conformance suite.
 *
 * <p><b>Data model.</b> Keys are strings (see {@link MetaKeys}: non-empty, well-formed, at most
 * {@link #MAX_KEY_BYTES} in UTF-8, ordered by UTF-8 bytes), values are bytes. Every write is given a
 * store-wide <em>revision</em>: a strictly increasing number, shared by all the changes of one call
 * (a transaction, a prefix delete, a lease revocation). A call that changes nothing (deleting an absent
 * key, a transaction whose branch only reads) creates no revision. Each key carries its
 * {@link KeyValue#createRevision()}, {@link KeyValue#modRevision()}, {@link KeyValue#version()} (writes
 * since creation) and lease.
 *
 * <p><b>Ordering and atomicity.</b> The store is linearizable: each call takes effect atomically at
 * one point between its invocation and its return, in revision order. A transaction evaluates its
 * comparisons and applies its branch atomically: no other write falls between them.
 *
 * <p><b>Durability point.</b> A write (put, delete, transaction, lease grant or revocation) returns
 * only once it is durable: it survives a crash of the process (and, for the embedded store, of the
 * machine). Reads and watches never observe a write before it is durable. A write that fails with a code of
 * {@link io.tidelog.common.ErrorCode#isNothingWritten()} ({@code INVALID_ARGUMENT}, {@code RESOURCE_EXHAUSTED},
 * {@code UNRECOVERABLE}, ...) changed nothing; after any other failure ({@code INNER}, {@code ON_SHUTDOWN}) its
 * outcome is unknown: it was applied whole or not at all.
 *
 * <p><b>Idempotency.</b> Deleting an absent key, revoking an unknown lease and closing twice are not
 * errors (they report {@code false} or do nothing). A retried put writes again (a new revision): use
 * {@link #compareAndPut} or a transaction when a retry must not apply twice.
 *
 * <p><b>Watches.</b> {@link #watch} delivers the changes of a prefix from a given revision on, in
 * revision order, each exactly once, on the store's single watch dispatcher thread (see
 * {@link WatchListener}: listeners must not block). A store keeps a bounded history of changes;
 * watching from a revision older than the history fails with {@code OUT_OF_RANGE}.
 *
 * <p><b>Leases.</b> A lease has a time to live; {@link #keepAlive} refreshes it (one refresh per call:
 * the caller schedules them, or uses {@link LeaseKeeper}). When it expires or is revoked, every key
 * attached to it is deleted in one revision and watchers see {@code DELETE} events. Expiry is checked
 * by the store against its clock, so keys disappear shortly after the deadline, not at it. After a
 * restart of a store, the leases it held are in effect again with their full time to live counted from
 * the restart (etcd does the same when a leader takes over), so the keys of a process that died go
 * away one time to live after the restart at the latest.
 *
 * <p><b>Limits.</b> At most {@link #MAX_REQUEST_BYTES} of keys and values in one call, at most
 * {@link #MAX_TXN_OPS} comparisons and operations per transaction branch (etcd's defaults are 1.5 MiB
 * and 128); beyond them calls fail with {@code INVALID_ARGUMENT}.
 *
 * <p><b>Threads.</b> Every method may be called from any thread; calls block the caller until done.
 * After {@link #close()}, every call fails with {@code ON_SHUTDOWN}.
 */
public interface MetaStore extends AutoCloseable {

    /** The lease id of a key attached to no lease. */
    long NO_LEASE = 0;

    /** The largest key, in bytes of UTF-8. */
    int MAX_KEY_BYTES = 4096;

    /** The most bytes of keys and values one call may carry. */
    int MAX_REQUEST_BYTES = 1 << 20;

    /** The most comparisons, and the most operations per branch, of one transaction. */
    int MAX_TXN_OPS = 128;

    /** The lowercase name this store is registered under ({@code embedded}, {@code etcd}, ...). */
    String name();

    /** The key's current state, or empty if it does not exist. */
    Optional<KeyValue> get(String key);

    /**
     * The keys starting with {@code prefix} ({@code ""}: every key), in key order, all as of one
     * revision. {@code prefix} {@code "a/"} matches {@code a/b} but not {@code ab}.
     *
     * @param limit the most keys to return; 0 for no limit
     */
    Range range(String prefix, int limit);

    /** The keys starting with {@code prefix}, in key order; see {@link #range}. */
    default List<KeyValue> scan(String prefix) {
        return range(prefix, 0).keyValues();
    }

    /** At most {@code limit} keys starting with {@code prefix}, in key order; see {@link #range}. */
    default List<KeyValue> scan(String prefix, int limit) {
        return range(prefix, limit).keyValues();
    }

    /** Writes {@code value} to {@code key}, attached to no lease; returns the write's revision. */
    default long put(String key, byte[] value) {
        return put(key, value, NO_LEASE);
    }

    /**
     * Writes {@code value} to {@code key}, attached to {@code leaseId} ({@link #NO_LEASE}: none; a put
     * without a lease detaches the key from its former lease). Fails with {@code INVALID_ARGUMENT} if
     * the lease does not exist (expired, revoked, never granted).
     *
     * @return the write's revision
     */
    long put(String key, byte[] value, long leaseId);

    /** Deletes {@code key}; returns whether it existed. */
    boolean delete(String key);

    /**
     * Deletes every key starting with {@code prefix}, in one revision; returns how many. The empty
     * prefix is refused ({@code INVALID_ARGUMENT}): wiping a store takes intent.
     */
    int deletePrefix(String prefix);

    /**
     * Evaluates {@code compares} atomically and applies {@code onSuccess} if they all hold (an empty
     * list holds), else {@code onFailure}. The writes of the branch share one revision. A key may be
     * written at most once per branch ({@code INVALID_ARGUMENT} otherwise, before anything is applied),
     * and a put with a lease that does not exist fails the whole transaction with nothing applied.
     */
    TxnResult txn(List<Compare> compares, List<Op> onSuccess, List<Op> onFailure);

    /** Creates {@code key} with {@code value} if it does not exist; returns whether it did so. */
    default boolean putIfAbsent(String key, byte[] value) {
        return putIfAbsent(key, value, NO_LEASE);
    }

    /** Creates {@code key} attached to {@code leaseId} if it does not exist; returns whether it did so. */
    default boolean putIfAbsent(String key, byte[] value, long leaseId) {
        return txn(List.of(Compare.absent(key)), List.of(Op.put(key, value, leaseId)), List.of()).succeeded();
    }

    /**
     * Writes {@code value} to {@code key} if its mod revision is still {@code expectedModRevision}
     * (0: the key must be absent); returns whether it did so. The key keeps no lease.
     */
    default boolean compareAndPut(String key, long expectedModRevision, byte[] value) {
        return txn(List.of(Compare.modRevision(key, Compare.Result.EQUAL, expectedModRevision)),
                List.of(Op.put(key, value)), List.of()).succeeded();
    }

    /** Deletes {@code key} if its mod revision is still {@code expectedModRevision}; returns whether it did so. */
    default boolean compareAndDelete(String key, long expectedModRevision) {
        if (expectedModRevision <= 0) {
            throw StreamingException.invalidArgument("an existing key has a positive mod revision, got "
                    + expectedModRevision);
        }
        return txn(List.of(Compare.modRevision(key, Compare.Result.EQUAL, expectedModRevision)),
                List.of(Op.delete(key)), List.of()).succeeded();
    }

    /** The revision of the latest durable write (0 for a store never written). */
    long currentRevision();

    /**
     * Watches the keys starting with {@code prefix} ({@code ""}: every key): the listener receives
     * every change at or after {@code fromRevision}, in revision order, each exactly once, first the
     * history (if {@code fromRevision} lies in the past) and then new changes as they become durable.
     * A revision beyond the current one is allowed: delivery starts when the store reaches it.
     *
     * @throws StreamingException {@code OUT_OF_RANGE} if the history at {@code fromRevision} was
     *         compacted away (read the current state with {@link #range} and watch from its revision + 1);
     *         {@code INVALID_ARGUMENT} if {@code fromRevision < 1}
     */
    Watch watch(String prefix, long fromRevision, WatchListener listener);

    /** Watches the changes of {@code prefix} made by every write that completes after this call starts. */
    default Watch watch(String prefix, WatchListener listener) {
        return watch(prefix, currentRevision() + 1, listener);
    }

    /**
     * Grants a lease that expires {@code ttl} after its last refresh; durable on return.
     *
     * @return the lease id, positive and never reused by this store
     */
    long grantLease(Duration ttl);

    /**
     * Refreshes the lease: it now expires one time to live from now. Returns {@code false}, and does
     * nothing, if the lease does not exist any more (it expired, even if its keys are not deleted yet,
     * or was revoked): its keys are gone or about to go. Cheap; not a write (creates no revision).
     */
    boolean keepAlive(long leaseId);

    /** Revokes the lease and deletes its keys at once (one revision); returns whether the lease existed. */
    boolean revokeLease(long leaseId);

    /**
     * Closes the store: writes already accepted complete, later calls fail with {@code ON_SHUTDOWN},
     * open watches end with {@link WatchListener#onError} ({@code ON_SHUTDOWN}). Leases are not revoked.
     * Idempotent.
     */
    @Override
    void close();

    /**
     * Checks a put against the contract (key, value, lease id, size); stores call it before they apply
     * anything. Throws {@code INVALID_ARGUMENT}.
     */
    static void validatePut(String key, byte[] value, long leaseId) {
        MetaKeys.requireKey(key);
        MetaKeys.requireValue(key, value);
        MetaKeys.requireLease(leaseId);
        long bytes = (long) MetaKeys.utf8Length(key) + value.length;
        if (bytes > MAX_REQUEST_BYTES) {
            throw StreamingException.invalidArgument("a put of " + key + " carries " + bytes
                    + " bytes of key and value; at most " + MAX_REQUEST_BYTES + " are accepted");
        }
    }

    /** Checks a range's arguments against the contract; stores call it before they read. Throws {@code INVALID_ARGUMENT}. */
    static void validateRange(String prefix, int limit) {
        MetaKeys.requirePrefix(prefix);
        if (limit < 0) {
            throw StreamingException.invalidArgument("limit must be 0 (none) or positive, got " + limit);
        }
    }

    /** Checks a prefix delete's prefix (never the empty one) against the contract. Throws {@code INVALID_ARGUMENT}. */
    static void validateDeletePrefix(String prefix) {
        MetaKeys.requirePrefix(prefix);
        if (prefix.isEmpty()) {
            throw StreamingException.invalidArgument("deletePrefix refuses the empty prefix (it would delete every key)");
        }
    }

    /** Checks a watch's arguments against the contract; stores call it before they register it. */
    static void validateWatch(String prefix, long fromRevision, WatchListener listener) {
        MetaKeys.requirePrefix(prefix);
        if (listener == null) {
            throw new NullPointerException("listener");
        }
        if (fromRevision < 1) {
            throw StreamingException.invalidArgument("a watch starts at revision 1 or later, got " + fromRevision);
        }
    }

    /**
     * Checks a transaction's shape against the contract (sizes, counts, at most one write per key and
     * branch); stores call it before they apply anything. Throws {@code INVALID_ARGUMENT}.
     */
    static void validateTxn(List<Compare> compares, List<Op> onSuccess, List<Op> onFailure) {
        if (compares == null || onSuccess == null || onFailure == null) {
            throw StreamingException.invalidArgument("a transaction takes three lists (possibly empty), not null");
        }
        if (compares.size() > MAX_TXN_OPS || onSuccess.size() > MAX_TXN_OPS || onFailure.size() > MAX_TXN_OPS) {
            throw StreamingException.invalidArgument("a transaction has at most " + MAX_TXN_OPS
                    + " comparisons and " + MAX_TXN_OPS + " operations per branch; got " + compares.size()
                    + ", " + onSuccess.size() + " and " + onFailure.size());
        }
        long bytes = 0;
        for (Compare c : compares) {
            if (c == null) {
                throw StreamingException.invalidArgument("a transaction's comparison is null");
            }
            bytes += MetaKeys.utf8Length(c.key()) + (c.target() == Compare.Target.VALUE ? c.operand().length : 0);
        }
        bytes += checkBranch(onSuccess, "success") + checkBranch(onFailure, "failure");
        if (bytes > MAX_REQUEST_BYTES) {
            throw StreamingException.invalidArgument("a transaction carries " + bytes + " bytes of keys and values;"
                    + " at most " + MAX_REQUEST_BYTES + " are accepted");
        }
    }

    private static long checkBranch(List<Op> ops, String branch) {
        Set<String> written = new HashSet<>();
        List<String> duplicates = new ArrayList<>();
        long bytes = 0;
        for (Op op : ops) {
            if (op == null) {
                throw StreamingException.invalidArgument("an operation of the " + branch + " branch is null");
            }
            bytes += MetaKeys.utf8Length(op.key());
            if (op instanceof Op.Put p) {
                bytes += p.valueLength();
            }
            if (!(op instanceof Op.Get) && !written.add(op.key())) {
                duplicates.add(op.key());
            }
        }
        if (!duplicates.isEmpty()) {
            throw StreamingException.invalidArgument("the " + branch + " branch writes a key more than once: "
                    + duplicates);
        }
        return bytes;
    }
}
