package io.tidelog.message;

import com.google.protobuf.CodedOutputStream;
import io.tidelog.common.MessageId;
import io.tidelog.proto.MessageEnvelope;
import io.tidelog.proto.TxnContext;
import java.io.IOException;

/**
 * The append-time fields of a message ({@code time_tick}, {@code last_confirmed_id}, {@code term}, {@code txn},
 * {@code barrier_time_tick} of {@link MessageEnvelope}) as plain values, kept beside the client's envelope rather
 * than merged into it. Written after the client's envelope in one record, they decode as the merge of the two
 * (protobuf's rule for concatenated messages): the node stamps a message without rebuilding it.
 *
 * <p>Immutable. Fields at their default (0, null) are not written, as protobuf leaves them out.
 */
final class Stamp {
    static final Stamp NONE = new Stamp(0, null, 0, null, 0);

    final long timeTick;
    final MessageId lastConfirmedId;
    final long term;
    final TxnContext txn;
    final long barrierTimeTick;
    private final int size;

    Stamp(long timeTick, MessageId lastConfirmedId, long term, TxnContext txn, long barrierTimeTick) {
        this.timeTick = timeTick;
        this.lastConfirmedId = lastConfirmedId;
        this.term = term;
        this.txn = txn;
        this.barrierTimeTick = barrierTimeTick;
        int s = 0;
        if (timeTick != 0) {
            s += CodedOutputStream.computeUInt64Size(MessageEnvelope.TIME_TICK_FIELD_NUMBER, timeTick);
        }
        if (lastConfirmedId != null) {
            int id = idSize(lastConfirmedId);
            s += CodedOutputStream.computeTagSize(MessageEnvelope.LAST_CONFIRMED_ID_FIELD_NUMBER)
                    + CodedOutputStream.computeUInt32SizeNoTag(id) + id;
        }
        if (term != 0) {
            s += CodedOutputStream.computeInt64Size(MessageEnvelope.TERM_FIELD_NUMBER, term);
        }
        if (txn != null) {
            s += CodedOutputStream.computeMessageSize(MessageEnvelope.TXN_FIELD_NUMBER, txn);
        }
        if (barrierTimeTick != 0) {
            s += CodedOutputStream.computeUInt64Size(MessageEnvelope.BARRIER_TIME_TICK_FIELD_NUMBER, barrierTimeTick);
        }
        this.size = s;
    }

    private static int idSize(MessageId id) {
        return (id.major() != 0 ? CodedOutputStream.computeInt64Size(1, id.major()) : 0)
                + (id.minor() != 0 ? CodedOutputStream.computeInt64Size(2, id.minor()) : 0);
    }

    Stamp withTimeTick(long v) {
        return new Stamp(v, lastConfirmedId, term, txn, barrierTimeTick);
    }

    Stamp withLastConfirmedId(MessageId v) {
        return new Stamp(timeTick, v, term, txn, barrierTimeTick);
    }

    Stamp withTerm(long v) {
        return new Stamp(timeTick, lastConfirmedId, v, txn, barrierTimeTick);
    }

    Stamp withTxn(TxnContext v) {
        return new Stamp(timeTick, lastConfirmedId, term, v, barrierTimeTick);
    }

    Stamp withBarrierTimeTick(long v) {
        return new Stamp(timeTick, lastConfirmedId, term, txn, v);
    }

    /** The encoded size of the set fields. */
    int size() {
        return size;
    }

    void writeTo(CodedOutputStream out) throws IOException {
        if (timeTick != 0) {
            out.writeUInt64(MessageEnvelope.TIME_TICK_FIELD_NUMBER, timeTick);
        }
        if (lastConfirmedId != null) {
            out.writeTag(MessageEnvelope.LAST_CONFIRMED_ID_FIELD_NUMBER, 2); // length-delimited
            out.writeUInt32NoTag(idSize(lastConfirmedId));
            if (lastConfirmedId.major() != 0) {
                out.writeInt64(1, lastConfirmedId.major());
            }
            if (lastConfirmedId.minor() != 0) {
                out.writeInt64(2, lastConfirmedId.minor());
            }
        }
        if (term != 0) {
            out.writeInt64(MessageEnvelope.TERM_FIELD_NUMBER, term);
        }
        if (txn != null) {
            out.writeMessage(MessageEnvelope.TXN_FIELD_NUMBER, txn);
        }
        if (barrierTimeTick != 0) {
            out.writeUInt64(MessageEnvelope.BARRIER_TIME_TICK_FIELD_NUMBER, barrierTimeTick);
        }
    }

    /** The one envelope {@code content} followed by {@code stamp} decodes as (for a reader that needs it whole). */
    static MessageEnvelope merge(MessageEnvelope content, Stamp stamp) {
        if (stamp == NONE) {
            return content;
        }
        MessageEnvelope.Builder b = content.toBuilder();
        stamp.mergeInto(b);
        return b.build();
    }

    private void mergeInto(MessageEnvelope.Builder b) {
        if (timeTick != 0) {
            b.setTimeTick(timeTick);
        }
        if (lastConfirmedId != null) {
            b.setLastConfirmedId(MessageIds.toProto(lastConfirmedId));
        }
        if (term != 0) {
            b.setTerm(term);
        }
        if (txn != null) {
            b.setTxn(txn);
        }
        if (barrierTimeTick != 0) {
            b.setBarrierTimeTick(barrierTimeTick);
        }
    }
}
