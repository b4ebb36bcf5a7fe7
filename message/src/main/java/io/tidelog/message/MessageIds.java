package io.tidelog.message;

import io.tidelog.common.MessageId;
import io.tidelog.proto.MessageIdProto;

/** Conversions between {@link MessageId} and its wire form {@link MessageIdProto}. */
public final class MessageIds {
    private MessageIds() {
    }

    public static MessageIdProto toProto(MessageId id) {
        return MessageIdProto.newBuilder().setMajor(id.major()).setMinor(id.minor()).build();
    }

    /** @throws io.tidelog.common.StreamingException {@code INVALID_ARGUMENT} for a negative part */
    public static MessageId fromProto(MessageIdProto proto) {
        return MessageId.of(proto.getMajor(), proto.getMinor());
    }
}
