package io.tidelog.message;

import static io.tidelog.message.MutableMessageTest.assertInvalid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.BeginTxnHeader;
import io.tidelog.proto.DeleteHeader;
import io.tidelog.proto.ImmutableMessageProto;
import io.tidelog.proto.InsertBody;
import io.tidelog.proto.MessageEnvelope;
import io.tidelog.proto.MessageHeader;
import io.tidelog.proto.MessageIdProto;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.TxnBody;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class ImmutableMessageTest {
    private static final MessageId ID = MessageId.of(4, 1234);
    private static final String VCHANNEL = "p-1_1001v0";

    @Property(tries = 300)
    void garbageBytesAreDataCorruptedNamingTheId(@ForAll byte[] garbage) {
        assertCorrupted(() -> ImmutableMessage.decode(ID, ByteBuffer.wrap(garbage)), "message 4:1234");
    }

    @Test
    void anEmptyOrTruncatedRecordIsDataCorrupted() {
        byte[] record = raw("payload").withTimeTick(7).encode();

        assertCorrupted(() -> ImmutableMessage.decode(ID, ByteBuffer.allocate(0)), "unknown message type");
        assertCorrupted(() -> ImmutableMessage.decode(ID, ByteBuffer.wrap(record, 0, record.length - 1)), "4:1234");
        assertCorrupted(() -> ImmutableMessage.decode(ID, ByteBuffer.wrap(Arrays.copyOf(record, 10))), "4:1234");
    }

    @Test
    void aWellFormedEnvelopeThatBreaksTheMessageRulesIsDataCorrupted() {
        MessageEnvelope good = raw("x").envelope();

        assertCorrupted(() -> decode(good.toBuilder().setHeader(MessageHeader.newBuilder()
                .setDelete(DeleteHeader.getDefaultInstance())).build()), "needs header RAW, got DELETE");
        assertCorrupted(() -> decode(good.toBuilder().setTypeValue(77).build()), "unknown message type");
        assertCorrupted(() -> decode(good.toBuilder().setVchannel("no-underscore").build()), "has no '_'");
        assertCorrupted(() -> decode(good.toBuilder().setLastConfirmedId(MessageIdProto.newBuilder().setMajor(-1))
                .build()), "malformed last-confirmed id -1:0");
    }

    @Test
    void decodeReadsOnlyBetweenPositionAndLimitAndLeavesTheBufferAlone() {
        MutableMessage sent = raw("hello").withTimeTick(42);
        byte[] record = sent.encode();
        ByteBuffer framed = ByteBuffer.allocate(record.length + 8);
        framed.putInt(0xCAFE).put(record).putInt(0xBABE);
        framed.position(4).limit(4 + record.length);

        ImmutableMessage read = ImmutableMessage.decode(ID, framed.asReadOnlyBuffer());

        assertThat(read).isEqualTo(sent.intoImmutable(ID));
        assertThat(framed.position()).isEqualTo(4);
        ImmutableMessage direct = ImmutableMessage.decode(ID,
                ByteBuffer.allocateDirect(record.length).put(record).flip());
        assertThat(direct).isEqualTo(read);
    }

    @Test
    void aMalformedWireMessageIsDataCorrupted() {
        ImmutableMessageProto good = raw("x").intoImmutable(ID).toProto();

        assertCorrupted(() -> ImmutableMessage.fromProto(good.toBuilder()
                .setId(MessageIdProto.newBuilder().setMajor(-5)).build()), "malformed id");
        assertCorrupted(() -> ImmutableMessage.fromProto(good.toBuilder().setMessage(
                good.getMessage().toBuilder().clearHeader()).build()), "HEADER_NOT_SET");
    }

    @Test
    void aPayloadThatIsNotItsBodyIsDataCorruptedNamingTheId() {
        ImmutableMessage m = MutableMessage.builder(MessageType.INSERT, VCHANNEL)
                .payload(new byte[] {(byte) 0xff, (byte) 0xff}).build().intoImmutable(ID);

        assertCorrupted(() -> m.body(InsertBody.parser()), "payload of message 4:1234 (INSERT)");
    }

    @Test
    void aCommittedTransactionBecomesOneTxnMessageWithTheCommitsPosition() {
        ImmutableMessage begin = txnPart(MessageType.BEGIN_TXN, 9, 100, MessageId.of(0, 10));
        ImmutableMessage insert = txnPart(MessageType.INSERT, 9, 101, MessageId.of(0, 11));
        ImmutableMessage delete = txnPart(MessageType.DELETE, 9, 102, MessageId.of(0, 12));
        ImmutableMessage commit = txnPart(MessageType.COMMIT_TXN, 9, 105, MessageId.of(0, 14));

        ImmutableMessage txn = ImmutableMessage.txn(begin, List.of(insert, delete), commit);

        assertThat(txn.type()).isEqualTo(MessageType.TXN);
        assertThat(txn.id()).isEqualTo(commit.id());
        assertThat(txn.timeTick()).isEqualTo(105);
        assertThat(txn.lastConfirmedId()).isEqualTo(commit.lastConfirmedId());
        assertThat(txn.term()).isEqualTo(commit.term());
        assertThat(txn.txn()).isEqualTo(commit.txn());
        assertThat(txn.vchannel()).isEqualTo(VCHANNEL);
        assertThat(txn.txnMessages()).containsExactly(begin, insert, delete, commit);
        assertThat(ImmutableMessage.fromProto(txn.toProto()).txnMessages()).containsExactly(begin, insert, delete,
                commit);
    }

    @Test
    void partsOfAnotherTransactionVchannelOrTypeAreRejected() {
        ImmutableMessage begin = txnPart(MessageType.BEGIN_TXN, 9, 100, MessageId.of(0, 10));
        ImmutableMessage commit = txnPart(MessageType.COMMIT_TXN, 9, 105, MessageId.of(0, 14));
        ImmutableMessage otherTxn = txnPart(MessageType.INSERT, 8, 101, MessageId.of(0, 11));
        ImmutableMessage otherVchannel = MutableMessage.builder(MessageType.INSERT, "p-1_1001v1").build()
                .withTxn(9, 1000).intoImmutable(MessageId.of(0, 12));
        ImmutableMessage ddl = MutableMessage.builder(MessageType.DROP_COLLECTION, VCHANNEL).build()
                .withTxn(9, 1000).intoImmutable(MessageId.of(0, 13));
        ImmutableMessage noTxn = MutableMessage.builder(MessageType.INSERT, VCHANNEL).build()
                .intoImmutable(MessageId.of(0, 13));

        assertInvalid(() -> ImmutableMessage.txn(begin, List.of(otherTxn), commit), "not part of the transaction");
        assertInvalid(() -> ImmutableMessage.txn(begin, List.of(noTxn), commit), "not part of the transaction");
        assertInvalid(() -> ImmutableMessage.txn(begin, List.of(otherVchannel), commit), "is on p-1_1001v1");
        assertInvalid(() -> ImmutableMessage.txn(begin, List.of(ddl), commit), "is a DROP_COLLECTION");
        assertInvalid(() -> ImmutableMessage.txn(commit, List.of(), commit), "expected a BEGIN_TXN");
        assertInvalid(() -> ImmutableMessage.txn(begin, List.of(), begin), "expected a COMMIT_TXN");
    }

    @Test
    void onlyATxnMessageHasTxnParts() {
        assertInvalid(() -> raw("x").intoImmutable(ID).txnMessages(), "not a TXN message");
        ImmutableMessage badTxn = new ImmutableMessage(ID, MessageEnvelope.newBuilder().setType(MessageType.TXN)
                .setVchannel(VCHANNEL).setHeader(MessageHeader.newBuilder().setTxn(
                        io.tidelog.proto.TxnHeader.getDefaultInstance()))
                .setPayload(TxnBody.newBuilder().addMessages(ImmutableMessageProto.getDefaultInstance()).build()
                        .toByteString())
                .build());
        assertCorrupted(badTxn::txnMessages, "corrupted");
    }

    private static ImmutableMessage txnPart(MessageType type, long txnId, long timeTick, MessageId id) {
        MutableMessage.Builder b = MutableMessage.builder(type, VCHANNEL);
        if (type == MessageType.BEGIN_TXN) {
            b.header(BeginTxnHeader.newBuilder().setKeepaliveMillis(1000).build());
        }
        return b.payload(ByteString.copyFromUtf8(type.name())).build()
                .withTxn(txnId, 1000).withTimeTick(timeTick).withTerm(3)
                .withLastConfirmedId(MessageId.of(0, id.minor() - 5))
                .intoImmutable(id);
    }

    private static MutableMessage raw(String payload) {
        return MutableMessage.builder(MessageType.RAW, VCHANNEL).payload(ByteString.copyFromUtf8(payload)).build();
    }

    private static ImmutableMessage decode(MessageEnvelope envelope) {
        return ImmutableMessage.decode(ID, ByteBuffer.wrap(envelope.toByteArray()));
    }

    private static void assertCorrupted(ThrowingCallable call, String messagePart) {
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(StreamingException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.DATA_CORRUPTED))
                .hasMessageContaining(messagePart);
    }
}
