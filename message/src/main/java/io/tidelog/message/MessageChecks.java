package io.tidelog.message;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.Names;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.MessageHeader;
import io.tidelog.proto.MessageType;
import java.util.function.Supplier;

/**
 * Checks shared by the builder (whose failures are {@code INVALID_ARGUMENT}: the sender's fault) and the
 * decoder (whose failures are {@code DATA_CORRUPTED}: the stored bytes' fault). Each returns a problem
 * description or {@code null}, and the caller picks the code.
 */
final class MessageChecks {
    static final char RESERVED_PROPERTY_PREFIX = '_';
    static final int MAX_IDEMPOTENCY_KEY_LENGTH = 256;

    private MessageChecks() {
    }

    /** Type known, header of that type, channel well-formed for the type. */
    static String structureProblem(MessageType type, String channel, MessageHeader header) {
        String problem = MessageKind.headerProblem(type, header);
        return problem != null ? problem : channelProblem(type, channel);
    }

    /** A pchannel name for a {@link MessageKind#isPchannelWide pchannel-wide} type, else a vchannel name. */
    static String channelProblem(MessageType type, String channel) {
        if (MessageKind.isPchannelWide(type)) {
            return Names.isValidPchannel(channel) ? null
                    : "a message of type " + type + " is addressed to a pchannel, whose name must have "
                            + Names.PCHANNEL_RULE + ": '" + channel + "'";
        }
        return Vchannels.problem(channel);
    }

    static String propertyProblem(String key, String value) {
        if (key == null || key.isEmpty()) {
            return "property keys must not be empty";
        }
        if (key.charAt(0) == RESERVED_PROPERTY_PREFIX) {
            return "property key '" + key + "' is reserved: keys starting with '_' belong to Tidelog";
        }
        if (value == null) {
            return "property '" + key + "' has no value";
        }
        return null;
    }

    static String idempotencyKeyProblem(String key) {
        if (key == null || key.isEmpty() || key.length() > MAX_IDEMPOTENCY_KEY_LENGTH) {
            return "an idempotency key must have 1 to " + MAX_IDEMPOTENCY_KEY_LENGTH + " characters, got "
                    + (key == null ? "null" : key.length());
        }
        return null;
    }

    /** The payload parsed by {@code parser}, or a failure with {@code code} and the described message. */
    static <T extends Message> T parseBody(ByteString payload, Parser<T> parser, ErrorCode code,
            Supplier<String> whose) {
        try {
            return parser.parseFrom(payload);
        } catch (InvalidProtocolBufferException e) {
            throw new StreamingException(code, "payload of " + whose.get() + " does not parse: " + e.getMessage(), e);
        }
    }
}
