package io.tidelog.delegator;

import com.google.common.hash.BloomFilter;
import com.google.common.hash.Funnel;
import io.tidelog.message.CollectionSchemas;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.query.Column;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * A flushed segment as a delegator holds it: what must stay in memory — its row count, a Bloom filter of its primary
 * keys that routes deletes, and the deletes that hit it — while its rows (columns, time ticks, key index) live in the
 * node's {@link SealedSegmentCache} and are read again from the segment's file when a query needs them after they
 * were evicted. A node then holds, of all the sealed data it serves, about 1.2 bytes per row plus the deletes, and
 * the rows up to the cache's budget.
 *
 * <p><b>Deletes</b> are kept per key, as the time ticks of the deletes of that key that reached the segment
 * (ascending; usually one). A row of the key inserted at {@code t} is hidden from the first of them above {@code t},
 * as in {@link ShardSegment}. A key the filter wrongly lets through costs one entry and hides nothing.
 *
 * <p>Threads: {@link #delete} and {@link #takeDeletesOf} by the delegator's owner only; {@link #source} from any
 * thread. The deletes are in a concurrent map: a source made after a reader saw tsafe reach {@code t} holds every
 * delete at or below {@code t} (the owner applied them before tsafe moved).
 */
final class SealedSegment implements HeldSegment {
    /** 1 % false positives: about 9.6 bits per key. */
    private static final double FALSE_POSITIVES = 0.01;
    private static final Funnel<Object> KEYS = (key, into) -> {
        if (key instanceof Long l) {
            into.putLong(l);
        } else {
            into.putString((String) key, StandardCharsets.UTF_8);
        }
    };

    private final long id;
    final long partitionId;
    private final int rowCount;
    private final BloomFilter<Object> keys;
    /** Reads the rows from the segment's file (on a miss of the cache). */
    private final Supplier<ShardSegment> read;
    private final SealedSegmentCache cache;
    /** By key, the time ticks of its deletes, ascending; each array replaced, never changed. Written by the owner. */
    private final Map<Object, long[]> deletes = new ConcurrentHashMap<>();
    /** Bumped by the owner after each change of {@link #deletes}. */
    private volatile int deletesVersion;
    private volatile Computed computed;

    private record Computed(int version, RowDeletes deletes) {
    }

    private SealedSegment(long id, long partitionId, ShardSegment rows, Supplier<ShardSegment> read,
                          SealedSegmentCache cache) {
        this.id = id;
        this.partitionId = partitionId;
        this.rowCount = rows.rowCount();
        this.read = read;
        this.cache = cache;
        this.keys = BloomFilter.create(KEYS, Math.max(rowCount, 1), FALSE_POSITIVES);
        Column keyColumn = rows.keys();
        for (int r = 0; r < rowCount; r++) {
            keys.put(ShardSegment.keyAt(keyColumn, r));
        }
    }

    /**
     * A sealed segment whose rows were just read ({@code rows}, put in the cache) and can be read again by
     * {@code read}.
     */
    static SealedSegment of(long id, long partitionId, ShardSegment rows, Supplier<ShardSegment> read,
                            SealedSegmentCache cache) {
        SealedSegment s = new SealedSegment(id, partitionId, rows, read, cache);
        cache.put(s, rows);
        return s;
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public boolean isSealed() {
        return true;
    }

    @Override
    public int rowCount() {
        return rowCount;
    }

    /** Reads the rows from the segment's file; by the cache, on a miss. */
    ShardSegment read() {
        return read.get();
    }

    @Override
    public void delete(Object key, long timeTick) {
        if (keys.mightContain(key)) {
            addDelete(key, timeTick);
        }
    }

    private void addDelete(Object key, long timeTick) {
        long[] before = deletes.get(key);
        if (before == null) {
            deletes.put(key, new long[] {timeTick});
        } else {
            int at = Arrays.binarySearch(before, timeTick);
            if (at >= 0) {
                return;
            }
            int insert = -at - 1;
            long[] after = new long[before.length + 1];
            System.arraycopy(before, 0, after, 0, insert);
            after[insert] = timeTick;
            System.arraycopy(before, insert, after, insert + 1, before.length - insert);
            deletes.put(key, after);
        }
        deletesVersion = deletesVersion + 1; // one writer
    }

    /**
     * Takes over the deletes of {@code growing}, the growing form of this segment, whose rows are the same rows in the
     * same order (the flusher writes a segment's rows in log order, as they were appended).
     *
     * @return false, and nothing changes, if the two do not hold the same number of rows
     */
    boolean takeDeletesOf(ShardSegment growing) {
        if (growing.rowCount() != rowCount) {
            return false;
        }
        ShardSegment.Snapshot g = growing.snapshot();
        Column keyColumn = growing.keys();
        for (int r = 0; r < rowCount; r++) {
            // The earliest delete above each row's insert is among these: see the class comment.
            if (g.deletedAt()[r] != Long.MAX_VALUE) {
                addDelete(ShardSegment.keyAt(keyColumn, r), g.deletedAt()[r]);
            }
        }
        return true;
    }

    @Override
    public ShardReader.Source source(CollectionSchema schema) {
        ShardSegment rows = cache.rows(this);
        return new ShardReader.Source(WidenedView.of(rows.snapshot().view(), schema), true, rows, rowDeletes(rows));
    }

    /** The rows the deletes hide, computed once per change of the deletes. */
    private RowDeletes rowDeletes(ShardSegment rows) {
        int version = deletesVersion; // before the map: what is computed holds at least this version's deletes
        Computed c = computed;
        if (c != null && c.version() == version) {
            return c.deletes();
        }
        List<long[]> hidden = new ArrayList<>(); // {row, tick}
        var view = rows.snapshot().view();
        for (Map.Entry<Object, long[]> e : deletes.entrySet()) {
            long[] ticks = e.getValue();
            for (int r : rows.rowsOf(e.getKey(), rowCount)) {
                long inserted = view.insertTimeTick(r);
                int at = Arrays.binarySearch(ticks, inserted);
                int first = at >= 0 ? at + 1 : -at - 1; // the first delete strictly after the insert
                if (first < ticks.length) {
                    hidden.add(new long[] {r, ticks[first]});
                }
            }
        }
        hidden.sort((a, b) -> Long.compare(a[0], b[0]));
        int[] hiddenRows = new int[hidden.size()];
        long[] hiddenAt = new long[hidden.size()];
        for (int i = 0; i < hiddenRows.length; i++) {
            hiddenRows[i] = (int) hidden.get(i)[0];
            hiddenAt[i] = hidden.get(i)[1];
        }
        RowDeletes out = RowDeletes.sparse(hiddenRows, hiddenAt);
        computed = new Computed(version, out);
        return out;
    }

    /** What stays in memory while the rows are not: the filter and the deletes, roughly. */
    long residentBytes() {
        return (long) Math.ceil(rowCount * 9.6 / 8) + deletes.size() * 64L;
    }

    /** The segment is no longer held: its rows leave the cache. */
    void release() {
        cache.forget(this);
    }

    @Override
    public String toString() {
        return "sealed segment " + id + " (" + rowCount + " rows)";
    }
}
