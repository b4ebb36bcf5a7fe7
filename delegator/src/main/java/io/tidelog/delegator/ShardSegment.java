package io.tidelog.delegator;

import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.InsertBody;
import io.tidelog.query.Column;
import io.tidelog.query.ColumnarSegment;
import io.tidelog.query.SegmentView;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;

/**
 * The rows of one segment of a vchannel in memory: a growing segment (fed insert by insert from the log, with when
 * each row was deleted), or the rows of a sealed one read back from its file (held by the {@link SealedSegmentCache};
 * the {@link SealedSegment} keeps its deletes): columnar ({@link ColumnarSegment}), with an index from primary key to
 * rows that finds the rows a delete hides and those a get asks for.
 *
 * <p><b>Deletes.</b> A delete of key {@code k} at time tick {@code d} hides the rows of {@code k} inserted before
 * {@code d} (an upsert's delete and insert share their commit's time tick: the old row goes, the new one stays).
 * Each row keeps the earliest such {@code d} ({@link Long#MAX_VALUE} while none): the row is visible at time tick
 * {@code t} if it was inserted at or before {@code t} and {@code deletedAt > t}.
 *
 * <p>Threads: written by its delegator's apply thread only (a sealed segment is built by a loader thread and handed
 * over whole). {@link #snapshot} may be called from any thread: a snapshot taken after the reader saw the
 * pchannel's tsafe reach {@code t} holds every delete at or below {@code t} (they were applied before tsafe moved
 * past them); later deletes may or may not show in it, and either way they do not change what is visible at
 * {@code t}.
 */
final class ShardSegment implements HeldSegment {
    private static final int NONE = -1;

    final long id;
    final long partitionId;
    /** Read back from its file: its rows do not change. */
    final boolean sealed;
    private final ColumnarSegment rows;
    private final String primaryKey;
    /** Per row: the time tick of the earliest delete that hides it, or {@link Long#MAX_VALUE}. */
    private volatile long[] deletedAt = new long[0];
    /**
     * The last row of each primary key; earlier rows of the key chain through {@link #previousSameKey}. Readers use
     * it too ({@link #rowsOf}): a row's chain entry is written before its key is put here, and the array only grows
     * into copies, so a reader that found a row here finds its chain in the array it reads after.
     */
    private final Map<Object, Integer> lastRowOf = new ConcurrentHashMap<>();
    private volatile int[] previousSameKey = new int[0];

    private ShardSegment(long id, long partitionId, CollectionSchema schema, boolean sealed) {
        this.id = id;
        this.partitionId = partitionId;
        this.sealed = sealed;
        this.rows = new ColumnarSegment(schema);
        this.primaryKey = io.tidelog.message.CollectionSchemas.primaryKey(schema).getName();
    }

    /** An empty growing segment. */
    static ShardSegment growing(long id, long partitionId, CollectionSchema schema) {
        return new ShardSegment(id, partitionId, schema, false);
    }

    /** A sealed segment of the rows read back from its file, row {@code i} inserted at {@code rowTimeTicks[i]}. */
    static ShardSegment sealed(long id, long partitionId, CollectionSchema schema, InsertBody rows, long[] rowTimeTicks) {
        ShardSegment s = new ShardSegment(id, partitionId, schema, true);
        if (rows.getNumRows() > 0) {
            s.index(() -> s.rows.append(rows, rowTimeTicks));
        }
        return s;
    }

    /** Appends an insert's rows, visible from {@code timeTick}. Growing segments only. */
    void append(InsertBody body, long timeTick) {
        assert !sealed : "a sealed segment's rows do not change";
        index(() -> rows.append(body, timeTick));
    }

    /** Runs an append of rows, then indexes the new rows and marks them not deleted. */
    private void index(Runnable append) {
        int from = rows.rowCount();
        append.run();
        int to = rows.rowCount();
        long[] deleted = deletedAt;
        if (to > deleted.length) {
            int capacity = Math.max(to, Math.max(16, deleted.length * 2));
            deleted = Arrays.copyOf(deleted, capacity);
            previousSameKey = Arrays.copyOf(previousSameKey, capacity);
        }
        Arrays.fill(deleted, from, to, Long.MAX_VALUE);
        Column keys = rows.view().column(primaryKey);
        int[] chain = previousSameKey;
        for (int r = from; r < to; r++) {
            Object key = keyAt(keys, r);
            Integer previous = lastRowOf.get(key);
            chain[r] = previous == null ? NONE : previous;
            lastRowOf.put(key, r);
        }
        deletedAt = deleted; // publishes the new rows' entries with the array
    }

    @Override
    public void delete(Object key, long timeTick) {
        assert !sealed : "a sealed segment's deletes are kept by its SealedSegment";
        Integer last = lastRowOf.get(key);
        if (last == null) {
            return;
        }
        SegmentView view = rows.view();
        long[] deleted = deletedAt;
        for (int r = last; r != NONE; r = previousSameKey[r]) {
            if (view.insertTimeTick(r) < timeTick && deleted[r] > timeTick) {
                deleted[r] = timeTick;
            }
        }
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public boolean isSealed() {
        return sealed;
    }

    @Override
    public ShardReader.Source source(CollectionSchema schema) {
        Snapshot snap = snapshot();
        return new ShardReader.Source(WidenedView.of(snap.view(), schema), sealed, this,
                RowDeletes.dense(snap.deletedAt()));
    }

    /** The primary keys of the rows held so far. */
    Column keys() {
        return rows.view().column(primaryKey);
    }

    /**
     * The rows of {@code key} among the first {@code rowCount}, last first; any thread (see {@link #lastRowOf}).
     */
    int[] rowsOf(Object key, int rowCount) {
        Integer last = lastRowOf.get(key);
        if (last == null) {
            return new int[0];
        }
        int[] chain = previousSameKey;
        int[] out = new int[1];
        int n = 0;
        for (int r = last; r != NONE; r = chain[r]) {
            if (r < rowCount) {
                if (n == out.length) {
                    out = Arrays.copyOf(out, n * 2);
                }
                out[n++] = r;
            }
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    @Override
    public     int rowCount() {
        return rows.rowCount();
    }

    /** The rows appended so far and their deletes; see the class comment for what a reader may rely on. */
    Snapshot snapshot() {
        long[] deleted = deletedAt;
        return new Snapshot(this, rows.view(), deleted);
    }

    /** Bytes held, for the node's accounting of growing data. */
    long bytes() {
        return rows.bytes() + (long) deletedAt.length * (Long.BYTES + Integer.BYTES) + lastRowOf.size() * 64L;
    }

    static Object keyAt(Column keys, int row) {
        return keys instanceof Column.Int64s ints ? (Object) ints.values()[row] : ((Column.Varchars) keys).values()[row];
    }

    /**
     * What a reader sees of the segment.
     *
     * @param deletedAt per row of the view, the earliest delete's time tick (see the class comment)
     */
    record Snapshot(ShardSegment segment, SegmentView view, long[] deletedAt) {
    }
}
