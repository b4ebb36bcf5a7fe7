package io.tidelog.message;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import com.google.protobuf.UnsafeByteOperations;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.ImmutableMessageProto;
import io.tidelog.proto.MessageEnvelope;
import io.tidelog.proto.MessageHeader;
import io.tidelog.proto.MessageIdProto;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.TxnBody;
import io.tidelog.proto.TxnContext;
import io.tidelog.proto.TxnHeader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A message after it was appended: its envelope and its {@link #id() id} in the WAL. Immutable and safe to
 * share between threads.
 *
 * <p>Every way of making one ({@link #decode}, {@link #fromProto}, {@link #txn}) checks the structure
 * (known type, matching header, well-formed channel) and fails with {@code DATA_CORRUPTED} naming the id,
 * so a consumer never sees a half-valid message.
 */
public final class ImmutableMessage implements BasicMessage {
    private final MessageId id;
    /** The client's part; the whole envelope when {@link #stamp} is {@link Stamp#NONE}. */
    private final MessageEnvelope content;
    /** The append-time fields kept apart from {@link #content} (a message published as it was appended). */
    private final Stamp stamp;
    private volatile MessageEnvelope merged;

    ImmutableMessage(MessageId id, MessageEnvelope envelope) {
        this(id, envelope, Stamp.NONE);
    }

    /** A message whose append-time fields are kept beside the client's envelope, merged only when asked. */
    ImmutableMessage(MessageId id, MessageEnvelope content, Stamp stamp) {
        this.id = Objects.requireNonNull(id, "id");
        this.content = content;
        this.stamp = stamp;
    }

    /**
     * Decodes the WAL record {@code record} (its bytes from position to limit) appended at {@code id}. The
     * message may share the buffer's bytes instead of copying them: the caller must not change the buffer
     * afterwards (a WAL scanner's buffers are owned by the receiver, which satisfies this).
     *
     * @throws StreamingException {@code DATA_CORRUPTED} naming {@code id} if the bytes are not a valid message
     */
    public static ImmutableMessage decode(MessageId id, ByteBuffer record) {
        return decode(id, CodedInputStream.newInstance(record.duplicate()));
    }

    /**
     * Decodes the WAL record in {@code record[offset, offset + length)} appended at {@code id}; the message's
     * bytes fields (its payload) are slices of {@code record}, not copies, so those bytes must never change.
     *
     * @throws StreamingException {@code DATA_CORRUPTED} naming {@code id} if the bytes are not a valid message
     */
    public static ImmutableMessage decodeShared(MessageId id, byte[] record, int offset, int length) {
        return decode(id, UnsafeByteOperations.unsafeWrap(record, offset, length).newCodedInput());
    }

    private static ImmutableMessage decode(MessageId id, CodedInputStream in) {
        Objects.requireNonNull(id, "id");
        MessageEnvelope envelope;
        try {
            in.enableAliasing(true);
            envelope = MessageEnvelope.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            throw corrupted(id, "the record is not a message envelope: " + e.getMessage(), e);
        } catch (IOException e) {
            throw corrupted(id, "the record cannot be read: " + e, e);
        }
        return checked(id, envelope);
    }

    /**
     * The message in its wire form.
     *
     * @throws StreamingException {@code DATA_CORRUPTED} if it is not a valid message
     */
    public static ImmutableMessage fromProto(ImmutableMessageProto proto) {
        MessageId id;
        try {
            id = MessageIds.fromProto(proto.getId());
        } catch (StreamingException e) {
            throw new StreamingException(ErrorCode.DATA_CORRUPTED, "message with a malformed id: " + e.detail(), e);
        }
        return checked(id, proto.getMessage());
    }

    private static ImmutableMessage checked(MessageId id, MessageEnvelope envelope) {
        String problem = MessageChecks.structureProblem(envelope.getType(), envelope.getVchannel(),
                envelope.getHeader());
        if (problem != null) {
            throw corrupted(id, problem, null);
        }
        MessageIdProto lastConfirmed = envelope.getLastConfirmedId();
        if (lastConfirmed.getMajor() < 0 || lastConfirmed.getMinor() < 0) {
            throw corrupted(id, "malformed last-confirmed id " + lastConfirmed.getMajor() + ":"
                    + lastConfirmed.getMinor(), null);
        }
        return new ImmutableMessage(id, envelope);
    }

    private static StreamingException corrupted(MessageId id, String problem, Throwable cause) {
        return new StreamingException(ErrorCode.DATA_CORRUPTED, "message " + id + " is corrupted: " + problem, cause);
    }

    /**
     * The committed transaction {@code begin, bodies..., commit} as one {@code TXN} message, as consumers
     * see it: it carries the commit's id, time tick, last-confirmed id, term and transaction, and its
     * payload is a {@link TxnBody} with every part in order.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} unless {@code begin} is a BeginTxn, {@code commit}
     *         a CommitTxn and every body a {@link MessageKind#isTxnBody txn body}, all on one vchannel and
     *         of one transaction
     */
    public static ImmutableMessage txn(ImmutableMessage begin, List<ImmutableMessage> bodies,
            ImmutableMessage commit) {
        requireTxnPart(begin, MessageType.BEGIN_TXN.equals(begin.type()), "a BEGIN_TXN", commit);
        requireTxnPart(commit, MessageType.COMMIT_TXN.equals(commit.type()), "a COMMIT_TXN", commit);
        TxnBody.Builder body = TxnBody.newBuilder().addMessages(begin.toProto());
        for (ImmutableMessage m : bodies) {
            requireTxnPart(m, MessageKind.isTxnBody(m.type()), "an INSERT, DELETE or RAW", commit);
            body.addMessages(m.toProto());
        }
        body.addMessages(commit.toProto());
        MessageEnvelope.Builder envelope = MessageEnvelope.newBuilder()
                .setType(MessageType.TXN)
                .setVchannel(commit.vchannel())
                .setHeader(MessageHeader.newBuilder().setTxn(TxnHeader.getDefaultInstance()))
                .setPayload(body.build().toByteString())
                .setTimeTick(commit.timeTick())
                .setTerm(commit.term())
                .setTxn(commit.txn());
        if (commit.lastConfirmedId() != null) {
            envelope.setLastConfirmedId(MessageIds.toProto(commit.lastConfirmedId()));
        }
        return new ImmutableMessage(commit.id(), envelope.build());
    }

    private static void requireTxnPart(ImmutableMessage m, boolean rightType, String expected,
            ImmutableMessage commit) {
        if (!rightType) {
            throw StreamingException.invalidArgument("message " + m.id() + " is a " + m.type() + ", expected "
                    + expected + " message");
        }
        if (m.txn() == null || commit.txn() == null || m.txn().getTxnId() != commit.txn().getTxnId()) {
            throw StreamingException.invalidArgument("message " + m.id() + " is not part of the transaction of "
                    + "commit " + commit.id());
        }
        if (!m.vchannel().equals(commit.vchannel())) {
            throw StreamingException.invalidArgument("message " + m.id() + " is on " + m.vchannel()
                    + ", its transaction on " + commit.vchannel());
        }
    }

    /**
     * The parts of a {@code TXN} message in order: BeginTxn, the bodies, CommitTxn.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} if this is not a {@code TXN} message,
     *         {@code DATA_CORRUPTED} if its payload is not a valid {@link TxnBody}
     */
    public List<ImmutableMessage> txnMessages() {
        if (type() != MessageType.TXN) {
            throw StreamingException.invalidArgument("message " + id + " is a " + type() + ", not a TXN message");
        }
        TxnBody body = body(TxnBody.parser());
        List<ImmutableMessage> parts = new ArrayList<>(body.getMessagesCount());
        for (ImmutableMessageProto p : body.getMessagesList()) {
            parts.add(fromProto(p));
        }
        return parts;
    }

    /** The wire form: id and envelope. */
    public ImmutableMessageProto toProto() {
        return ImmutableMessageProto.newBuilder().setId(MessageIds.toProto(id)).setMessage(envelope()).build();
    }

    /** The position of this message in its pchannel's WAL. */
    public MessageId id() {
        return id;
    }

    @Override
    public MessageEnvelope envelope() {
        MessageEnvelope m = merged;
        if (m == null) {
            m = Stamp.merge(content, stamp);
            merged = m;
        }
        return m;
    }

    @Override
    public int serializedSize() {
        return content.getSerializedSize() + stamp.size();
    }

    @Override
    public MessageType type() {
        return content.getType();
    }

    @Override
    public String vchannel() {
        return content.getVchannel();
    }

    @Override
    public MessageHeader header() {
        return content.getHeader();
    }

    @Override
    public ByteString payload() {
        return content.getPayload();
    }

    @Override
    public <T extends Message> T body(Parser<T> parser) {
        return MessageChecks.parseBody(content.getPayload(), parser, ErrorCode.DATA_CORRUPTED,
                () -> "message " + id + " (" + type() + ")");
    }

    @Override
    public Map<String, String> properties() {
        return content.getPropertiesMap();
    }

    @Override
    public String idempotencyKey() {
        return content.getIdempotencyKey().isEmpty() ? null : content.getIdempotencyKey();
    }

    @Override
    public long timeTick() {
        return stamp == Stamp.NONE ? content.getTimeTick() : stamp.timeTick;
    }

    @Override
    public MessageId lastConfirmedId() {
        if (stamp != Stamp.NONE) {
            return stamp.lastConfirmedId;
        }
        return content.hasLastConfirmedId() ? MessageIds.fromProto(content.getLastConfirmedId()) : null;
    }

    @Override
    public long term() {
        return stamp == Stamp.NONE ? content.getTerm() : stamp.term;
    }

    @Override
    public TxnContext txn() {
        if (stamp != Stamp.NONE) {
            return stamp.txn;
        }
        return content.hasTxn() ? content.getTxn() : null;
    }

    @Override
    public long barrierTimeTick() {
        return stamp == Stamp.NONE ? content.getBarrierTimeTick() : stamp.barrierTimeTick;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImmutableMessage && id.equals(((ImmutableMessage) o).id)
                && envelope().equals(((ImmutableMessage) o).envelope());
    }

    @Override
    public int hashCode() {
        return 31 * id.hashCode() + envelope().hashCode();
    }

    @Override
    public String toString() {
        return "ImmutableMessage{" + id + " " + type() + " on " + vchannel() + ", timeTick=" + timeTick() + ", "
                + payload().size() + " payload bytes}";
    }
}
