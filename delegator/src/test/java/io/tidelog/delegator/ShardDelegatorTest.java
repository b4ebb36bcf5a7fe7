package io.tidelog.delegator;

import static io.tidelog.node.testing.CollectionMessages.rows;
import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.node.shard.GrowingSegmentBytes;
import io.tidelog.node.shard.ShardConfig;
import io.tidelog.node.testing.CollectionMessages;
import io.tidelog.proto.DeleteBody;
import io.tidelog.proto.InsertBody;
import io.tidelog.proto.Int64Array;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A vchannel's delegator: deletes across growing and sealed forms, and the growing bytes it counts. */
class ShardDelegatorTest {
    final GrowingSegmentBytes budget = new GrowingSegmentBytes(ShardConfig.from(Map.of()));
    final ShardDelegator shard = new ShardDelegator("pch-1_100v0", 100, budget);

    @Test
    void growingRowsCountInTheNodesBudgetUntilTheirSealedFormReplacesThemAndTheSealedFormKeepsTheirDeletes() {
        InsertBody first = rows(1, 10, 1, 8);
        shard.insert(7, 1, CollectionMessages.SCHEMA, first, 100);
        long held = budget.total();
        assertThat(held).as("bytes held for the growing rows").isPositive();
        shard.insert(7, 1, CollectionMessages.SCHEMA, rows(1, 10, 11, 8), 110);
        assertThat(budget.total()).isGreaterThan(held);
        shard.delete(DeleteBody.newBuilder().setIntPks(Int64Array.newBuilder().addValues(3).addValues(15)).build(), 120);
        shard.loaded();

        // The file holds the same 20 rows in the same order.
        InsertBody all = rows(1, 20, 1, 8);
        long[] rowTicks = new long[20];
        java.util.Arrays.fill(rowTicks, 0, 10, 100);
        java.util.Arrays.fill(rowTicks, 10, 20, 110);
        ShardSegment file = ShardSegment.sealed(7, 1, CollectionMessages.SCHEMA, all, rowTicks);
        shard.sealed(SealedSegment.of(7, 1, file, () -> file, new SealedSegmentCache(1 << 20)));

        assertThat(budget.total()).as("the sealed form is not growing data").isZero();
        HeldSegment s = shard.segments().get(0);
        assertThat(s.isSealed()).isTrue();
        RowDeletes deletes = s.source(CollectionMessages.SCHEMA).deletes();
        assertThat(deletes.at(2)).as("key 3 was deleted at 120").isEqualTo(120);
        assertThat(deletes.at(14)).as("key 15 too").isEqualTo(120);
        assertThat(deletes.at(0)).isEqualTo(Long.MAX_VALUE);
        assertThat(deletes.count()).isEqualTo(2);
    }

    @Test
    void aReleasedShardNoLongerCountsItsGrowingRows() {
        shard.insert(7, 1, CollectionMessages.SCHEMA, rows(1, 10, 1, 8), 100);
        shard.insert(8, 1, CollectionMessages.SCHEMA, rows(1, 10, 11, 8), 110);
        assertThat(budget.total()).isPositive();
        shard.release();
        assertThat(budget.total()).isZero();
    }

    @Test
    void aDeleteHidesOnlyRowsOfItsKeyInsertedBeforeItAndAGetFindsEveryRowOfAKey() {
        shard.insert(7, 1, CollectionMessages.SCHEMA, rows(1, 5, 1, 8), 100);
        shard.delete(DeleteBody.newBuilder().setIntPks(Int64Array.newBuilder().addValues(2)).build(), 100);
        shard.insert(7, 1, CollectionMessages.SCHEMA, rows(1, 5, 1, 8), 100); // the same keys again, same tick
        shard.delete(DeleteBody.newBuilder().setIntPks(Int64Array.newBuilder().addValues(4)).build(), 105);
        ShardSegment s = (ShardSegment) shard.segments().get(0);
        long[] deletedAt = s.snapshot().deletedAt();
        assertThat(deletedAt[1]).as("a delete at the insert's own tick hides nothing (an upsert's new row)")
                .isEqualTo(Long.MAX_VALUE);
        assertThat(deletedAt[3]).isEqualTo(105);
        assertThat(deletedAt[8]).isEqualTo(105);
        assertThat(s.rowsOf(4L, 10)).containsExactly(8, 3);
        assertThat(s.rowsOf(4L, 5)).containsExactly(3);
        assertThat(s.rowsOf(99L, 10)).isEmpty();
    }
}
