package io.tidelog.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.tidelog.proto.MessageEnvelope;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.ProduceBatch;
import io.tidelog.proto.ProduceMessage;
import io.tidelog.proto.ProduceOpen;
import io.tidelog.proto.ProduceRequest;
import io.tidelog.testing.Seeds;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Requests written straight from the envelopes are the bytes the generated classes write. */
class OutgoingProduceTest {
    @RegisterExtension
    final Seeds seeds = new Seeds();

    static MessageEnvelope envelope(Random random, int payloadBytes) {
        byte[] payload = new byte[payloadBytes];
        random.nextBytes(payload);
        MessageEnvelope.Builder b = MessageEnvelope.newBuilder().setType(MessageType.RAW).setVchannel("p-1_v")
                .setPayload(ByteString.copyFrom(payload));
        if (random.nextBoolean()) {
            b.setIdempotencyKey("client/" + random.nextInt(1_000_000)).putProperties("k", "v");
        }
        return b.build();
    }

    static ProduceRequest generated(long first, MessageEnvelope[] envelopes) {
        if (envelopes.length == 1) {
            return ProduceRequest.newBuilder().setMessage(ProduceMessage.newBuilder().setRequestId(first)
                    .setMessage(envelopes[0])).build();
        }
        ProduceBatch.Builder batch = ProduceBatch.newBuilder();
        for (int i = 0; i < envelopes.length; i++) {
            batch.addMessages(ProduceMessage.newBuilder().setRequestId(first + i).setMessage(envelopes[i]));
        }
        return ProduceRequest.newBuilder().setBatch(batch).build();
    }

    @Test
    void batchesAndSingleAppendsEncodeAsTheGeneratedRequestAndSizeEachAppendAsItsProduceMessage() throws Exception {
        Random random = seeds.random();
        long[] firsts = {1, 127, 128, 16_383, 1L << 40, Long.MAX_VALUE - 2_000};
        for (int round = 0; round < 200; round++) {
            int count = 1 + random.nextInt(round % 10 == 0 ? 1 : 300);
            long first = firsts[random.nextInt(firsts.length)];
            MessageEnvelope[] envelopes = new MessageEnvelope[count];
            for (int i = 0; i < count; i++) {
                envelopes[i] = envelope(random, random.nextInt(4) == 0 ? 20_000 : random.nextInt(300));
            }
            ProduceRequest expected = generated(first, envelopes);
            OutgoingProduce request = OutgoingProduce.appends(first, envelopes);

            assertThat(request.serializedSize()).isEqualTo(expected.getSerializedSize());
            assertThat(request.toByteArray()).isEqualTo(expected.toByteArray());
            assertThat(drained(request)).isEqualTo(expected.toByteArray());
            assertThat(read(request)).isEqualTo(expected.toByteArray());
            assertThat(ProduceRequest.parseFrom(request.toByteArray())).isEqualTo(expected);
            OutgoingProduce.Appends gathered = new OutgoingProduce.Appends(first, count + 5);
            for (int i = 0; i < count; i++) {
                ProduceMessage m = ProduceMessage.newBuilder().setRequestId(first + i).setMessage(envelopes[i]).build();
                int size = gathered.sizeOfNext(envelopes[i]);
                assertThat(size).isEqualTo(CodedOutputStream.computeMessageSize(ProduceBatch.MESSAGES_FIELD_NUMBER, m));
                gathered.add(envelopes[i], size);
            }
            assertThat(gathered.request().toByteArray()).as("gathered into a larger array").isEqualTo(expected.toByteArray());
        }
    }

    @Test
    void anOpenIsSentAsBuilt() throws Exception {
        ProduceRequest open = ProduceRequest.newBuilder().setOpen(ProduceOpen.newBuilder().setPchannel("p-1").setTerm(3)
                .setAcceptsRanges(true)).build();
        OutgoingProduce request = OutgoingProduce.of(open);
        assertThat(request.appendCount()).isZero();
        assertThat(drained(request)).isEqualTo(open.toByteArray());
        assertThat(read(request)).isEqualTo(open.toByteArray());
        assertThat(OutgoingProduce.METHOD.parseRequest(OutgoingProduce.METHOD.streamRequest(request)).toByteArray())
                .isEqualTo(open.toByteArray());
    }

    /** As gRPC's framer takes it: a known length, then drained. */
    static byte[] drained(OutgoingProduce request) throws Exception {
        try (InputStream in = OutgoingProduce.METHOD.streamRequest(request)) {
            assertThat(in).isInstanceOf(io.grpc.Drainable.class).isInstanceOf(io.grpc.KnownLength.class);
            int length = in.available();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertThat(((io.grpc.Drainable) in).drainTo(out)).isEqualTo(length);
            assertThat(in.available()).isZero();
            return out.toByteArray();
        }
    }

    /** As an in-process server reads it: byte by byte and in chunks. */
    static byte[] read(OutgoingProduce request) throws Exception {
        try (InputStream in = OutgoingProduce.METHOD.streamRequest(request)) {
            int length = in.available();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int first = in.read();
            out.write(first);
            assertThat(in.available()).isEqualTo(length - 1);
            out.write(in.readAllBytes());
            assertThat(in.read()).isEqualTo(-1);
            return out.toByteArray();
        }
    }
}
