package io.tidelog.wal.pulsar;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.testing.Seeds;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.apache.pulsar.client.api.TypedMessageBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class RecordHeaderTest {
    @RegisterExtension
    final Seeds seeds = new Seeds();

    /** The value a builder was given: what the client would send. */
    @SuppressWarnings("unchecked")
    private static byte[] valueOf(UnaryOperator<TypedMessageBuilder<byte[]>> build) {
        byte[][] value = new byte[1][];
        TypedMessageBuilder<byte[]> capture = (TypedMessageBuilder<byte[]>) Proxy.newProxyInstance(
                RecordHeaderTest.class.getClassLoader(), new Class<?>[] {TypedMessageBuilder.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("value")) {
                        value[0] = (byte[]) args[0];
                    }
                    return proxy;
                });
        build.apply(capture);
        return value[0];
    }

    @Test
    void aDataRecordReadsBackWithItsTermSequenceAndBytes() {
        byte[] value = valueOf(m -> RecordHeader.data(m, 7, ByteBuffer.wrap("hello".getBytes(StandardCharsets.UTF_8))));
        RecordHeader.Parsed p = RecordHeader.parse(value, 42);
        assertThat(p).isNotNull();
        assertThat(p.isTermRecord()).isFalse();
        assertThat(p.term()).isEqualTo(7);
        assertThat(p.sequence()).isEqualTo(42);
        assertThat(StandardCharsets.UTF_8.decode(p.record()).toString()).isEqualTo("hello");
    }

    @Test
    void aTermRecordIsMarkedAndCarriesNoBytes() {
        RecordHeader.Parsed p = RecordHeader.parse(valueOf(m -> RecordHeader.term(m, 9)), 0);
        assertThat(p.isTermRecord()).isTrue();
        assertThat(p.term()).isEqualTo(9);
        assertThat(p.record().remaining()).isZero();
    }

    @Test
    void anyFlippedBitHeaderIncludedMakesTheRecordUnreadableRatherThanAnotherTermsRecord() {
        Random random = seeds.random();
        byte[] record = new byte[64];
        random.nextBytes(record);
        byte[] value = valueOf(m -> RecordHeader.data(m, 5, ByteBuffer.wrap(record)));
        for (int i = 0; i < value.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] damaged = value.clone();
                damaged[i] ^= (byte) (1 << bit);
                assertThat(RecordHeader.parse(damaged, 1)).as("byte %d bit %d flipped", i, bit)
                        .isNull();
            }
        }
    }

    @Test
    void aValueShorterThanTheHeaderOrOfAnUnknownKindIsNotOurs() {
        assertThat(RecordHeader.parse(new byte[RecordHeader.SIZE - 1], 1)).isNull();
        assertThat(RecordHeader.parse(null, 1)).isNull();
        byte[] foreign = "a record some other producer wrote".getBytes(StandardCharsets.UTF_8);
        assertThat(RecordHeader.parse(foreign, 1)).isNull();
    }
}
