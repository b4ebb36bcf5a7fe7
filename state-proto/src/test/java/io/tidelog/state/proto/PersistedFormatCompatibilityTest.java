package io.tidelog.state.proto;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.DataType;
import io.tidelog.proto.DropCollectionHeader;
import io.tidelog.proto.FieldSchema;
import io.tidelog.proto.MessageEnvelope;
import io.tidelog.proto.MessageHeader;
import io.tidelog.proto.MessageIdProto;
import io.tidelog.proto.MessageType;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every persisted record, fully populated, as the bytes the classes of package {@code io.tidelog.proto}
 * (protobuf package {@code tidelog.v1}) wrote before the records moved here: they parse to the same record, no
 * field lost to the unknown fields. A data directory written before the move opens after it; a renumbered field
 * or a changed type fails here.
 */
class PersistedFormatCompatibilityTest {

    private static final String SHARDS =
            "0a650a07702d315f377630100722260a0a08641202706b180320010a090865120176180838040a0b08661201731806280130"
            + "4010022a02464730463a2a08bc05104618022080804028904e308296acdb01380c40801b488396acdb01520473697a655801"
            + "6201371207702d315f397630";

    private static final String TXNS =
            "0a0b08371207702d315f377630";

    private static final String DEDUP =
            "0a230a08702d315f64656d6f12036b2d311a0408031064208096acdb012a040803105a3037";

    private static final String FLUSHER =
            "0a330a07702d315f37763010071a260a0a08641202706b180320010a090865120176180838040a0b08661201731806280130"
            + "401002120d0a05080310a801108196acdb01";

    private static final String SNAPSHOT =
            "0a05080310c801108996acdb0118042289010a06736861726473127f0a700a650a07702d315f377630100722260a0a086412"
            + "02706b180320010a090865120176180838040a0b086612017318062801304010022a02464730463a2a08bc05104618022080"
            + "804028904e308296acdb01380c40801b488396acdb01520473697a6558016201371207702d315f3976301205080310960118"
            + "8596acdb012a310a100a0208031080e9c9d60120ffe8c9d60110a84618e807208020288996acdb013205080310c801388896"
            + "acdb0140e044";

    private static final String POINTER =
            "08041011180220f0a2042a0d0a05080310a801108196acdb0130bef5fad70c";

    private static final String SUBSCRIPTION =
            "0a08702d315f64656d6f120561756469741a0d0a05080310a801108196acdb012080d8c1a28c3428e8dfc1a28c34";

    private static final String PCHANNEL =
            "0a03702d3110041a066e6f64652d31220f6c6f63616c686f73743a31393533302803";

    private static final String DROPPED =
            "08091204676f6e651a07702d315f3976302080d8c1a28c3428d0e7c1a28c34";

    private static final String BROADCAST =
            "080c120e08061a0432020809588a96acdb011a07702d315f39763022130a0f636f6c6c656374696f6e2f676f6e6510012802"
            + "3080d8c1a28c343a1a0a07702d315f3976301205080310d201188b96acdb012202bc054204676f6e65";

    @ParameterizedTest(name = "{0}")
    @MethodSource("records")
    void bytesWrittenByTheWireArtifactParseToTheSameRecord(String type, String hex, Message expected) throws Exception {
        assertThat(expected.getParserForType().parseFrom(bytes(hex))).isEqualTo(expected);
    }

    static Stream<Arguments> records() {
        return Stream.of(
                golden(SHARDS, shards()),
                golden(TXNS, txns()),
                golden(DEDUP, dedup()),
                golden(FLUSHER, flusher()),
                golden(SNAPSHOT, snapshot()),
                golden(POINTER, pointer()),
                golden(SUBSCRIPTION, subscription()),
                golden(PCHANNEL, pchannel()),
                golden(DROPPED, dropped()),
                golden(BROADCAST, broadcast()));
    }

    private static Arguments golden(String hex, Message expected) {
        return Arguments.of(expected.getDescriptorForType().getName(), hex, expected);
    }

    private static byte[] bytes(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    private static MessageIdProto id(long major, long minor) {
        return MessageIdProto.newBuilder().setMajor(major).setMinor(minor).build();
    }

    private static CheckpointProto checkpoint() {
        return CheckpointProto.newBuilder().setMessageId(id(3, 168)).setTimeTick(460_000_001L).build();
    }

    private static CollectionSchema schema() {
        return CollectionSchema.newBuilder().setVersion(2)
                .addFields(FieldSchema.newBuilder().setFieldId(100).setName("pk").setType(DataType.INT64).setPrimaryKey(true))
                .addFields(FieldSchema.newBuilder().setFieldId(101).setName("v").setType(DataType.FLOAT_VECTOR).setDim(4))
                .addFields(FieldSchema.newBuilder().setFieldId(102).setName("s").setType(DataType.VARCHAR)
                        .setNullable(true).setMaxLength(64))
                .build();
    }

    private static ShardStateProto shards() {
        return ShardStateProto.newBuilder().addDropped("p-1_9v0")
                .addCollections(CollectionShardProto.newBuilder().setVchannel("p-1_7v0").setCollectionId(7).setDropped(false)
                        .addSchemas(schema()).addPartitions(70).addPartitions(71).setDefaultPartition(70)
                        .addSegments(GrowingSegmentProto.newBuilder().setId(700).setPartitionId(70).setSchemaVersion(2)
                                .setMaxBytes(1 << 20).setMaxRows(10_000).setCreateTimeTick(460_000_002L).setRows(12)
                                .setBytes(3_456).setLastInsertTimeTick(460_000_003L).setSealedBy("size").setActive(true)
                                .addOpenTxns(55)))
                .build();
    }

    private static TxnStateProto txns() {
        return TxnStateProto.newBuilder().addOpen(OpenTxnProto.newBuilder().setTxnId(55).setVchannel("p-1_7v0")).build();
    }

    private static DedupStateProto dedup() {
        return DedupStateProto.newBuilder().addEntries(DedupEntryProto.newBuilder().setVchannel("p-1_demo").setKey("k-1")
                .setId(id(3, 100)).setTimeTick(460_000_000L).setLastConfirmedId(id(3, 90)).setTxnId(55)).build();
    }

    private static FlusherStateProto flusher() {
        return FlusherStateProto.newBuilder().setCheckpoint(checkpoint()).addCollections(FlusherCollectionProto.newBuilder()
                .setVchannel("p-1_7v0").setCollectionId(7).addSchemas(schema())).build();
    }

    private static RecoverySnapshotProto snapshot() {
        return RecoverySnapshotProto.newBuilder().setPosition(id(3, 200)).setPositionTimeTick(460_000_009L).setTerm(4)
                .putExtensions("shards", ExtensionStateProto.newBuilder().setState(shards().toByteString())
                        .setReplayFrom(id(3, 150)).setReplayFromTimeTick(460_000_005L).build())
                .setRetention(RetentionIndexProto.newBuilder().setEndOffset(9_000).setSpacingMillis(1_000).setSpacingBytes(4_096)
                        .setLastTimeTick(460_000_009L).setLastId(id(3, 200)).setBeforeLastTimeTick(460_000_008L).setLastOffset(8_800)
                        .addSamples(RetentionSampleProto.newBuilder().setId(id(3, 0)).setTimeTick(450_000_000L).setOffset(0)
                                .setBeforeTimeTick(449_999_999L)))
                .build();
    }

    private static RecoveryPointerProto pointer() {
        return RecoveryPointerProto.newBuilder().setTerm(4).setSequence(17).setChunks(2).setBytes(70_000)
                .setCheckpoint(checkpoint()).setCrc32C(0xCAFEBABE).build();
    }

    private static SubscriptionProto subscription() {
        return SubscriptionProto.newBuilder().setVchannel("p-1_demo").setName("audit").setPosition(checkpoint())
                .setCreatedAtMillis(1_790_000_000_000L).setCommittedAtMillis(1_790_000_001_000L).build();
    }

    private static PchannelMeta pchannel() {
        return PchannelMeta.newBuilder().setPchannel("p-1").setTerm(4).setNodeId("node-1").setAddress("localhost:19530")
                .setState(PchannelState.UNAVAILABLE).build();
    }

    private static DroppedCollectionMeta dropped() {
        return DroppedCollectionMeta.newBuilder().setCollectionId(9).setName("gone").addVchannels("p-1_9v0")
                .setDroppedMillis(1_790_000_000_000L).setCollectedMillis(1_790_000_002_000L).build();
    }

    private static BroadcastTaskMeta broadcast() {
        MessageEnvelope ddl = MessageEnvelope.newBuilder().setType(MessageType.DROP_COLLECTION)
                .setHeader(MessageHeader.newBuilder().setDropCollection(DropCollectionHeader.newBuilder().setCollectionId(9)))
                .setBarrierTimeTick(460_000_010L).build();
        return BroadcastTaskMeta.newBuilder().setTaskId(12).setMessage(ddl).addVchannels("p-1_9v0").setCollection("gone")
                .addResourceKeys(ResourceKeyProto.newBuilder().setKey("collection/gone").setExclusive(true))
                .setState(BroadcastState.BROADCAST_DONE).setDoneMillis(1_790_000_000_000L)
                .addAcks(BroadcastAck.newBuilder().setVchannel("p-1_9v0").setId(id(3, 210)).setTimeTick(460_000_011L)
                        .addFlushedSegmentIds(700))
                .build();
    }
}
