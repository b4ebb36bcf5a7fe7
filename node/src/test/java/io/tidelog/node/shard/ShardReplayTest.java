package io.tidelog.node.shard;

import static io.tidelog.node.shard.ShardFixture.alterCollection;
import static io.tidelog.node.shard.ShardFixture.createCollection;
import static io.tidelog.node.shard.ShardFixture.createPartition;
import static io.tidelog.node.shard.ShardFixture.delete;
import static io.tidelog.node.shard.ShardFixture.dropCollection;
import static io.tidelog.node.shard.ShardFixture.dropPartition;
import static io.tidelog.node.shard.ShardFixture.insert;
import static io.tidelog.node.shard.ShardFixture.manualFlush;
import static io.tidelog.node.shard.ShardFixture.raw;
import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.message.MutableMessage;
import io.tidelog.node.StreamingWal;
import io.tidelog.node.state.ShardSnapshot;
import io.tidelog.proto.CreateSegmentHeader;
import io.tidelog.proto.DataType;
import io.tidelog.proto.FieldSchema;
import io.tidelog.proto.InsertHeader;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.PartitionSegment;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Replay on open rebuilds the collection shards the log defines: the same state after a restart as before. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShardReplayTest {
    static final String P = "pch-1";
    static final String V1 = "pch-1_100v0";
    static final String V2 = "pch-1_200v0";
    static final String V3 = "pch-1_300v0";
    static final int ONE = insert(V1, 100, 1, 1).payload().size();

    final ShardFixture f = new ShardFixture(Map.of("shard.segment.max.bytes", Integer.toString(3 * ONE + ONE / 2)));

    @AfterEach
    void close() {
        f.close();
    }

    /**
     * Collections created, altered, dropped; partitions created and dropped; segments opened, filled,
     * sealed by size, by a drop, by a schema change and by a ManualFlush, others still growing.
     */
    void writeHistory() {
        f.append(raw("pch-1_raw", "outside collections"));
        f.append(createCollection(V1, 100, 1, 2));
        f.append(createPartition(V1, 100, 3));
        for (int i = 0; i < 5; i++) {
            f.append(insert(V1, 100, 1, 1)); // the fourth seals the first segment by size
        }
        f.append(insert(V1, 100, 2, 1));
        f.append(insert(V1, 100, 3, 1));
        f.append(dropPartition(V1, 100, 2));
        f.append(alterCollection(V1, 100, ShardFixture.SCHEMA.toBuilder().setVersion(2).addFields(FieldSchema
                .newBuilder().setFieldId(103).setName("note").setType(DataType.VARCHAR).setMaxLength(8).setNullable(true))
                .build()));
        f.append(insert(V1, 100, 1, 1));
        f.append(insert(V1, 100, 3, 2));
        f.append(delete(V1, 100, 1, 2));
        f.append(createCollection(V2, 200, 5));
        f.append(insert(V2, 200, 5, 1));
        f.append(dropCollection(V2, 200));
        f.append(createCollection(V3, 300, 7));
        f.append(insert(V3, 300, 7, 1));
        f.append(manualFlush(V3, 300, 0));
        f.append(insert(V3, 300, 7, 2));
        f.tick(P);
    }

    @Test
    void aRestartRebuildsTheSameCollectionsPartitionsAndGrowingSegments() {
        f.open(P);
        writeHistory();
        ShardSnapshot before = f.shards(P).snapshot();
        long bytesBefore = f.nodeBytes.total();
        assertThat(before.collections()).containsOnlyKeys(V1, V2, V3);
        assertThat(before.collections().get(V1).segments()).hasSize(2);
        assertThat(before.collections().get(V1).partitions()).containsExactly(1L, 3L);
        assertThat(before.collections().get(V2).state()).isEqualTo(ShardSnapshot.CollectionState.DROPPED);

        f.open(P);

        assertThat(f.shards(P).snapshot()).isEqualTo(before);
        assertThat(f.nodeBytes.total()).isEqualTo(bytesBefore).isPositive();
    }

    @Test
    void aCrashRebuildsTheSameStateFromWhatWasDurable() {
        f.open(P);
        writeHistory();
        ShardSnapshot before = f.shards(P).snapshot();
        long bytesBefore = f.nodeBytes.total();

        f.crashAndRestart();

        assertThat(f.shards(P).snapshot()).isEqualTo(before);
        assertThat(f.nodeBytes.total()).isEqualTo(bytesBefore);
    }

    @Test
    void afterARestartInsertsContinueTheGrowingSegmentAndNewSegmentsGetNewIds() {
        f.open(P);
        writeHistory();
        long growing = segmentOf(V1, 3);
        List<Long> idsBefore = f.messages(V1, m -> m.type() == MessageType.CREATE_SEGMENT).stream()
                .map(m -> m.header(CreateSegmentHeader.class).getSegmentId()).toList();

        f.open(P);
        f.tick(P);
        f.append(insert(V1, 100, 3, 1));

        List<String> types = f.types(V1);
        assertThat(types.subList(types.size() - 2, types.size())).containsExactly("DELETE", "INSERT");
        List<io.tidelog.message.ImmutableMessage> inserts = f.messages(V1, m -> m.type() == MessageType.INSERT);
        assertThat(inserts.get(inserts.size() - 1).header(InsertHeader.class).getPartitions(0).getSegmentId())
                .isEqualTo(growing);

        f.append(manualFlush(V1, 100, 0));
        f.append(insert(V1, 100, 3, 1));
        long opened = segmentOf(V1, 3);
        assertThat(opened).isNotIn(idsBefore).isGreaterThan(idsBefore.stream().mapToLong(Long::longValue).max().orElseThrow());
    }

    @Test
    void aSegmentSealedBeforeACrashWhoseFlushWasNeverWrittenIsFlushedAfterReplay() {
        StreamingWal plain = f.openWithoutExtensions(P);
        ShardFixture.await(plain.append(createCollection(V1, 100, 1)));
        ShardFixture.await(plain.appendSystem(createSegment(V1, 100, 1, 11)));
        ShardFixture.await(plain.append(assigned(insert(V1, 100, 1, 1), 1, 11)));
        ShardFixture.await(plain.appendSystem(createSegment(V1, 100, 1, 12)));
        ShardFixture.await(plain.append(assigned(insert(V1, 100, 1, 2), 1, 12)));

        f.open(P);
        assertThat(f.shards(P).snapshot().collections().get(V1).segments())
                .extracting(ShardSnapshot.Segment::id, ShardSnapshot.Segment::rows)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(11L, 1L), org.assertj.core.groups.Tuple.tuple(12L, 2L));
        assertThat(f.nodeBytes.total()).isEqualTo(insert(V1, 100, 1, 2).payload().size());

        f.tick(P);
        f.append(insert(V1, 100, 1, 1));

        assertThat(f.types(V1)).containsExactly("CREATE_COLLECTION", "CREATE_SEGMENT", "INSERT", "CREATE_SEGMENT",
                "INSERT", "FLUSH", "INSERT");
        assertThat(f.shards(P).snapshot().collections().get(V1).segments())
                .extracting(ShardSnapshot.Segment::id, ShardSnapshot.Segment::rows)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(12L, 3L));
    }

    @Test
    void closingAWalTakesItsSegmentsOutOfTheNodesGrowingBytes() {
        f.open(P);
        f.append(createCollection(V1, 100, 1));
        f.append(insert(V1, 100, 1, 1));
        assertThat(f.nodeBytes.total()).isEqualTo(ONE);
        f.wal(P).close();
        assertThat(f.nodeBytes.total()).isZero();
        f.open(P);
        assertThat(f.nodeBytes.total()).isEqualTo(ONE);
    }

    long segmentOf(String vchannel, long partition) {
        return f.shards(P).snapshot().collections().get(vchannel).segments().stream()
                .filter(s -> s.partitionId() == partition).mapToLong(ShardSnapshot.Segment::id).max().orElse(0);
    }

    static MutableMessage createSegment(String vchannel, long collection, long partition, long segment) {
        return MutableMessage.builder(MessageType.CREATE_SEGMENT, vchannel)
                .header(CreateSegmentHeader.newBuilder().setCollectionId(collection).setPartitionId(partition)
                        .setSegmentId(segment).setMaxSegmentBytes(1 << 20).setSchemaVersion(1).build())
                .build();
    }

    /** {@code m} with the header the node would have written: its rows assigned to {@code segment}. */
    static MutableMessage assigned(MutableMessage m, long partition, long segment) {
        InsertHeader h = m.header(InsertHeader.class);
        long rows = m.body(io.tidelog.proto.InsertBody.parser()).getNumRows();
        return m.withHeader(h.toBuilder().addPartitions(PartitionSegment.newBuilder().setPartitionId(partition)
                .setRows(rows).setBinarySize(m.payload().size()).setSegmentId(segment)).build());
    }
}
