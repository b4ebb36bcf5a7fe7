package io.tidelog.message;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.common.MessageId;
import io.tidelog.proto.MessageEnvelope;
import java.nio.ByteBuffer;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class MessageRoundTripTest {

    @Property(tries = 500)
    void everyMessageDecodesToWhatWasEncoded(@ForAll("appendedMessages") MutableMessage sent) {
        MessageId id = MessageId.of(3, 77);
        ImmutableMessage read = ImmutableMessage.decode(id, ByteBuffer.wrap(sent.encode()));

        assertThat(read.id()).isEqualTo(id);
        assertThat(read.type()).isEqualTo(sent.type());
        assertThat(read.vchannel()).isEqualTo(sent.vchannel());
        assertThat(read.header()).isEqualTo(sent.header());
        assertThat(read.payload()).isEqualTo(sent.payload());
        assertThat(read.properties()).isEqualTo(sent.properties());
        assertThat(read.idempotencyKey()).isEqualTo(sent.idempotencyKey());
        assertThat(read.timeTick()).isEqualTo(sent.timeTick());
        assertThat(read.lastConfirmedId()).isEqualTo(sent.lastConfirmedId());
        assertThat(read.term()).isEqualTo(sent.term());
        assertThat(read.txn()).isEqualTo(sent.txn());
        assertThat(read.barrierTimeTick()).isEqualTo(sent.barrierTimeTick());
        assertThat(read.envelope()).isEqualTo(sent.envelope());
        assertThat(read.serializedSize()).isEqualTo(sent.serializedSize());
        assertThat(read).isEqualTo(sent.intoImmutable(id));
    }

    @Property(tries = 200)
    void theWireFormOfAnAppendedMessageRoundTrips(@ForAll("appendedMessages") MutableMessage sent) {
        ImmutableMessage appended = sent.intoImmutable(MessageId.of(0, 12));

        assertThat(ImmutableMessage.fromProto(appended.toProto())).isEqualTo(appended);
    }

    @Property(tries = 200)
    void aClientEnvelopeRebuildsTheSameMessage(@ForAll("clientMessages") MutableMessage sent) {
        MessageEnvelope wire = sent.envelope();

        assertThat(MutableMessage.fromEnvelope(wire, MessageLimits.defaults())).isEqualTo(sent);
    }

    @Property(tries = 200)
    void appendTimeFieldsAddAtMostTheirReservedBytes(@ForAll("appendedMessages") MutableMessage m) {
        MutableMessage clientPart = MutableMessage.fromEnvelope(
                m.envelope().toBuilder().clearTimeTick().clearLastConfirmedId().clearTerm().clearTxn()
                        .clearBarrierTimeTick().build(),
                MessageLimits.defaults());

        assertThat(m.serializedSize()).isLessThanOrEqualTo(
                clientPart.serializedSize() + MessageLimits.APPEND_FIELDS_MAX_BYTES);
        assertThat(m.encode()).hasSize(m.serializedSize());
    }

    @Provide
    Arbitrary<MutableMessage> clientMessages() {
        return MessageArbitraries.mutableMessages().filter(m -> MessageKind.clientMaySend(m.type()));
    }

    @Provide
    Arbitrary<MutableMessage> appendedMessages() {
        return MessageArbitraries.mutableMessages().flatMap(MessageArbitraries::appended);
    }
}
