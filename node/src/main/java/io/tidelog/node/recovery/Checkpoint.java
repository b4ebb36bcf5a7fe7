package io.tidelog.node.recovery;

import io.tidelog.common.MessageId;
import io.tidelog.message.MessageIds;
import io.tidelog.state.proto.CheckpointProto;
import java.util.Objects;

/**
 * A point of a pchannel's log from which replay restores a state: read the records from {@code messageId}
 * on and keep what lies past {@code timeTick}. Time ticks grow with log order, so the pair names one
 * point even when {@code messageId} lies earlier (a last-confirmed id, which may precede it to cover the
 * begin of a transaction still open there).
 */
public record Checkpoint(MessageId messageId, long timeTick) implements Comparable<Checkpoint> {

    public Checkpoint {
        Objects.requireNonNull(messageId, "messageId");
    }

    /** Earlier first: by time tick, then by id. */
    @Override
    public int compareTo(Checkpoint o) {
        int byTick = Long.compareUnsigned(timeTick, o.timeTick);
        return byTick != 0 ? byTick : messageId.compareTo(o.messageId);
    }

    /** The earlier of the two read positions: a replay serving both must start at the smaller id. */
    public static MessageId earlierId(MessageId a, MessageId b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    public CheckpointProto toProto() {
        return CheckpointProto.newBuilder().setMessageId(MessageIds.toProto(messageId)).setTimeTick(timeTick).build();
    }

    public static Checkpoint fromProto(CheckpointProto p) {
        return new Checkpoint(MessageIds.fromProto(p.getMessageId()), p.getTimeTick());
    }

    @Override
    public String toString() {
        return "{" + messageId + ", tt " + Long.toUnsignedString(timeTick) + "}";
    }
}
