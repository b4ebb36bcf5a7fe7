package io.tidelog.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.DeleteHeader;
import io.tidelog.proto.InsertBody;
import io.tidelog.proto.InsertHeader;
import io.tidelog.proto.MessageEnvelope;
import io.tidelog.proto.MessageHeader;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.PartitionSegment;
import io.tidelog.proto.TimeTickHeader;
import io.tidelog.proto.TxnContext;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class MutableMessageTest {
    private static final String VCHANNEL = "pchannel-3_1001v0";
    private static final InsertHeader INSERT_HEADER = InsertHeader.newBuilder().setCollectionId(1001)
            .addPartitions(PartitionSegment.newBuilder().setPartitionId(7).setRows(2).setBinarySize(64)).build();

    @Test
    void aBuiltMessageCarriesWhatTheClientGave() {
        MutableMessage m = MutableMessage.builder(MessageType.INSERT, VCHANNEL)
                .header(INSERT_HEADER)
                .payload(new byte[] {1, 2, 3})
                .property("trace", "abc")
                .idempotencyKey("producer-1:42")
                .build();

        assertThat(m.type()).isEqualTo(MessageType.INSERT);
        assertThat(m.vchannel()).isEqualTo(VCHANNEL);
        assertThat(m.pchannel()).isEqualTo("pchannel-3");
        assertThat(m.header(InsertHeader.class)).isEqualTo(INSERT_HEADER);
        assertThat(m.payload()).isEqualTo(ByteString.copyFrom(new byte[] {1, 2, 3}));
        assertThat(m.properties()).containsExactly(Map.entry("trace", "abc"));
        assertThat(m.idempotencyKey()).isEqualTo("producer-1:42");
        assertThat(m.timeTick()).isZero();
        assertThat(m.lastConfirmedId()).isNull();
        assertThat(m.term()).isZero();
        assertThat(m.txn()).isNull();
        assertThat(m.barrierTimeTick()).isZero();
    }

    @Test
    void aMessageWithoutHeaderGetsTheEmptyHeaderOfItsType() {
        MutableMessage m = MutableMessage.builder(MessageType.RAW, "p_orders").build();

        assertThat(m.header().getHeaderCase()).isEqualTo(MessageHeader.HeaderCase.RAW);
        assertThat(m.idempotencyKey()).isNull();
        assertThat(m.payload().isEmpty()).isTrue();
    }

    @Test
    void aTimeTickIsAddressedToAPchannel() {
        MutableMessage tick = MutableMessage.builder(MessageType.TIME_TICK, "pchannel-3")
                .header(TimeTickHeader.getDefaultInstance()).build();

        assertThat(tick.pchannel()).isEqualTo("pchannel-3");
        assertInvalid(() -> MutableMessage.builder(MessageType.TIME_TICK, VCHANNEL), "addressed to a pchannel");
        assertInvalid(() -> MutableMessage.builder(MessageType.INSERT, "pchannel-3"), "has no '_'");
    }

    @Test
    void aHeaderOfAnotherTypeIsRejected() {
        MutableMessage.Builder b = MutableMessage.builder(MessageType.INSERT, VCHANNEL)
                .header(DeleteHeader.newBuilder().setCollectionId(1).build());

        assertInvalid(b::build, "a message of type INSERT needs header INSERT, got DELETE");
        assertInvalid(() -> MutableMessage.builder(MessageType.INSERT, VCHANNEL)
                .header(InsertBody.getDefaultInstance()), "InsertBody is not a message header type");
    }

    @Test
    void readingTheHeaderAsAnotherClassIsRejected() {
        MutableMessage m = MutableMessage.builder(MessageType.INSERT, VCHANNEL).header(INSERT_HEADER).build();

        assertInvalid(() -> m.header(DeleteHeader.class), "has header INSERT, not a DeleteHeader");
    }

    @Test
    void unknownTypesAndBadChannelsAreRejected() {
        assertInvalid(() -> MutableMessage.builder(MessageType.MESSAGE_TYPE_UNSPECIFIED, VCHANNEL), "unknown");
        assertInvalid(() -> MutableMessage.builder(MessageType.UNRECOGNIZED, VCHANNEL), "unknown");
        assertInvalid(() -> MutableMessage.builder(null, VCHANNEL), "unknown");
        assertInvalid(() -> MutableMessage.builder(MessageType.RAW, "p_a b"), "found ' '");
        assertInvalid(() -> MutableMessage.builder(MessageType.RAW, null), "must not be empty");
    }

    @Test
    void anOversizedMessageIsRejectedNamingItsSizeAndTheLimit() {
        MessageLimits limits = new MessageLimits(1024);
        int overhead = MutableMessage.builder(MessageType.RAW, "p_x").build().serializedSize();
        int fits = 1024 - overhead - 3; // the payload field's tag and two-byte length

        MutableMessage atLimit = MutableMessage.builder(MessageType.RAW, "p_x").limits(limits)
                .payload(new byte[fits]).build();
        assertThat(atLimit.serializedSize()).isEqualTo(1024);
        assertInvalid(() -> MutableMessage.builder(MessageType.RAW, "p_x").limits(limits)
                .payload(new byte[fits + 1]).build(), "message of 1025 bytes exceeds the maximum message size of 1024");
    }

    @Test
    void theDefaultLimitIsEightMebibytes() {
        ByteString big = ByteString.copyFrom(new byte[8 << 20]);

        assertInvalid(() -> MutableMessage.builder(MessageType.RAW, "p_x").payload(big).build(),
                "exceeds the maximum message size of 8388608 bytes");
    }

    @Test
    void reservedEmptyAndNullPropertiesAreRejected() {
        MutableMessage.Builder b = MutableMessage.builder(MessageType.RAW, "p_x");

        assertInvalid(() -> b.property("_tt", "1"), "property key '_tt' is reserved");
        assertInvalid(() -> b.properties(Map.of("ok", "1", "_v", "2")), "reserved");
        assertInvalid(() -> b.property("", "1"), "must not be empty");
        assertInvalid(() -> b.property(null, "1"), "must not be empty");
        assertInvalid(() -> b.property("k", null), "has no value");
        assertThat(b.property("k_with_underscore", "v").build().properties()).containsKey("k_with_underscore");
    }

    @Test
    void idempotencyKeysMustHaveOneTo256Characters() {
        MutableMessage.Builder b = MutableMessage.builder(MessageType.RAW, "p_x");

        assertInvalid(() -> b.idempotencyKey(""), "1 to 256 characters");
        assertInvalid(() -> b.idempotencyKey("k".repeat(257)), "1 to 256 characters");
        assertThat(b.idempotencyKey("k".repeat(256)).build().idempotencyKey()).hasSize(256);
    }

    @Test
    void appendTimeFieldsMakeANewMessageAndLeaveTheOldOne() {
        MutableMessage m = MutableMessage.builder(MessageType.INSERT, VCHANNEL).header(INSERT_HEADER).build();

        MutableMessage appended = m.withTimeTick(99).withLastConfirmedId(MessageId.of(1, 2)).withTerm(4)
                .withTxn(5, 10_000).withBarrierTimeTick(50);

        assertThat(appended.timeTick()).isEqualTo(99);
        assertThat(appended.lastConfirmedId()).isEqualTo(MessageId.of(1, 2));
        assertThat(appended.term()).isEqualTo(4);
        assertThat(appended.txn()).isEqualTo(TxnContext.newBuilder().setTxnId(5).setKeepaliveMillis(10_000).build());
        assertThat(appended.barrierTimeTick()).isEqualTo(50);
        assertThat(appended.header()).isEqualTo(m.header());
        assertThat(m.timeTick()).isZero();
        assertThat(m.envelope().hasTxn()).isFalse();
        assertThat(appended).isNotEqualTo(m);
    }

    @Test
    void negativeAppendTimeFieldsAreRejected() {
        MutableMessage m = MutableMessage.builder(MessageType.RAW, "p_x").build();

        assertInvalid(() -> m.withTimeTick(-1), "time tick");
        assertInvalid(() -> m.withTerm(-1), "term");
        assertInvalid(() -> m.withTxn(-1, 0), "txn id");
        assertInvalid(() -> m.withBarrierTimeTick(-1), "barrier");
    }

    @Test
    void aProduceRequestMayNotCarryFieldsTheNodeSets() {
        MessageEnvelope wire = MutableMessage.builder(MessageType.RAW, "p_x").build().envelope();

        assertInvalid(() -> MutableMessage.fromEnvelope(wire.toBuilder().setTimeTick(1).build(),
                MessageLimits.defaults()), "time_tick");
        assertInvalid(() -> MutableMessage.fromEnvelope(wire.toBuilder().setTerm(1).build(),
                MessageLimits.defaults()), "term");
        assertInvalid(() -> MutableMessage.fromEnvelope(wire.toBuilder()
                .setTxn(TxnContext.getDefaultInstance()).build(), MessageLimits.defaults()), "txn");
        assertInvalid(() -> MutableMessage.fromEnvelope(wire.toBuilder()
                .setLastConfirmedId(MessageIds.toProto(MessageId.of(0, 0))).build(), MessageLimits.defaults()),
                "last_confirmed_id");
        assertThat(MutableMessage.fromEnvelope(wire.toBuilder().setBarrierTimeTick(7).build(),
                MessageLimits.defaults()).barrierTimeTick()).isEqualTo(7);
    }

    @Test
    void aProduceRequestIsCheckedLikeABuiltMessage() {
        MessageEnvelope wire = MutableMessage.builder(MessageType.RAW, "p_x").build().envelope();

        assertInvalid(() -> MutableMessage.fromEnvelope(wire.toBuilder().putProperties("_x", "1").build(),
                MessageLimits.defaults()), "reserved");
        assertInvalid(() -> MutableMessage.fromEnvelope(wire.toBuilder().setPayload(ByteString.copyFrom(
                new byte[2000])).build(), new MessageLimits(1024)), "exceeds the maximum message size of 1024");
        assertInvalid(() -> MutableMessage.fromEnvelope(wire.toBuilder().setHeader(MessageHeader.newBuilder()
                .setInsert(INSERT_HEADER)).build(), MessageLimits.defaults()), "needs header RAW");
        assertInvalid(() -> MutableMessage.fromEnvelope(wire.toBuilder().setTypeValue(77).build(),
                MessageLimits.defaults()), "unknown message type");
    }

    @Test
    void aBodyMessageBecomesThePayloadAndParsesBack() {
        InsertBody body = InsertBody.newBuilder().setPartitionId(7).setNumRows(2).build();
        MutableMessage m = MutableMessage.builder(MessageType.INSERT, VCHANNEL).header(INSERT_HEADER).payload(body)
                .build();

        assertThat(m.body(InsertBody.parser())).isEqualTo(body);
        MutableMessage garbage = MutableMessage.builder(MessageType.INSERT, VCHANNEL)
                .payload(new byte[] {(byte) 0xff, (byte) 0xff}).build();
        assertInvalid(() -> garbage.body(InsertBody.parser()), "payload of the INSERT message on " + VCHANNEL);
    }

    @Test
    void theEncodedRecordIsTheEnvelope() throws Exception {
        MutableMessage m = MutableMessage.builder(MessageType.INSERT, VCHANNEL).header(INSERT_HEADER)
                .property("a", "b").build().withTimeTick(5).withLastConfirmedId(MessageId.of(0, 3));

        assertThat(MessageEnvelope.parseFrom(m.encode())).isEqualTo(m.envelope());
        assertThat(m.encode()).hasSize(m.serializedSize()).isEqualTo(m.envelope().toByteArray());
    }

    static void assertInvalid(ThrowingCallable call, String messagePart) {
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(StreamingException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining(messagePart);
    }

    @Test
    void theNodeMayReplaceTheHeaderWithOneOfTheSameTypeKeepingThePayload() {
        MutableMessage m = MutableMessage.builder(MessageType.INSERT, VCHANNEL).header(INSERT_HEADER)
                .payload(new byte[] {1, 2, 3}).build().withTimeTick(9);
        InsertHeader assigned = INSERT_HEADER.toBuilder()
                .setPartitions(0, INSERT_HEADER.getPartitions(0).toBuilder().setSegmentId(4242)).build();

        MutableMessage rewritten = m.withHeader(assigned);

        assertThat(rewritten.header(InsertHeader.class)).isEqualTo(assigned);
        assertThat(rewritten.payload()).isSameAs(m.payload());
        assertThat(rewritten.timeTick()).isEqualTo(9);
        assertThat(m.header(InsertHeader.class)).isEqualTo(INSERT_HEADER);
        assertThatThrownBy(() -> m.withHeader(DeleteHeader.getDefaultInstance()))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }

    @Test
    void theLargestInsertWithTheNodesHeaderAndFieldsFitsTheRecordLimit() {
        MessageLimits limits = MessageLimits.from(Map.of(MessageLimits.MAX_BYTES_KEY, "64KiB"));
        MutableMessage bare = MutableMessage.builder(MessageType.INSERT, VCHANNEL)
                .header(InsertHeader.newBuilder().setCollectionId(Long.MAX_VALUE).build()).build();
        byte[] payload = new byte[limits.maxMessageBytes() - bare.serializedSize() - 4];
        MutableMessage largest = MutableMessage.builder(MessageType.INSERT, VCHANNEL)
                .header(InsertHeader.newBuilder().setCollectionId(Long.MAX_VALUE).build()).payload(payload).limits(limits).build();

        MutableMessage appended = largest.withHeader(InsertHeader.newBuilder().setCollectionId(Long.MAX_VALUE)
                        .addPartitions(PartitionSegment.newBuilder().setPartitionId(-1).setRows(-1L).setBinarySize(-1L)
                                .setSegmentId(-1)).build())
                .withTimeTick(Long.MAX_VALUE).withLastConfirmedId(MessageId.of(Long.MAX_VALUE, Long.MAX_VALUE))
                .withTerm(Long.MAX_VALUE).withTxn(Long.MAX_VALUE, Long.MAX_VALUE).withBarrierTimeTick(Long.MAX_VALUE);

        assertThat(largest.serializedSize()).isLessThanOrEqualTo(limits.maxMessageBytes());
        assertThat(appended.encode().length).isLessThanOrEqualTo(limits.maxRecordBytes());
    }
}
