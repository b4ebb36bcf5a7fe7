package io.tidelog.node.recovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.message.MessageIds;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.MetaStores;
import io.tidelog.state.proto.ExtensionStateProto;
import io.tidelog.state.proto.RecoverySnapshotProto;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The recovery storage over the embedded meta store: round trips, chunking, fencing by term. */
class MetaRecoveryStoreTest {
    static final String P = "pchannel-0";

    @TempDir
    Path dir;
    MetaStore meta;
    MetaRecoveryStore store;

    @BeforeEach
    void open() {
        meta = MetaStores.create("embedded", Map.of("meta.embedded.dir", dir.toString()));
        store = new MetaRecoveryStore(meta);
    }

    @AfterEach
    void close() {
        meta.close();
    }

    static RecoverySnapshotProto snapshot(int stateBytes, long seed) {
        byte[] state = new byte[stateBytes];
        new Random(seed).nextBytes(state);
        return RecoverySnapshotProto.newBuilder().setPosition(MessageIds.toProto(MessageId.of(3, 7)))
                .setPositionTimeTick(42).setTerm(1)
                .putExtensions("shards", ExtensionStateProto.newBuilder().setState(ByteString.copyFrom(state)).build())
                .build();
    }

    @Test
    void aSavedSnapshotIsLoadedBackWithItsCheckpoint() {
        store.claim(P, 1);
        assertThat(store.load(P)).isEmpty();
        RecoverySnapshotProto s = snapshot(100, 1);
        Checkpoint cp = new Checkpoint(MessageId.of(3, 1), 40);

        store.save(P, 1, s, cp);

        assertThat(store.load(P)).contains(s);
        assertThat(store.checkpoint(P)).contains(cp);
    }

    @Test
    void aSnapshotLargerThanOneMetaStoreRequestIsSavedInChunksAndTheOldChunksAreRemoved() {
        store.claim(P, 1);
        RecoverySnapshotProto big = snapshot(3 * MetaRecoveryStore.CHUNK_BYTES + 17, 2);
        store.save(P, 1, snapshot(10, 3), new Checkpoint(MessageId.of(1, 0), 1));
        store.save(P, 1, big, new Checkpoint(MessageId.of(2, 0), 2));

        assertThat(store.load(P)).contains(big);
        assertThat(meta.scan(MetaRecoveryStore.snapshotPrefix(P))).hasSize(4);
    }

    @Test
    void anOlderTermCanNeitherSaveNorClaimOnceANewerOneClaimedThePchannel() {
        store.claim(P, 1);
        RecoverySnapshotProto first = snapshot(10, 4);
        store.save(P, 1, first, new Checkpoint(MessageId.of(1, 0), 1));
        store.claim(P, 2);

        assertThatThrownBy(() -> store.save(P, 1, snapshot(10, 5), new Checkpoint(MessageId.of(9, 0), 9)))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CHANNEL_FENCED));
        assertThatThrownBy(() -> store.claim(P, 1))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CHANNEL_FENCED));
        assertThat(store.load(P)).contains(first);
    }

    @Test
    void chunksOfASaveThatNeverWroteItsPointerAreRemovedByTheNextClaimAndNeverLoaded() {
        store.claim(P, 1);
        RecoverySnapshotProto kept = snapshot(10, 6);
        store.save(P, 1, kept, new Checkpoint(MessageId.of(1, 0), 1));
        meta.put(MetaRecoveryStore.sequencePrefix(P, 99) + "000000", new byte[] {1, 2, 3});

        store.claim(P, 2);

        assertThat(meta.scan(MetaRecoveryStore.sequencePrefix(P, 99))).isEmpty();
        assertThat(store.load(P)).contains(kept);
    }

    @Test
    void aDamagedSnapshotIsReportedAsCorruptionNotLoaded() {
        store.claim(P, 1);
        store.save(P, 1, snapshot(1000, 7), new Checkpoint(MessageId.of(1, 0), 1));
        String chunk = meta.scan(MetaRecoveryStore.snapshotPrefix(P)).get(0).key();
        byte[] bytes = meta.get(chunk).orElseThrow().value();
        bytes[bytes.length / 2] ^= 0x10;
        meta.put(chunk, bytes);

        assertThatThrownBy(() -> store.load(P))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DATA_CORRUPTED));
    }
}
