package io.tidelog.message;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.tidelog.common.MessageId;
import io.tidelog.proto.MessageHeader;
import io.tidelog.proto.MessageType;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/** Generators of names, headers and whole messages for the property tests. */
final class MessageArbitraries {
    /** Every type this build knows. */
    static final List<MessageType> KNOWN_TYPES = Arrays.stream(MessageType.values())
            .filter(MessageKind::isKnown)
            .toList();

    private MessageArbitraries() {
    }

    static Arbitrary<String> pchannels() {
        Arbitrary<Character> first = Arbitraries.chars().alpha().numeric().with('-');
        Arbitrary<String> rest = Arbitraries.strings().alpha().numeric().withChars('-', '.').ofMaxLength(20);
        return Combinators.combine(first, rest).as((f, r) -> f + r);
    }

    static Arbitrary<String> vchannels() {
        Arbitrary<String> suffix = Arbitraries.strings().alpha().numeric().withChars('-', '.', '_')
                .ofMinLength(1).ofMaxLength(20);
        return Combinators.combine(pchannels(), suffix).as((p, s) -> p + "_" + s);
    }

    /** Text that survives UTF-8: no lone surrogates. */
    static Arbitrary<String> text() {
        return Arbitraries.strings().withCharRange(' ', '~').withCharRange('\u00a0', '\u07ff')
                .withCharRange('\u4e00', '\u4eff').ofMaxLength(30);
    }

    static Arbitrary<Map<String, String>> properties() {
        Arbitrary<String> keys = Arbitraries.strings().alpha().numeric().withChars('.', '-', '_')
                .ofMinLength(1).ofMaxLength(12).filter(k -> k.charAt(0) != '_');
        return Arbitraries.maps(keys, text()).ofMaxSize(4);
    }

    static Arbitrary<byte[]> payloads() {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(512);
    }

    /** A header of {@code type} with every field filled at random, nested messages included. */
    static Arbitrary<MessageHeader> headers(MessageType type) {
        return Arbitraries.randomValue(random -> {
            FieldDescriptor field = MessageHeader.getDescriptor().findFieldByNumber(type.getNumber());
            Message empty = (Message) MessageHeader.getDefaultInstance().getField(field);
            return MessageHeader.newBuilder().setField(field, randomFill(empty.newBuilderForType(), random))
                    .build();
        });
    }

    private static Message randomFill(Message.Builder b, Random random) {
        for (FieldDescriptor f : b.getDescriptorForType().getFields()) {
            int count = f.isRepeated() ? random.nextInt(4) : 1;
            for (int i = 0; i < count; i++) {
                Object value = f.getJavaType() == FieldDescriptor.JavaType.MESSAGE
                        ? randomFill(b.newBuilderForField(f), random)
                        : randomScalar(f, random);
                if (f.isRepeated()) {
                    b.addRepeatedField(f, value);
                } else {
                    b.setField(f, value);
                }
            }
        }
        return b.build();
    }

    private static Object randomScalar(FieldDescriptor f, Random random) {
        switch (f.getJavaType()) {
            case INT:
                return random.nextInt();
            case LONG:
                return random.nextLong();
            case BOOLEAN:
                return random.nextBoolean();
            case STRING:
                return Long.toString(random.nextLong(), 36);
            case BYTE_STRING:
                byte[] bytes = new byte[random.nextInt(8)];
                random.nextBytes(bytes);
                return ByteString.copyFrom(bytes);
            default:
                throw new IllegalStateException("no generator for " + f.getFullName() + " of " + f.getJavaType());
        }
    }

    /** A valid message of any known type, built as a client (or, for system types, the node) would. */
    static Arbitrary<MutableMessage> mutableMessages() {
        return Arbitraries.of(KNOWN_TYPES).flatMap(type -> {
            Arbitrary<String> channel = MessageKind.isPchannelWide(type) ? pchannels() : vchannels();
            Arbitrary<String> keys = Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(16).injectNull(0.5);
            return Combinators.combine(channel, headers(type), payloads(), properties(), keys)
                    .as((c, h, payload, props, key) -> {
                        MutableMessage.Builder b = MutableMessage.builder(type, c).header(h).payload(payload)
                                .properties(props);
                        return (key == null ? b : b.idempotencyKey(key)).build();
                    });
        });
    }

    /** {@code message} with random append-time fields; each one left unset now and then. */
    static Arbitrary<MutableMessage> appended(MutableMessage message) {
        Arbitrary<Long> nonNegative = Arbitraries.longs().between(0, Long.MAX_VALUE).edgeCases(
                e -> e.includeOnly(0L, Long.MAX_VALUE));
        Arbitrary<MessageId> ids = Combinators.combine(nonNegative, nonNegative).as(MessageId::of).injectNull(0.2);
        return Combinators.combine(nonNegative, ids, nonNegative, nonNegative.injectNull(0.5), nonNegative)
                .as((tt, lc, term, txn, barrier) -> {
                    MutableMessage m = message.withTimeTick(tt).withTerm(term).withBarrierTimeTick(barrier);
                    m = lc == null ? m : m.withLastConfirmedId(lc);
                    return txn == null ? m : m.withTxn(txn, tt);
                });
    }
}
