package io.tidelog.node.shard;

import static io.tidelog.node.shard.ShardFixture.createCollection;
import static io.tidelog.node.shard.ShardFixture.createPartition;
import static io.tidelog.node.shard.ShardFixture.insert;
import static io.tidelog.node.shard.ShardFixture.manualFlush;
import static io.tidelog.node.shard.ShardFixture.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MutableMessage;
import io.tidelog.node.AppendResult;
import io.tidelog.node.state.ShardSnapshot;
import io.tidelog.proto.CreateSegmentHeader;
import io.tidelog.proto.FlushHeader;
import io.tidelog.proto.InsertBody;
import io.tidelog.proto.InsertHeader;
import io.tidelog.proto.ManualFlushHeader;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.PartitionSegment;
import io.tidelog.testing.Seeds;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Growing segments: assignment, CreateSegment, the seal policies on an injected clock, ManualFlush. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShardSegmentsTest {
    static final String P = "pch-1";
    static final String V = "pch-1_100v0";
    /** Every test insert of {@link #rowsOf} rows has this many payload bytes. */
    static final int ONE = insert(V, 100, 1, 1).payload().size();

    @RegisterExtension
    final Seeds seeds = new Seeds();
    ShardFixture f;

    ShardFixture fixture(Map<String, String> shardProperties) {
        f = new ShardFixture(shardProperties);
        f.open(P);
        return f;
    }

    @AfterEach
    void close() {
        if (f != null) {
            f.close();
        }
    }

    static long segmentOf(ImmutableMessage insert) {
        return insert.header(InsertHeader.class).getPartitions(0).getSegmentId();
    }

    /** The segment ids the Flush messages of {@code vchannel} name, in log order. */
    List<Long> flushed(String vchannel) {
        return f.messages(vchannel, m -> m.type() == MessageType.FLUSH).stream()
                .map(m -> m.header(FlushHeader.class).getSegmentId()).toList();
    }

    /** The newest growing segment of the partition; 0 if none. */
    long growingSegment(String vchannel, long partition) {
        return f.shards(vchannel.substring(0, vchannel.indexOf('_'))).snapshot().collections().get(vchannel).segments().stream()
                .filter(s -> s.partitionId() == partition).mapToLong(ShardSnapshot.Segment::id).max().orElse(0);
    }

    @Test
    void theFirstInsertOfAPartitionOpensASegmentWhoseCreateSegmentPrecedesIt() {
        fixture(Map.of());
        f.append(createCollection(V, 100, 1));
        MutableMessage first = insert(V, 100, 1, 3);
        f.append(first);
        f.append(insert(V, 100, 1, 2));

        List<ImmutableMessage> log = f.messages(V, m -> true);
        assertThat(log).extracting(ImmutableMessage::type).containsExactly(MessageType.CREATE_COLLECTION,
                MessageType.CREATE_SEGMENT, MessageType.INSERT, MessageType.INSERT);
        CreateSegmentHeader created = log.get(1).header(CreateSegmentHeader.class);
        assertThat(created.getCollectionId()).isEqualTo(100);
        assertThat(created.getPartitionId()).isEqualTo(1);
        assertThat(created.getMaxSegmentBytes()).isEqualTo(128L << 20);
        assertThat(created.getMaxRows()).isZero();
        assertThat(created.getSchemaVersion()).isEqualTo(1);
        PartitionSegment assigned = log.get(2).header(InsertHeader.class).getPartitions(0);
        assertThat(assigned.getSegmentId()).isEqualTo(created.getSegmentId());
        assertThat(assigned.getRows()).isEqualTo(3);
        assertThat(assigned.getBinarySize()).isEqualTo(first.payload().size());
        assertThat(segmentOf(log.get(3))).isEqualTo(created.getSegmentId());

        ShardSnapshot.Segment s = f.shards(P).snapshot().collections().get(V).segments().get(0);
        assertThat(s.rows()).isEqualTo(5);
        assertThat(s.bytes()).isEqualTo(first.payload().size() + insert(V, 100, 1, 2).payload().size());
        assertThat(s.createTimeTick()).isEqualTo(log.get(1).timeTick());
        assertThat(s.lastInsertTimeTick()).isEqualTo(log.get(3).timeTick());
    }

    @Test
    void pipelinedInsertsKeepTheirOrderAcrossTheSegmentsTheyOpen() {
        fixture(Map.of("shard.segment.max.bytes", Integer.toString(3 * ONE + ONE / 2)));
        f.append(createCollection(V, 100, 1));
        List<CompletableFuture<AppendResult>> sent = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            // not awaited: many in flight, several of them opening a new segment
            sent.add(f.wal(P).append(insert(V, 100, ShardFixture.rows(1, 1, 1000 + i, 8))));
        }
        sent.forEach(ShardFixture::await);
        List<Long> firstIds = new ArrayList<>();
        for (ImmutableMessage m : f.messages(V, x -> x.type() == MessageType.INSERT)) {
            firstIds.add(m.body(InsertBody.parser()).getColumns(0).getInt64S().getValues(0));
        }
        assertThat(firstIds).as("inserts in the order they were appended").isSorted().hasSize(40);
        assertThat(f.types(V).stream().filter("CREATE_SEGMENT"::equals).count()).isGreaterThan(5);
    }

    @Test
    void theSizePolicySealsASegmentWhenTheNextInsertWouldTakeItOverTheLimit() {
        fixture(Map.of("shard.segment.max.bytes", Integer.toString(3 * ONE + ONE / 2)));
        f.append(createCollection(V, 100, 1));
        for (int i = 0; i < 4; i++) {
            f.append(insert(V, 100, 1, 1));
        }

        List<ImmutableMessage> log = f.messages(V, m -> m.type() != MessageType.CREATE_COLLECTION);
        assertThat(log).extracting(ImmutableMessage::type).containsExactly(MessageType.CREATE_SEGMENT,
                MessageType.INSERT, MessageType.INSERT, MessageType.INSERT, MessageType.FLUSH,
                MessageType.CREATE_SEGMENT, MessageType.INSERT);
        long first = log.get(0).header(CreateSegmentHeader.class).getSegmentId();
        long second = log.get(5).header(CreateSegmentHeader.class).getSegmentId();
        assertThat(log.get(4).header(FlushHeader.class).getSegmentId()).isEqualTo(first);
        assertThat(segmentOf(log.get(6))).isEqualTo(second).isNotEqualTo(first);
    }

    @Test
    void theRowsPolicySealsASegmentWhenTheNextInsertWouldTakeItOverTheLimit() {
        fixture(Map.of("shard.segment.max.rows", "5"));
        f.append(createCollection(V, 100, 1));
        f.append(insert(V, 100, 1, 2));
        f.append(insert(V, 100, 1, 3));
        long full = growingSegment(V, 1);
        f.tick(P);
        f.append(insert(V, 100, 1, 1));

        assertThat(f.types(V)).containsExactly("CREATE_COLLECTION", "CREATE_SEGMENT", "INSERT", "INSERT", "FLUSH",
                "CREATE_SEGMENT", "INSERT");
        assertThat(flushed(V)).containsExactly(full);
    }

    @Test
    void theLifetimePolicySealsExactlyTheSegmentsOlderThanTheLifetime() {
        fixture(Map.of("shard.segment.lifetime", "1h"));
        f.append(createCollection(V, 100, 1, 2));
        f.append(insert(V, 100, 1, 1));
        long old = growingSegment(V, 1);
        f.clock.advance(Duration.ofMinutes(30));
        f.append(insert(V, 100, 2, 1));
        long young = growingSegment(V, 2);

        f.clock.advance(Duration.ofMinutes(30).minusMillis(1));
        f.tick(P);
        assertThat(flushed(V)).isEmpty();
        f.clock.advance(Duration.ofMillis(1));
        f.tick(P);
        assertThat(flushed(V)).containsExactly(old);
        f.clock.advance(Duration.ofMinutes(30));
        f.tick(P);
        assertThat(flushed(V)).containsExactly(old, young);
        assertThat(f.shards(P).snapshot().collections().get(V).segments()).isEmpty();
    }

    @Test
    void theIdlePolicySealsOnlySegmentsWithoutInsertsForTheIdleTimeThatHoldTheMinimumBytes() {
        fixture(Map.of("shard.segment.idle.min.bytes", Integer.toString(2 * ONE)));
        f.append(createCollection(V, 100, 1, 2, 3));
        f.append(insert(V, 100, 1, 1));
        f.append(insert(V, 100, 1, 1));
        f.append(insert(V, 100, 2, 1));
        f.append(insert(V, 100, 3, 1));
        long idleAndLarge = growingSegment(V, 1);
        long idleButSmall = growingSegment(V, 2);
        long writtenLater = growingSegment(V, 3);
        f.clock.advance(Duration.ofMinutes(5));
        f.append(insert(V, 100, 3, 1));

        f.clock.advance(Duration.ofMinutes(5));
        f.tick(P);
        assertThat(flushed(V)).containsExactly(idleAndLarge);
        f.clock.advance(Duration.ofMinutes(5));
        f.tick(P);
        assertThat(flushed(V)).containsExactly(idleAndLarge, writtenLater);
        f.clock.advance(Duration.ofHours(1));
        f.tick(P);
        assertThat(flushed(V)).containsExactly(idleAndLarge, writtenLater);
        assertThat(growingSegment(V, 2)).isEqualTo(idleButSmall);
    }

    @Test
    void theNodesGrowingBytesOverTheHighWaterMarkSealTheLargestSegmentsOfEveryPchannelUntilTheLowWaterMark() {
        String p2 = "pch-2";
        String v2 = "pch-2_200v0";
        long a = insert(V, 100, 1, 40).payload().size();
        long b = insert(v2, 200, 1, 30).payload().size();
        long c = insert(V, 100, 2, 20).payload().size();
        long d = insert(v2, 200, 2, 10).payload().size();
        long total = a + b + c + d;
        fixture(Map.of("shard.growing.high.bytes", Long.toString(total - 1),
                "shard.growing.low.bytes", Long.toString(c + d)));
        f.open(p2);
        f.append(createCollection(V, 100, 1, 2));
        f.append(createCollection(v2, 200, 1, 2));
        f.append(insert(V, 100, 1, 40));
        f.append(insert(v2, 200, 1, 30));
        f.append(insert(V, 100, 2, 20));
        long segA = growingSegment(V, 1);
        long segC = growingSegment(V, 2);
        f.tick(P);
        f.tick(p2);
        assertThat(flushed(V)).isEmpty();
        assertThat(f.nodeBytes.total()).isEqualTo(a + b + c);

        f.append(insert(v2, 200, 2, 10));
        long segB = growingSegment(v2, 1);
        assertThat(f.nodeBytes.total()).isEqualTo(total);
        f.tick(P);
        f.tick(p2);

        assertThat(flushed(V)).containsExactly(segA);
        assertThat(flushed(v2)).containsExactly(segB);
        assertThat(f.nodeBytes.total()).isEqualTo(c + d);
        assertThat(growingSegment(V, 2)).isEqualTo(segC);
        f.tick(P);
        f.tick(p2);
        assertThat(flushed(V)).containsExactly(segA);
        assertThat(flushed(v2)).containsExactly(segB);
    }

    @Test
    void aManualFlushSealsEveryGrowingSegmentOfItsCollectionOnItsVchannelAndReturnsExactlyThem() {
        fixture(Map.of());
        String other = "pch-1_200v0";
        f.append(createCollection(V, 100, 1, 2));
        f.append(createCollection(other, 200, 5));
        f.append(insert(V, 100, 1, 2));
        f.append(insert(V, 100, 2, 2));
        f.append(insert(other, 200, 5, 2));
        long s1 = growingSegment(V, 1);
        long s2 = growingSegment(V, 2);
        long untouched = growingSegment(other, 5);

        AppendResult r = f.append(manualFlush(V, 100, f.tso.next()));

        assertThat(r.flushedSegmentIds()).containsExactlyInAnyOrder(s1, s2);
        List<ImmutableMessage> log = f.messages(V, m -> m.type() == MessageType.FLUSH || m.type() == MessageType.MANUAL_FLUSH);
        assertThat(log).extracting(ImmutableMessage::type).containsExactly(MessageType.FLUSH, MessageType.FLUSH,
                MessageType.MANUAL_FLUSH);
        assertThat(log.get(2).header(ManualFlushHeader.class).getSegmentIdsList()).containsExactlyInAnyOrder(s1, s2);
        assertThat(log.get(2).id()).isEqualTo(r.id());
        assertThat(f.shards(P).snapshot().collections().get(V).segments()).isEmpty();
        assertThat(growingSegment(other, 5)).isEqualTo(untouched);

        assertThat(f.append(manualFlush(V, 100, f.tso.next())).flushedSegmentIds()).isEmpty();
        f.append(insert(V, 100, 1, 1));
        assertThat(growingSegment(V, 1)).isNotIn(s1, s2, 0L);
    }

    @Test
    void aManualFlushDoesNotListASegmentAPolicySealedAndFlushedBeforeIt() {
        fixture(Map.of("shard.segment.lifetime", "1h"));
        f.append(createCollection(V, 100, 1, 2));
        f.append(insert(V, 100, 1, 1));
        long old = growingSegment(V, 1);
        f.clock.advance(Duration.ofMinutes(61));
        f.append(insert(V, 100, 2, 1));
        long young = growingSegment(V, 2);
        f.tick(P);
        assertThat(flushed(V)).containsExactly(old);

        assertThat(f.append(manualFlush(V, 100, 0)).flushedSegmentIds()).containsExactly(young);
    }

    @Test
    void anInsertTooLargeForAnySegmentFailsAtOnceAndNothingIsWritten() {
        fixture(Map.of("shard.segment.max.bytes", Integer.toString(ONE + ONE / 2), "shard.segment.max.rows", "10"));
        f.append(createCollection(V, 100, 1));
        MutableMessage tooManyBytes = insert(V, 100, rows(1, 1, 1, 60));
        MutableMessage tooManyRows = insert(V, 100, rows(1, 11, 1, 0));
        assertThat(tooManyBytes.payload().size()).isGreaterThan(ONE + ONE / 2);
        f.append(insert(V, 100, 1, 1));

        for (MutableMessage m : List.of(tooManyBytes, tooManyRows)) {
            CompletableFuture<AppendResult> r = f.wal(P).append(m);
            assertThat(r).isCompletedExceptionally();
            assertThatThrownBy(() -> ShardFixture.await(r)).isInstanceOfSatisfying(StreamingException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                    .hasMessageContainingAll("vchannel " + V, "collection 100", "larger than a whole segment");
        }
        assertThat(f.types(V)).containsExactly("CREATE_COLLECTION", "CREATE_SEGMENT", "INSERT");
    }

    @Test
    void segmentIdsComeFromTheTsoAndAreUniqueAcrossPartitionsAndCollections() {
        fixture(Map.of());
        String other = "pch-1_200v0";
        f.append(createCollection(V, 100, 1, 2));
        f.append(createCollection(other, 200, 1));
        f.append(insert(V, 100, 1, 1));
        f.append(insert(V, 100, 2, 1));
        f.append(insert(other, 200, 1, 1));
        assertThat(List.of(growingSegment(V, 1), growingSegment(V, 2), growingSegment(other, 1)))
                .doesNotHaveDuplicates().allSatisfy(id -> assertThat(id).isPositive());
    }

    /**
     * Writers insert into two partitions while a ticker moves the clock and seals every idle segment:
     * no segment gets more bytes than its limit, and each segment's CreateSegment precedes, and its
     * Flush follows, every insert assigned to it.
     */
    @Test
    void concurrentInsertsAndSealsKeepEverySegmentWithinItsLimitAndEveryFlushAfterItsInserts() throws Exception {
        Random rnd = seeds.random();
        long maxBytes = 10L * ONE;
        fixture(Map.of("shard.segment.max.bytes", Long.toString(maxBytes), "shard.segment.idle.time", "1ms",
                "shard.segment.idle.min.bytes", "0"));
        f.append(createCollection(V, 100, 1, 2));
        int writers = 4;
        int perWriter = 150;
        ExecutorService pool = Executors.newFixedThreadPool(writers + 1);
        AtomicBoolean writing = new AtomicBoolean(true);
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            long seed = rnd.nextLong();
            done.add(pool.submit(() -> {
                Random r = new Random(seed);
                List<CompletableFuture<AppendResult>> window = new ArrayList<>();
                for (int i = 0; i < perWriter; i++) {
                    window.add(f.wal(P).append(insert(V, 100, 1 + r.nextInt(2), 1)));
                    if (window.size() == 8) {
                        window.forEach(ShardFixture::await);
                        window.clear();
                    }
                }
                window.forEach(ShardFixture::await);
                return null;
            }));
        }
        Future<?> ticker = pool.submit(() -> {
            while (writing.get()) {
                f.clock.advance(Duration.ofMillis(1 + rnd.nextInt(3)));
                f.tick(P);
            }
            return null;
        });
        for (Future<?> d : done) {
            d.get(60, TimeUnit.SECONDS);
        }
        writing.set(false);
        ticker.get(60, TimeUnit.SECONDS);
        f.append(manualFlush(V, 100, 0));
        pool.shutdown();

        Map<Long, Integer> createdAt = new HashMap<>();
        Map<Long, Integer> flushedAt = new HashMap<>();
        Map<Long, Long> bytes = new HashMap<>();
        int inserts = 0;
        List<ImmutableMessage> log = f.messages(V, m -> true);
        for (int i = 0; i < log.size(); i++) {
            ImmutableMessage m = log.get(i);
            switch (m.type()) {
                case CREATE_SEGMENT -> assertThat(createdAt.put(m.header(CreateSegmentHeader.class).getSegmentId(), i)).isNull();
                case FLUSH -> assertThat(flushedAt.put(m.header(FlushHeader.class).getSegmentId(), i)).isNull();
                case INSERT -> {
                    inserts++;
                    long s = segmentOf(m);
                    assertThat(createdAt).as("CreateSegment of %s before its insert", s).containsKey(s);
                    assertThat(flushedAt).as("Flush of %s after its inserts", s).doesNotContainKey(s);
                    bytes.merge(s, m.header(InsertHeader.class).getPartitions(0).getBinarySize(), Long::sum);
                }
                default -> {
                }
            }
        }
        assertThat(inserts).isEqualTo(writers * perWriter);
        assertThat(bytes.values()).allSatisfy(b -> assertThat(b).isLessThanOrEqualTo(maxBytes));
        assertThat(flushedAt.keySet()).isEqualTo(createdAt.keySet());
        assertThat(f.shards(P).snapshot().collections().get(V).segments()).isEmpty();
        assertThat(f.nodeBytes.total()).isZero();
    }

    @Test
    void aNewPartitionGetsItsOwnSegment() {
        fixture(Map.of());
        f.append(createCollection(V, 100, 1));
        f.append(createPartition(V, 100, 9));
        f.append(insert(V, 100, 9, 1));
        f.append(insert(V, 100, 1, 1));
        assertThat(growingSegment(V, 9)).isNotEqualTo(growingSegment(V, 1));
        assertThat(f.shards(P).snapshot().collections().get(V).partitions()).containsExactly(1L, 9L);
    }
}
