package io.tidelog.message;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.MessageHeader;
import io.tidelog.proto.MessageType;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * Moves typed headers ({@code InsertHeader}, ...) in and out of {@link MessageHeader}'s oneof through the
 * proto descriptors, so that no table of the sixteen header types is written by hand.
 */
final class Headers {
    private static final Map<Descriptor, FieldDescriptor> FIELD_BY_HEADER_TYPE = new HashMap<>();
    private static final Map<MessageType, MessageHeader> EMPTY_BY_TYPE = new EnumMap<>(MessageType.class);

    static {
        for (FieldDescriptor f : MessageHeader.getDescriptor().getOneofs().get(0).getFields()) {
            FIELD_BY_HEADER_TYPE.put(f.getMessageType(), f);
        }
        for (MessageType type : MessageType.values()) {
            if (MessageKind.isKnown(type)) {
                FieldDescriptor f = MessageHeader.getDescriptor().findFieldByNumber(type.getNumber());
                Object empty = MessageHeader.getDefaultInstance().getField(f);
                EMPTY_BY_TYPE.put(type, MessageHeader.newBuilder().setField(f, empty).build());
            }
        }
    }

    private Headers() {
    }

    /** {@code typed} placed in the oneof; {@code INVALID_ARGUMENT} if it is not a header type. */
    static MessageHeader wrap(Message typed) {
        if (typed instanceof MessageHeader) {
            return (MessageHeader) typed;
        }
        FieldDescriptor field = FIELD_BY_HEADER_TYPE.get(typed.getDescriptorForType());
        if (field == null) {
            throw StreamingException.invalidArgument(
                    typed.getDescriptorForType().getName() + " is not a message header type");
        }
        return MessageHeader.newBuilder().setField(field, typed).build();
    }

    /** The empty header of {@code type}; {@code type} must be known. */
    static MessageHeader emptyHeaderOf(MessageType type) {
        return EMPTY_BY_TYPE.get(type);
    }

    /** The typed header in the oneof; {@code INVALID_ARGUMENT} if it is of another class. */
    static <H extends Message> H unwrap(MessageType type, MessageHeader header, Class<H> headerClass) {
        if (header.getHeaderCase() != MessageHeader.HeaderCase.HEADER_NOT_SET) {
            Object value = header.getField(MessageHeader.getDescriptor()
                    .findFieldByNumber(header.getHeaderCase().getNumber()));
            if (headerClass.isInstance(value)) {
                return headerClass.cast(value);
            }
        }
        throw StreamingException.invalidArgument("a message of type " + type + " has header "
                + header.getHeaderCase() + ", not a " + headerClass.getSimpleName());
    }
}
