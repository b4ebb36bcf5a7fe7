package io.tidelog.node.state;

import static io.tidelog.node.testing.CollectionMessages.createCollection;
import static io.tidelog.node.testing.CollectionMessages.delete;
import static io.tidelog.node.testing.CollectionMessages.insert;
import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.common.MessageId;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MutableMessage;
import io.tidelog.node.recovery.Checkpoint;
import io.tidelog.node.recovery.ExtensionState;
import io.tidelog.node.testing.CollectionMessages;
import io.tidelog.proto.BeginTxnHeader;
import io.tidelog.proto.CommitTxnHeader;
import io.tidelog.proto.CreateSegmentHeader;
import io.tidelog.proto.FlushHeader;
import io.tidelog.proto.InsertHeader;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.PartitionSegment;
import io.tidelog.proto.TimeTickHeader;
import io.tidelog.state.proto.OpenTxnProto;
import io.tidelog.state.proto.ShardStateProto;
import io.tidelog.state.proto.TxnStateProto;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.Wal;
import io.tidelog.wal.memory.MemoryStorage;
import io.tidelog.wal.memory.MemoryWalBackend;
import io.tidelog.wal.memory.MemoryWalConfig;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The pchannel's one log-derived state on its own: messages written to a real (memory) log, applied as the WAL
 * applies them, and what its readers and observers get.
 */
class PchannelStateTest {
    static final String P = "pst-1";
    static final String V = P + "_100v0";
    static final long SEGMENT = 7001;

    final MemoryWalBackend backend = new MemoryWalBackend(MemoryWalConfig.defaults(), new MemoryStorage());
    final Wal log = backend.open(OpenOptions.readWrite(P, 1));
    final List<ImmutableMessage> written = new ArrayList<>();
    long timeTick = 1_000;
    MessageId lastConfirmed;

    @AfterEach
    void close() {
        log.close();
        backend.close();
    }

    /** Writes {@code m} to the log with the next time tick, the way the WAL stamps it. */
    ImmutableMessage write(MutableMessage m) throws Exception {
        MutableMessage stamped = m.withTimeTick(++timeTick).withTerm(1);
        if (lastConfirmed != null) {
            stamped = stamped.withLastConfirmedId(lastConfirmed);
        }
        MessageId id = log.append(ByteBuffer.wrap(stamped.encode())).get();
        lastConfirmed = id;
        ImmutableMessage written1 = stamped.intoImmutable(id);
        written.add(written1);
        return written1;
    }

    static MutableMessage createSegment(long id) {
        return MutableMessage.builder(MessageType.CREATE_SEGMENT, V).header(CreateSegmentHeader.newBuilder()
                .setCollectionId(100).setPartitionId(1).setSegmentId(id).setMaxSegmentBytes(1 << 20).setSchemaVersion(1)
                .build()).build();
    }

    static MutableMessage assigned(long segment, int rows, long firstId) {
        MutableMessage m = insert(V, 100, CollectionMessages.rows(1, rows, firstId, 8));
        return m.withHeader(InsertHeader.newBuilder().setCollectionId(100).addPartitions(PartitionSegment.newBuilder()
                .setPartitionId(1).setSegmentId(segment).setRows(rows).setBinarySize(m.payload().size())).build());
    }

    static MutableMessage flush(long segment) {
        return MutableMessage.builder(MessageType.FLUSH, V).header(FlushHeader.newBuilder().setCollectionId(100)
                .setPartitionId(1).setSegmentId(segment).build()).build();
    }

    static MutableMessage begin(long txn) {
        return MutableMessage.builder(MessageType.BEGIN_TXN, V).header(BeginTxnHeader.getDefaultInstance()).build()
                .withTxn(txn, 0);
    }

    static MutableMessage commit(long txn) {
        return MutableMessage.builder(MessageType.COMMIT_TXN, V).header(CommitTxnHeader.getDefaultInstance()).build()
                .withTxn(txn, 0);
    }

    static MutableMessage tick() {
        return MutableMessage.builder(MessageType.TIME_TICK, P).header(TimeTickHeader.getDefaultInstance()).build();
    }

    /** Records what observers are told. */
    static final class Seen implements PchannelState.Observer {
        final List<PchannelState.FlushedSegment> flushed = new ArrayList<>();
        final List<PchannelState.Deleted> deleted = new ArrayList<>();

        @Override
        public void segmentFlushed(PchannelState.FlushedSegment segment) {
            flushed.add(segment);
        }

        @Override
        public void deleted(PchannelState.Deleted delete) {
            deleted.add(delete);
        }
    }

    PchannelState observed(Seen seen) {
        PchannelState state = new PchannelState(P, log::read);
        state.addObserver(seen);
        return state;
    }

    /** A collection, a segment, and transaction {@code txn} open with 3 rows in the segment. */
    void applyOpenTransactionWithRows(PchannelState state, long txn) throws Exception {
        state.apply(write(createCollection(V, 100, 1)), PchannelState.Phase.LIVE);
        state.apply(write(createSegment(SEGMENT)), PchannelState.Phase.LIVE);
        state.apply(write(begin(txn)), PchannelState.Phase.LIVE);
        state.apply(write(assigned(SEGMENT, 3, 1).withTxn(txn, 0)), PchannelState.Phase.LIVE);
    }

    @Test
    void aSegmentsFlushCarriesItsRowsInLogOrderWithATransactionsRowsAtItsCommit() throws Exception {
        Seen seen = new Seen();
        PchannelState state = observed(seen);
        state.apply(write(createCollection(V, 100, 1)), PchannelState.Phase.LIVE);
        state.apply(write(createSegment(SEGMENT)), PchannelState.Phase.LIVE);
        ImmutableMessage plain = write(assigned(SEGMENT, 3, 1));
        state.apply(plain, PchannelState.Phase.LIVE);
        state.apply(write(begin(55)), PchannelState.Phase.LIVE);
        ImmutableMessage inTxn = write(assigned(SEGMENT, 2, 10).withTxn(55, 0));
        state.apply(inTxn, PchannelState.Phase.LIVE);

        assertThat(state.hasOpenTxnsIn(SEGMENT)).as("the segment's Flush must wait for the transaction").isTrue();
        assertThat(state.openTxns()).containsOnlyKeys(55L);
        assertThat(state.segment(SEGMENT).rows()).isEqualTo(5);

        ImmutableMessage committed = write(commit(55));
        state.apply(committed, PchannelState.Phase.LIVE);
        assertThat(state.hasOpenTxnsIn(SEGMENT)).isFalse();
        state.apply(write(flush(SEGMENT)), PchannelState.Phase.LIVE);

        assertThat(seen.flushed).hasSize(1);
        PchannelState.FlushedSegment f = seen.flushed.get(0);
        assertThat(f.segmentId()).isEqualTo(SEGMENT);
        assertThat(f.rows()).isEqualTo(5);
        assertThat(f.schema()).isEqualTo(CollectionMessages.SCHEMA);
        assertThat(f.inserts()).extracting(PchannelState.Piece::id).containsExactly(plain.id(), inTxn.id());
        assertThat(f.inserts()).extracting(PchannelState.Piece::timeTick)
                .containsExactly(plain.timeTick(), committed.timeTick());
        assertThat(f.inserts().get(1).payload()).isEqualTo(inTxn.payload());
        assertThat(state.segments()).isEmpty();
    }

    @Test
    void aDeleteInATransactionBecomesVisibleAtItsCommitAndNotAtARollback() throws Exception {
        Seen seen = new Seen();
        PchannelState state = observed(seen);
        state.apply(write(createCollection(V, 100, 1)), PchannelState.Phase.LIVE);
        state.apply(write(begin(61)), PchannelState.Phase.LIVE);
        state.apply(write(delete(V, 100, 4).withTxn(61, 0)), PchannelState.Phase.LIVE);
        assertThat(seen.deleted).isEmpty();
        ImmutableMessage committed = write(commit(61));
        state.apply(committed, PchannelState.Phase.LIVE);
        assertThat(seen.deleted).singleElement().satisfies(d -> {
            assertThat(d.piece().timeTick()).isEqualTo(committed.timeTick());
            assertThat(d.vchannel()).isEqualTo(V);
        });

        state.apply(write(begin(62)), PchannelState.Phase.LIVE);
        state.apply(write(delete(V, 100, 5).withTxn(62, 0)), PchannelState.Phase.LIVE);
        state.apply(write(MutableMessage.builder(MessageType.ROLLBACK_TXN, V)
                .header(io.tidelog.proto.RollbackTxnHeader.getDefaultInstance()).build().withTxn(62, 0)),
                PchannelState.Phase.LIVE);
        assertThat(seen.deleted).hasSize(1);
        assertThat(state.openTxns()).isEmpty();
    }

    @Test
    void aRestoredCheckpointRebuildsTheRowsOfGrowingSegmentsFromTheLogWithoutCountingThemTwice() throws Exception {
        PchannelState live = observed(new Seen());
        List<ImmutableMessage> before = List.of(write(createCollection(V, 100, 1)), write(createSegment(SEGMENT)),
                write(assigned(SEGMENT, 3, 1)), write(begin(71)), write(assigned(SEGMENT, 2, 20).withTxn(71, 0)),
                write(tick()));
        before.forEach(m -> live.apply(m, PchannelState.Phase.LIVE));
        ImmutableMessage position = before.get(before.size() - 1);
        Map<String, ExtensionState> saved = live.checkpointStates();
        Checkpoint replayFrom = saved.get(PchannelState.SHARDS).replayFrom();
        assertThat(replayFrom).as("the log holds the rows of the growing segment").isNotNull();
        assertThat(replayFrom.messageId()).isEqualTo(before.get(2).lastConfirmedId());

        List<ImmutableMessage> after = List.of(write(assigned(SEGMENT, 4, 30)), write(commit(71)), write(flush(SEGMENT)));
        after.subList(0, 2).forEach(m -> live.apply(m, PchannelState.Phase.LIVE));

        Seen seen = new Seen();
        PchannelState restored = observed(seen);
        restored.restore(saved.get(PchannelState.SHARDS).state(), saved.get(PchannelState.TXNS).state());
        for (ImmutableMessage m : written) {
            if (m.id().isBefore(replayFrom.messageId())) {
                continue;
            }
            boolean beforeCheckpoint = !m.id().isAfter(position.id());
            if (m.type() == MessageType.FLUSH) {
                assertThat(restored.snapshot()).as("replay rebuilds the same facts").isEqualTo(live.snapshot());
            }
            restored.apply(m, beforeCheckpoint ? PchannelState.Phase.BEFORE_CHECKPOINT : PchannelState.Phase.REPLAY);
        }

        PchannelState.FlushedSegment f = seen.flushed.get(0);
        assertThat(f.rows()).isEqualTo(9);
        // In the order they became visible: the transaction's rows at its commit, after the later plain insert.
        assertThat(f.inserts()).extracting(PchannelState.Piece::id)
                .containsExactly(before.get(2).id(), after.get(0).id(), before.get(4).id());
        assertThat(f.inserts()).allSatisfy(p -> assertThat(p.payload()).as("replay holds no rows").isNull());
        List<PchannelState.Piece> read = restored.readBack(f.inserts());
        assertThat(read.get(1).payload()).isEqualTo(after.get(0).payload());
        assertThat(read.get(2).payload()).isEqualTo(before.get(4).payload());
    }

    @Test
    void withoutAnObserverNoRowsAreKeptAndNoPointBeforeTheCheckpointIsNamed() throws Exception {
        PchannelState state = new PchannelState(P, log::read);
        applyOpenTransactionWithRows(state, 81);

        assertThat(state.checkpointStates().get(PchannelState.SHARDS).replayFrom()).isNull();
        assertThat(state.hasOpenTxnsIn(SEGMENT)).isTrue();
        assertThat(state.segment(SEGMENT).rows()).isEqualTo(3);
    }

    @Test
    void aSealRecordedBeforeItsCreateSegmentIsAppliedIsKeptAndCheckpointed() throws Exception {
        PchannelState state = new PchannelState(P, log::read);
        state.apply(write(createCollection(V, 100, 1)), PchannelState.Phase.LIVE);
        state.markSealed(SEGMENT, SealReason.SIZE);
        state.apply(write(createSegment(SEGMENT)), PchannelState.Phase.LIVE);

        assertThat(state.sealedBy(SEGMENT)).isEqualTo(SealReason.SIZE);
        ShardStateProto persisted = ShardStateProto.parseFrom(state.checkpointStates().get(PchannelState.SHARDS).state());
        assertThat(persisted.getCollections(0).getSegments(0).getSealedBy()).isEqualTo("SIZE");
        assertThat(persisted.getCollections(0).getSegments(0).getActive()).isFalse();
    }

    @Test
    void aStateWrittenBeforeTransactionsRecordedTheirBeginStillKnowsWhichSegmentsWaitForThem() throws Exception {
        PchannelState first = new PchannelState(P, log::read);
        applyOpenTransactionWithRows(first, 91);
        Map<String, ExtensionState> saved = first.checkpointStates();
        // As written before OpenTxnProto had a begin: the transaction by id and vchannel only.
        TxnStateProto older = TxnStateProto.newBuilder().addOpen(OpenTxnProto.newBuilder().setTxnId(91).setVchannel(V))
                .build();

        PchannelState restored = new PchannelState(P, log::read);
        restored.restore(saved.get(PchannelState.SHARDS).state(), older.toByteString());

        assertThat(restored.openTxns()).containsExactly(Map.entry(91L, V));
        assertThat(restored.hasOpenTxnsIn(SEGMENT)).isTrue();
        assertThat(restored.snapshot()).isEqualTo(first.snapshot());
    }
}
