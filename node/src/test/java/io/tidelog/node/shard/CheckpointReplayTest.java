package io.tidelog.node.shard;

import static io.tidelog.node.shard.ShardFixture.createCollection;
import static io.tidelog.node.shard.ShardFixture.insert;
import static io.tidelog.node.shard.ShardFixture.raw;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.node.StreamingWal;
import io.tidelog.node.WalStatus;
import io.tidelog.node.recovery.Checkpoint;
import io.tidelog.node.state.ShardSnapshot;
import io.tidelog.node.testing.MapRecoveryStore;
import io.tidelog.state.proto.RecoverySnapshotProto;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * With recovery storage, a reopen restores the extensions from the last checkpoint and replays only the log
 * after it, and reaches the same state as replaying everything.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CheckpointReplayTest {
    static final String P = "pch-1";
    static final String V1 = "pch-1_100v0";
    static final int ONE = insert(V1, 100, 1, 1).payload().size();

    final ShardFixture f = new ShardFixture(Map.of("shard.segment.max.bytes", Integer.toString(10 * ONE + ONE / 2)));
    final MapRecoveryStore store = new MapRecoveryStore();

    @AfterEach
    void close() {
        f.close();
    }

    @Test
    void aCrashAfterACheckpointReplaysOnlyTheMessagesAfterItAndRebuildsTheSameShards() {
        f.recovery = store;
        f.open(P);
        f.append(createCollection(V1, 100, 1));
        for (int i = 0; i < 25; i++) {
            f.append(insert(V1, 100, 1, 1));
        }
        assertThat(f.wal(P).checkpointNow()).isTrue();
        int after = 7;
        for (int i = 0; i < after; i++) {
            f.append(i % 2 == 0 ? insert(V1, 100, 1, 1) : raw("pch-1_raw", "r" + i));
        }
        ShardSnapshot before = f.shards(P).snapshot();
        long bytesBefore = f.nodeBytes.total();

        f.crashAndRestart();

        WalStatus.Replay replay = f.wal(P).status().replay();
        // The messages after the checkpoint, plus the CreateSegments and Flushes they caused.
        assertThat(replay.messages()).isBetween((long) after, (long) after + 3);
        assertThat(replay.from()).isNotNull();
        assertThat(f.shards(P).snapshot()).isEqualTo(before);
        assertThat(f.nodeBytes.total()).isEqualTo(bytesBefore);
    }

    @Test
    void withoutRecoveryStorageTheWholeLogIsReplayedToTheSameState() {
        f.open(P);
        f.append(createCollection(V1, 100, 1));
        for (int i = 0; i < 25; i++) {
            f.append(insert(V1, 100, 1, 1));
        }
        ShardSnapshot before = f.shards(P).snapshot();

        f.crashAndRestart();

        assertThat(f.wal(P).status().replay().messages()).isGreaterThanOrEqualTo(26);
        assertThat(f.shards(P).snapshot()).isEqualTo(before);
    }

    @Test
    void aCheckpointTruncatesTheLogBelowIt() {
        f.recovery = store;
        f.open(P);
        f.append(createCollection(V1, 100, 1));
        for (int i = 0; i < 30; i++) {
            f.append(insert(V1, 100, 1, 1));
        }
        f.wal(P).checkpointNow();
        Checkpoint cp = store.checkpoint(P);

        assertThat(cp).isNotNull();
        assertThat(f.log(P)).allSatisfy(m -> assertThat(m.id()).isGreaterThanOrEqualTo(cp.messageId()));
    }

    @Test
    void aFencedTermCanNoLongerSaveItsCheckpoint() {
        f.recovery = store;
        StreamingWal old = f.open(P);
        f.append(createCollection(V1, 100, 1));
        store.claim(P, 99);
        int saves = store.saves;

        assertThat(old.checkpointNow()).isFalse();
        assertThat(store.saves).isEqualTo(saves);
        assertThatThrownBy(() -> store.save(P, old.term(), RecoverySnapshotProto.getDefaultInstance(),
                new Checkpoint(io.tidelog.common.MessageId.of(0, 0), 0)))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CHANNEL_FENCED));
    }
}
