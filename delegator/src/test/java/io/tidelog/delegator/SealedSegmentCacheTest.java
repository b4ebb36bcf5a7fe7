package io.tidelog.delegator;

import static io.tidelog.node.testing.CollectionMessages.rows;
import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.node.shard.GrowingSegmentBytes;
import io.tidelog.node.shard.ShardConfig;
import io.tidelog.node.testing.CollectionMessages;
import io.tidelog.proto.DeleteBody;
import io.tidelog.proto.Int64Array;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The rows of sealed segments in a node's memory: bounded, evicted, read again, and their deletes kept apart. */
class SealedSegmentCacheTest {
    static final int SEGMENTS = 20;
    static final int ROWS = 500;

    final GrowingSegmentBytes budget = new GrowingSegmentBytes(ShardConfig.from(Map.of()));
    final ShardDelegator shard = new ShardDelegator("pch-1_100v0", 100, budget);
    final AtomicInteger fileReads = new AtomicInteger();

    /** Segment {@code s} holds keys {@code s*ROWS+1 ..}, inserted at time tick {@code 100 + s}. */
    ShardSegment file(int s) {
        long[] ticks = new long[ROWS];
        Arrays.fill(ticks, 100 + s);
        return ShardSegment.sealed(s, 1, CollectionMessages.SCHEMA, rows(1, ROWS, (long) s * ROWS + 1, 64), ticks);
    }

    SealedSegment sealed(int s, SealedSegmentCache cache) {
        return SealedSegment.of(s, 1, file(s), () -> {
            fileReads.incrementAndGet();
            return file(s);
        }, cache);
    }

    static int visibleRows(HeldSegment s, long timeTick) {
        ShardReader.Source src = s.source(CollectionMessages.SCHEMA);
        BitSet visible = ShardReader.visible(src, timeTick, null);
        return visible.cardinality();
    }

    @Test
    void theRowsHeldStayWithinTheBudgetPlusOneSegmentAndEvictedSegmentsAreReadAgainWithTheirDeletes() {
        long oneSegment = file(0).bytes();
        SealedSegmentCache cache = new SealedSegmentCache(oneSegment * 3);
        for (int s = 0; s < SEGMENTS; s++) {
            shard.sealed(sealed(s, cache));
            assertThat(cache.bytes()).as("after segment %d", s).isLessThanOrEqualTo(oneSegment * 4);
        }
        shard.loaded();
        assertThat(cache.segments()).isLessThanOrEqualTo(4);
        assertThat(cache.evictions()).isGreaterThanOrEqualTo(SEGMENTS - 4);

        // Deletes reach segments whose rows are not in memory: one key of each, at time tick 1000.
        for (int s = 0; s < SEGMENTS; s++) {
            shard.delete(DeleteBody.newBuilder().setIntPks(Int64Array.newBuilder().addValues((long) s * ROWS + 7))
                    .build(), 1000);
        }
        int readsBefore = fileReads.get();
        for (HeldSegment s : shard.segments()) {
            assertThat(visibleRows(s, 999)).as("%s before the deletes", s).isEqualTo(ROWS);
            assertThat(visibleRows(s, 1000)).as("%s at the deletes", s).isEqualTo(ROWS - 1);
            assertThat(s.source(CollectionMessages.SCHEMA).deletes().count()).isEqualTo(1);
            assertThat(cache.bytes()).isLessThanOrEqualTo(oneSegment * 4);
        }
        assertThat(fileReads.get() - readsBefore).as("segments read again from their files")
                .isGreaterThanOrEqualTo(SEGMENTS - 4);
        shard.release();
        assertThat(cache.segments()).as("a released shard's rows leave the cache").isZero();
        assertThat(cache.bytes()).isZero();
    }

    @Test
    void aRowIsHiddenByTheFirstDeleteOfItsKeyAfterItWasInsertedEvenWhenTheKeyHasMany() {
        // Key 3 inserted at 10 and again at 20 (two rows), deleted at 15 and at 25; key 4 deleted at 10 (its insert's
        // tick: an upsert's new row, not hidden).
        io.tidelog.proto.InsertBody once = rows(1, 5, 1, 8);
        ShardSegment growing = ShardSegment.growing(9, 1, CollectionMessages.SCHEMA);
        growing.append(once, 10);
        growing.append(once, 20);
        growing.delete(3L, 15);
        growing.delete(3L, 25);
        growing.delete(4L, 10);
        long[] fileTicks = new long[10];
        Arrays.fill(fileTicks, 0, 5, 10);
        Arrays.fill(fileTicks, 5, 10, 20);
        io.tidelog.proto.InsertBody twice = growingRows(once);
        ShardSegment file = ShardSegment.sealed(9, 1, CollectionMessages.SCHEMA, twice, fileTicks);
        SealedSegment sealed = SealedSegment.of(9, 1, file, () -> file, new SealedSegmentCache(0));
        assertThat(sealed.takeDeletesOf(growing)).isTrue();
        RowDeletes d = sealed.source(CollectionMessages.SCHEMA).deletes();
        assertThat(d.at(2)).as("key 3's row of tick 10").isEqualTo(15);
        assertThat(d.at(7)).as("key 3's row of tick 20").isEqualTo(25);
        assertThat(d.at(3)).as("key 4 deleted at its insert's tick").isEqualTo(Long.MAX_VALUE);
        assertThat(visibleRows(sealed, 20)).isEqualTo(9);
        assertThat(visibleRows(sealed, 25)).isEqualTo(8);
    }

    /** The same rows twice, as one body: what the file of a segment fed {@code once} twice holds. */
    static io.tidelog.proto.InsertBody growingRows(io.tidelog.proto.InsertBody once) {
        ShardSegment s = ShardSegment.growing(0, 1, CollectionMessages.SCHEMA);
        s.append(once, 1);
        s.append(once, 2);
        java.util.List<OutputColumns.Row> rows = new java.util.ArrayList<>();
        for (int r = 0; r < s.rowCount(); r++) {
            rows.add(new OutputColumns.Row(s.snapshot().view(), r));
        }
        io.tidelog.proto.InsertBody.Builder b = io.tidelog.proto.InsertBody.newBuilder().setPartitionId(1)
                .setNumRows(rows.size());
        for (io.tidelog.proto.FieldSchema f : CollectionMessages.SCHEMA.getFieldsList()) {
            b.addColumns(OutputColumns.column(f, rows));
        }
        return b.build();
    }
}
