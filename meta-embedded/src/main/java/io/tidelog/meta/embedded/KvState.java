package io.tidelog.meta.embedded;

import io.tidelog.common.DiskSpace;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.Compare;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.Op;
import io.tidelog.meta.Range;
import io.tidelog.meta.TxnResult;
import io.tidelog.meta.WatchEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;
import org.h2.mvstore.type.ByteArrayDataType;
import org.h2.mvstore.type.LongDataType;
import org.h2.mvstore.type.StringDataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's state in one MVStore file, and every change to it.
 *
 * <pre>
 * map       key -&gt; value                      what
 * kv        key -&gt; record (see KvCodec)       the current keys
 * history   revision -&gt; events               the changes of each kept revision (for watches)
 * leases    lease id -&gt; time to live (ms)    the leases in effect
 * state     name -&gt; long                     revision, compacted, nextLease, format
 * </pre>
 *
 * <p><b>Threads.</b> Changes ({@code put}, {@code txn}, ...) and {@link #commitBatch} run on the writer
 * thread only, under the store's write lock; reads run on callers' threads under its read lock, so a
 * read never sees a change that {@link #commitBatch} has not made durable. The watch dispatcher reads
 * {@link #historyEntry} without the lock, only at or below {@link #durableRevision()}.
 *
 * <p><b>Durability.</b> MVStore keeps changes in memory until a commit; auto-commit is off (both the
 * background delay and the unsaved-memory trigger, which would otherwise store half a batch), so
 * nothing reaches the file except through {@link #commitBatch}: {@code MVStore.commit()} writes one
 * new chunk with every change of the batch (the file's new root; a torn chunk is ignored on open and the
 * previous root used), then {@code MVStore.sync()} forces the file ({@code FileChannel.force(true)},
 * fsync) before any request of the batch is acknowledged.
 *
 * <p><b>Space reuse.</b> MVStore is copy-on-write: every commit writes the changed pages to a new
 * chunk, and a chunk whose pages are all superseded is dead. By default MVStore keeps dead chunks for
 * 45 s (its "retention time") so that readers still walking an older root never read overwritten
 * space; under a steady write load that grows the file by 45 s of commits. Here every read of the file
 * (callers' reads and the watch dispatcher's history reads) happens under the store's read lock, never
 * during a commit, and every commit is fsynced before the next one may reuse space, so the retention
 * time is 0: dead chunks are reused at once (beyond the last few versions MVStore keeps anyway).
 *
 * <p><b>Failed commits.</b> When a commit fails (a full disk), MVStore closes itself, and its maps hold the
 * failed batch's changes in memory. {@link #reopen} drops all of that and opens the file again at its last
 * committed chunk (a torn chunk is ignored); the {@code batches} counter, written with every commit, tells
 * whether the failed batch reached the file after all.
 */
final class KvState {
    private static final Logger LOG = LoggerFactory.getLogger(KvState.class);
    private static final String REVISION = "revision";
    private static final String COMPACTED = "compacted";
    private static final String NEXT_LEASE = "nextLease";
    private static final String FORMAT = "format";
    private static final String BATCHES = "batches";
    private static final long FORMAT_VERSION = 1;
    /** Every this many commits the writer asks MVStore to rewrite sparsely used chunks. */
    private static final int COMMITS_PER_HOUSEKEEPING = 1024;
    private static final int HOUSEKEEPING_FILL_RATE = 50;
    private static final int HOUSEKEEPING_WRITE_BYTES = 1 << 20;

    private final EmbeddedMetaStoreConfig config;
    private final LeaseTable leases;
    private final int historyRevisions;
    /** The open file and its maps: replaced by {@link #reopen}, under the write lock; null while it failed. */
    private MVStore store;
    private MVMap<String, byte[]> kv;
    private MVMap<Long, byte[]> history;
    private MVMap<Long, Long> leaseTtls;
    private MVMap<String, Long> state;

    /** Writer thread: the revision of the latest applied change. */
    private long revision;
    /** Writer thread: the id the next granted lease gets. */
    private long nextLeaseId;
    /** Writer thread: whether the current batch changed anything. */
    private boolean dirty;
    private long commits;
    /** Writer thread: batches committed to the file, ever (persisted with each). */
    private long batches;
    private volatile long durableRevision;
    private volatile long compactedRevision;

    private KvState(EmbeddedMetaStoreConfig config, LeaseTable leases) {
        this.config = config;
        this.leases = leases;
        this.historyRevisions = config.historyRevisions();
    }

    private void bind(MVStore store) {
        this.store = store;
        this.kv = store.openMap("kv", new MVMap.Builder<String, byte[]>()
                .keyType(CodePointKeyType.INSTANCE).valueType(ByteArrayDataType.INSTANCE));
        this.history = store.openMap("history", new MVMap.Builder<Long, byte[]>()
                .keyType(LongDataType.INSTANCE).valueType(ByteArrayDataType.INSTANCE));
        this.leaseTtls = store.openMap("leases", new MVMap.Builder<Long, Long>()
                .keyType(LongDataType.INSTANCE).valueType(LongDataType.INSTANCE));
        this.state = store.openMap("state", new MVMap.Builder<String, Long>()
                .keyType(StringDataType.INSTANCE).valueType(LongDataType.INSTANCE));
    }

    /** Opens (or creates) the store file and restores the leases with a full time to live from now. */
    static KvState open(EmbeddedMetaStoreConfig config, LeaseTable leases) {
        KvState s = new KvState(config, leases);
        s.openFile();
        return s;
    }

    /**
     * After a failed commit, on the writer thread under the write lock: forgets every change not in the
     * file and opens it again, at its last committed chunk. A lease still in the file keeps its deadline.
     *
     * @return whether the file holds changes of the batch that failed (its commit landed after all)
     * @throws StreamingException if the file cannot be opened ({@code RESOURCE_EXHAUSTED} for a full disk);
     *         then the store stays closed and this may be called again
     */
    boolean reopen() {
        long committed = batches;
        boolean changed = dirty;
        closeImmediately();
        store = null;
        dirty = false;
        openFile();
        return changed && batches > committed;
    }

    /** Whether the file is open (false after a failed {@link #reopen}). */
    boolean isOpen() {
        return store != null;
    }

    private void openFile() {
        MVStore opened;
        try {
            Files.createDirectories(config.dir());
            opened = new MVStore.Builder()
                    .fileName(config.file().toString())
                    .autoCommitDisabled()
                    .autoCommitBufferSize(0)
                    .open();
            opened.setRetentionTime(0);
        } catch (IOException e) {
            throw failure("cannot create the meta store directory " + config.dir(), e, ErrorCode.INNER);
        } catch (MVStoreException e) {
            if (e.getErrorCode() == DataUtils.ERROR_FILE_LOCKED) {
                throw StreamingException.invalidArgument("meta store " + config.file()
                        + " is in use by another process (or another store in this one)");
            }
            throw failure("cannot open meta store " + config.file(), e, ErrorCode.DATA_CORRUPTED);
        }
        try {
            bind(opened);
            restore();
        } catch (RuntimeException e) {
            opened.closeImmediately();
            store = null;
            throw e instanceof StreamingException ? e : failure("cannot read meta store " + config.file(), e,
                    ErrorCode.DATA_CORRUPTED);
        }
    }

    /** {@code RESOURCE_EXHAUSTED} naming the disk if it is full, else {@code code}. */
    private StreamingException failure(String what, Exception e, ErrorCode code) {
        return DiskSpace.isNoSpace(e, config.dir()) ? DiskSpace.exhausted(what, config.dir(), e)
                : new StreamingException(code, what, e);
    }

    private void restore() {
        Long format = state.get(FORMAT);
        if (format == null && !kv.isEmpty()) {
            throw StreamingException.corrupted("meta store has keys but no format marker");
        }
        if (format != null && format != FORMAT_VERSION) {
            throw new StreamingException(ErrorCode.UNRECOVERABLE, "meta store format " + format
                    + " is not supported (this version reads " + FORMAT_VERSION + ")");
        }
        revision = state.getOrDefault(REVISION, 0L);
        compactedRevision = state.getOrDefault(COMPACTED, 0L);
        nextLeaseId = state.getOrDefault(NEXT_LEASE, 1L);
        batches = state.getOrDefault(BATCHES, 0L);
        Long lastHistory = history.lastKey();
        if (lastHistory != null && lastHistory > revision) {
            throw StreamingException.corrupted("meta store history reaches revision " + lastHistory
                    + " beyond the store revision " + revision);
        }
        leases.reset(new java.util.HashMap<>(leaseTtls));
        Cursor<String, byte[]> c = kv.cursor(null);
        while (c.hasNext()) {
            String key = c.next();
            long lease = KvCodec.leaseOf(c.getValue());
            if (lease != 0) {
                if (leases.contains(lease)) {
                    leases.attach(lease, key);
                } else {
                    LOG.warn("meta store key {} is attached to lease {}, which does not exist", key, lease);
                }
            }
        }
        if (format == null) {
            state.put(FORMAT, FORMAT_VERSION);
            dirty = true;
            commitBatch();
        }
        durableRevision = revision;
    }

    long durableRevision() {
        return durableRevision;
    }

    long compactedRevision() {
        return compactedRevision;
    }

    /** The stored events of {@code revision}, or null if compacted (or beyond the end); under the read lock. */
    byte[] historyEntry(long revision) {
        return history.get(revision);
    }

    // ---------------------------------------------------------------- reads (callers, read lock)

    Optional<KeyValue> get(String key) {
        byte[] record = kv.get(key);
        return record == null ? Optional.empty() : Optional.of(KvCodec.decodeRecord(key, record));
    }

    Range range(String prefix, int limit) {
        List<KeyValue> out = new ArrayList<>();
        boolean more = false;
        Cursor<String, byte[]> c = kv.cursor(prefix);
        while (c.hasNext()) {
            String key = c.next();
            if (!key.startsWith(prefix)) {
                break;
            }
            if (limit > 0 && out.size() == limit) {
                more = true;
                break;
            }
            out.add(KvCodec.decodeRecord(key, c.getValue()));
        }
        return new Range(out, durableRevision, more);
    }

    // ---------------------------------------------------------------- changes (writer thread, write lock)

    /** The writes of one request: one revision, allocated at the first write, shared by all. */
    private final class Change {
        private long revision;
        private final List<WatchEvent> events = new ArrayList<>();

        long revision() {
            if (revision == 0) {
                revision = KvState.this.revision + 1;
            }
            return revision;
        }

        /** Records the change's events as its revision's history; the revision is now applied. */
        void finish() {
            if (!events.isEmpty()) {
                history.put(revision, KvCodec.encodeEvents(events));
                KvState.this.revision = revision;
                dirty = true;
            }
        }
    }

    long put(String key, byte[] value, long lease) {
        requireUsableLease(lease);
        Change c = new Change();
        writePut(c, key, value, lease);
        c.finish();
        return c.revision;
    }

    boolean delete(String key) {
        Change c = new Change();
        boolean existed = writeDelete(c, key);
        c.finish();
        return existed;
    }

    int deletePrefix(String prefix) {
        List<String> keys = new ArrayList<>();
        Cursor<String, byte[]> cursor = kv.cursor(prefix);
        while (cursor.hasNext()) {
            String key = cursor.next();
            if (!key.startsWith(prefix)) {
                break;
            }
            keys.add(key);
        }
        Change c = new Change();
        keys.forEach(k -> writeDelete(c, k));
        c.finish();
        return keys.size();
    }

    TxnResult txn(List<Compare> compares, List<Op> onSuccess, List<Op> onFailure) {
        boolean succeeded = true;
        for (Compare cmp : compares) {
            if (!cmp.holdsFor(get(cmp.key()))) {
                succeeded = false;
                break;
            }
        }
        List<Op> branch = succeeded ? onSuccess : onFailure;
        for (Op op : branch) {
            if (op instanceof Op.Put p) {
                requireUsableLease(p.lease());
            }
        }
        Change c = new Change();
        List<Optional<KeyValue>> gets = new ArrayList<>();
        for (Op op : branch) {
            if (op instanceof Op.Put p) {
                writePut(c, p.key(), p.value(), p.lease());
            } else if (op instanceof Op.Delete d) {
                writeDelete(c, d.key());
            } else {
                gets.add(get(op.key()));
            }
        }
        c.finish();
        return new TxnResult(succeeded, c.events.isEmpty() ? revision : c.revision, gets);
    }

    long grantLease(long ttlMillis) {
        long id = nextLeaseId++;
        leaseTtls.put(id, ttlMillis);
        leases.add(id, ttlMillis);
        dirty = true;
        return id;
    }

    /** Ends a lease and deletes its keys in one revision; with {@code onlyIfExpired}, only if it is still expired. */
    boolean revokeLease(long id, boolean onlyIfExpired) {
        LeaseTable.Ended ended = leases.end(id, onlyIfExpired);
        if (ended == null) {
            return false;
        }
        leaseTtls.remove(id);
        dirty = true;
        Change c = new Change();
        ended.keys().forEach(k -> writeDelete(c, k));
        c.finish();
        return true;
    }

    private void requireUsableLease(long lease) {
        if (lease != 0 && !leases.usable(lease)) {
            throw StreamingException.invalidArgument("lease " + lease + " does not exist (expired, revoked or never granted)");
        }
    }

    private void writePut(Change c, String key, byte[] value, long lease) {
        long rev = c.revision();
        byte[] oldRecord = kv.get(key);
        KeyValue old = oldRecord == null ? null : KvCodec.decodeRecord(key, oldRecord);
        KeyValue now = new KeyValue(key, value, old == null ? rev : old.createRevision(), rev,
                old == null ? 1 : old.version() + 1, lease);
        kv.put(key, KvCodec.encodeRecord(now));
        if (old != null && old.lease() != 0 && old.lease() != lease) {
            leases.detach(old.lease(), key);
        }
        if (lease != 0) {
            leases.attach(lease, key);
        }
        c.events.add(new WatchEvent(WatchEvent.Type.PUT, now));
    }

    private boolean writeDelete(Change c, String key) {
        byte[] oldRecord = kv.remove(key);
        if (oldRecord == null) {
            return false;
        }
        long oldLease = KvCodec.leaseOf(oldRecord);
        if (oldLease != 0) {
            leases.detach(oldLease, key);
        }
        c.events.add(new WatchEvent(WatchEvent.Type.DELETE, KeyValue.deleted(key, c.revision())));
        return true;
    }

    /**
     * Makes every change applied since the last call durable: compacts the history beyond the kept
     * revisions, records the counters, commits one chunk and forces the file. Only then is the new
     * revision published to readers and watchers.
     */
    void commitBatch() {
        if (!dirty) {
            return;
        }
        compactHistory();
        state.put(REVISION, revision);
        state.put(NEXT_LEASE, nextLeaseId);
        state.put(BATCHES, batches + 1);
        store.commit();
        store.sync();
        batches++;
        dirty = false;
        durableRevision = revision;
    }

    /**
     * Every so many commits, rewrites sparsely used chunks (on the writer thread, under the write lock,
     * after a commit). Changes nothing a reader sees; if it fails, {@link #reopen} as after a commit.
     */
    void housekeeping() {
        if (++commits % COMMITS_PER_HOUSEKEEPING == 0 && store.compact(HOUSEKEEPING_FILL_RATE, HOUSEKEEPING_WRITE_BYTES)) {
            store.commit();
            store.sync();
        }
    }

    /** Watchers check {@link #compactedRevision} before they read, so it moves before the entries go. */
    private void compactHistory() {
        long target = revision - historyRevisions;
        long from = compactedRevision + 1;
        if (target < from) {
            return;
        }
        compactedRevision = target;
        for (long r = from; r <= target; r++) {
            history.remove(r);
        }
        state.put(COMPACTED, target);
    }

    /** A clean close: everything is committed already; MVStore writes its header. */
    void close() {
        if (store != null) {
            store.close();
        }
    }

    /** An abrupt stop, as in a crash (or after a failed commit, when MVStore closed itself): nothing more is written. */
    void closeImmediately() {
        if (store != null) {
            store.closeImmediately();
        }
    }
}
