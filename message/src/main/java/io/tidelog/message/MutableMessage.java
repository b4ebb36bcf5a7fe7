package io.tidelog.message;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.MessageEnvelope;
import io.tidelog.proto.MessageHeader;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.TxnContext;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A message before it is appended: built by a client (or by the node for its own types) with
 * {@link #builder}, checked once by {@link Builder#build()}, then given its append-time fields by the
 * node ({@code with*}) and {@link #encode() encoded} into one WAL record.
 *
 * <p>Immutable: every {@code with*} returns a new message sharing the client's part. The client's envelope and
 * the append-time fields ({@link Stamp}, plain values) are kept apart; {@link #encode()} writes one after the
 * other, which protobuf decodes as their merge, so the client's envelope is never rebuilt, the payload is
 * serialized once and no {@code with*} copies it. A message received from a client keeps the envelope it arrived
 * in ({@link #fromEnvelope}), checked in place.
 *
 * <p>The size limit ({@link MessageLimits}) applies to the client's part; the append-time fields add at
 * most {@link MessageLimits#APPEND_FIELDS_MAX_BYTES}.
 */
public final class MutableMessage implements BasicMessage {
    private final MessageEnvelope content;
    /** {@link #content} in the bytes it arrived in, written as they are; null if it was built here. */
    private final ByteString raw;
    private final Stamp stamp;
    private volatile MessageEnvelope merged;

    private MutableMessage(MessageEnvelope content, Stamp stamp) {
        this(content, null, stamp);
    }

    private MutableMessage(MessageEnvelope content, ByteString raw, Stamp stamp) {
        this.content = content;
        this.raw = raw;
        this.stamp = stamp;
    }

    /**
     * The message a client sent as a serialized envelope (a produce request as the node reads it): parsed without
     * copying its payload, checked as {@link #fromEnvelope(MessageEnvelope, MessageLimits, String)} checks it, and
     * kept with those bytes, which {@link #encode} writes as they are (the size limit applies to them).
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} naming what is wrong; nothing is kept
     */
    public static MutableMessage fromSerialized(ByteString serialized, MessageLimits limits, String checkedVchannel) {
        MessageEnvelope envelope;
        try {
            com.google.protobuf.CodedInputStream in = serialized.newCodedInput();
            in.enableAliasing(true);
            envelope = MessageEnvelope.parseFrom(in);
        } catch (IOException e) {
            throw StreamingException.invalidArgument("the message is not a valid envelope: " + e.getMessage());
        }
        MutableMessage m = fromEnvelope(envelope, limits, checkedVchannel);
        if (m.content != envelope) {
            return m; // rebuilt from what the client may set: the bytes it sent are not the message
        }
        limits.check(serialized.size());
        return new MutableMessage(envelope, serialized, Stamp.NONE);
    }

    /**
     * Starts a message of {@code type} on {@code vchannel} (for TimeTick: on a pchannel).
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} for an unknown type or a malformed channel name
     */
    public static Builder builder(MessageType type, String vchannel) {
        return new Builder(type, vchannel);
    }

    /**
     * The message a client sent in wire form (a produce request), checked as {@link Builder#build()} checks
     * and with every append-time field unset except two a sender may set:
     * <ul>
     *   <li>{@code barrier_time_tick}: the time tick to assign must exceed it;</li>
     *   <li>{@code txn}, on a {@link MessageKind#isTxnBody transaction body} (Insert, Delete, Raw), a CommitTxn
     *       or a RollbackTxn only: the transaction it belongs to, by the {@code txn_id} (&gt; 0) the node
     *       returned for its BeginTxn. The node checks that the transaction exists and is open, and sets the
     *       context again at append time ({@code keepalive_millis} from the sender is ignored). A BeginTxn
     *       carries none: the node assigns the id.</li>
     * </ul>
     * Whether the client may send this type at all is the caller's check ({@link MessageKind#checkProducible}).
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} naming what is wrong; nothing is kept
     */
    public static MutableMessage fromEnvelope(MessageEnvelope envelope, MessageLimits limits) {
        return fromEnvelope(envelope, limits, null);
    }

    /**
     * As {@link #fromEnvelope(MessageEnvelope, MessageLimits)}, skipping the check of the vchannel's name when it
     * equals {@code checkedVchannel}: a name an earlier message of a vchannel-scoped type (not
     * {@link MessageKind#isPchannelWide pchannel-wide}) passed with (a producer stream sends many messages to few
     * vchannels).
     */
    public static MutableMessage fromEnvelope(MessageEnvelope envelope, MessageLimits limits, String checkedVchannel) {
        String setByNode = envelope.getTimeTick() != 0 ? "time_tick"
                : envelope.hasLastConfirmedId() ? "last_confirmed_id"
                : envelope.getTerm() != 0 ? "term"
                : null;
        if (setByNode != null) {
            throw StreamingException.invalidArgument(
                    "field " + setByNode + " is set by the node at append time and must be unset by the sender");
        }
        String txnProblem = envelope.hasTxn() ? senderTxnProblem(envelope.getType(), envelope.getTxn()) : null;
        if (txnProblem != null) {
            throw StreamingException.invalidArgument(txnProblem);
        }
        if (envelope.hasTxn() || envelope.getBarrierTimeTick() != 0 || !envelope.getUnknownFields().asMap().isEmpty()) {
            return rebuilt(envelope, limits);
        }
        // The common case: the envelope holds only what a client sets; it is checked as the builder checks, and kept.
        MessageType type = envelope.getType();
        String vchannel = envelope.getVchannel();
        if (!MessageKind.isKnown(type)) {
            throw StreamingException.invalidArgument("unknown message type: " + type);
        }
        if (checkedVchannel == null || !checkedVchannel.equals(vchannel)
                || MessageKind.isPchannelWide(type)) {
            String problem = MessageChecks.channelProblem(type, vchannel);
            if (problem != null) {
                throw StreamingException.invalidArgument(problem);
            }
        }
        MessageKind.checkHeader(type, envelope.getHeader());
        if (envelope.getPropertiesCount() > 0) {
            envelope.getPropertiesMap().forEach((k, v) -> {
                String problem = MessageChecks.propertyProblem(k, v);
                if (problem != null) {
                    throw StreamingException.invalidArgument(problem);
                }
            });
        }
        if (!envelope.getIdempotencyKey().isEmpty()) {
            String problem = MessageChecks.idempotencyKeyProblem(envelope.getIdempotencyKey());
            if (problem != null) {
                throw StreamingException.invalidArgument(problem);
            }
        }
        limits.check(envelope.getSerializedSize());
        return new MutableMessage(envelope, Stamp.NONE);
    }

    /** The slow path of {@link #fromEnvelope}: the client's part rebuilt through the builder. */
    private static MutableMessage rebuilt(MessageEnvelope envelope, MessageLimits limits) {
        Builder b = builder(envelope.getType(), envelope.getVchannel())
                .header(envelope.getHeader())
                .payload(envelope.getPayload())
                .properties(envelope.getPropertiesMap())
                .limits(limits);
        if (!envelope.getIdempotencyKey().isEmpty()) {
            b.idempotencyKey(envelope.getIdempotencyKey());
        }
        MutableMessage m = b.build();
        if (envelope.hasTxn()) {
            m = m.withTxn(envelope.getTxn().getTxnId(), 0);
        }
        return envelope.getBarrierTimeTick() == 0 ? m : m.withBarrierTimeTick(envelope.getBarrierTimeTick());
    }

    /** What is wrong with a sender's {@code txn} context on a message of {@code type}, or {@code null}. */
    private static String senderTxnProblem(MessageType type, TxnContext txn) {
        if (type == MessageType.BEGIN_TXN) {
            return "field txn must be unset on a BEGIN_TXN: the node assigns the transaction id";
        }
        if (!MessageKind.isTxnBody(type) && type != MessageType.COMMIT_TXN && type != MessageType.ROLLBACK_TXN) {
            return "field txn is set by the node at append time on a " + type + " message and must be unset by"
                    + " the sender (only INSERT, DELETE, RAW, COMMIT_TXN and ROLLBACK_TXN name a transaction)";
        }
        if (txn.getTxnId() <= 0) {
            return "field txn must name a transaction by the txn_id its BEGIN_TXN returned (> 0), got "
                    + txn.getTxnId();
        }
        return null;
    }

    // ---- append-time fields: set by the node ----

    /** For the node: the assigned hybrid timestamp, {@code >= 0}. */
    public MutableMessage withTimeTick(long timeTick) {
        requireNonNegative("time tick", timeTick);
        return new MutableMessage(content, raw, stamp.withTimeTick(timeTick));
    }

    /** For the node: the last-confirmed id at the time of the time tick assignment. */
    public MutableMessage withLastConfirmedId(MessageId id) {
        Objects.requireNonNull(id, "id");
        return new MutableMessage(content, raw, stamp.withLastConfirmedId(id));
    }

    /** For the node: its term on the pchannel, {@code >= 0}. */
    public MutableMessage withTerm(long term) {
        requireNonNegative("term", term);
        return new MutableMessage(content, raw, stamp.withTerm(term));
    }

    /**
     * For the node, in one step: the time tick assigned, the last-confirmed id at that moment and the term, as
     * {@link #withTimeTick}, {@link #withLastConfirmedId} and {@link #withTerm} would set them.
     */
    public MutableMessage stamped(long timeTick, MessageId lastConfirmedId, long term) {
        requireNonNegative("time tick", timeTick);
        requireNonNegative("term", term);
        Objects.requireNonNull(lastConfirmedId, "lastConfirmedId");
        return new MutableMessage(content, raw, new Stamp(timeTick, lastConfirmedId, term, stamp.txn,
                stamp.barrierTimeTick));
    }

    /** For the node: the transaction this message belongs to; both numbers {@code >= 0}. */
    public MutableMessage withTxn(long txnId, long keepaliveMillis) {
        requireNonNegative("txn id", txnId);
        requireNonNegative("txn keepalive", keepaliveMillis);
        return new MutableMessage(content, raw, stamp.withTxn(
                TxnContext.newBuilder().setTxnId(txnId).setKeepaliveMillis(keepaliveMillis).build()));
    }

    /** The time tick to assign must be greater than {@code barrierTimeTick} ({@code >= 0}; 0: none). */
    public MutableMessage withBarrierTimeTick(long barrierTimeTick) {
        requireNonNegative("barrier time tick", barrierTimeTick);
        return new MutableMessage(content, raw, stamp.withBarrierTimeTick(barrierTimeTick));
    }

    /**
     * For the node: this message with its header replaced by another header of the same type, for what
     * the node assigns on the way in (an Insert's segments, a ManualFlush's sealed segments). The payload
     * is shared, not copied. The size limit is not checked again: such rewrites add at most what
     * {@link MessageLimits#APPEND_FIELDS_MAX_BYTES} allows for.
     *
     * @param header the typed header (for example an {@code InsertHeader}) or a {@link MessageHeader}
     * @throws StreamingException {@code INVALID_ARGUMENT} if the header is not of this message's type
     */
    public MutableMessage withHeader(Message header) {
        MessageHeader h = Headers.wrap(Objects.requireNonNull(header, "header"));
        MessageKind.checkHeader(type(), h);
        return new MutableMessage(content.toBuilder().setHeader(h).build(), stamp);
    }

    private static void requireNonNegative(String what, long value) {
        if (value < 0) {
            throw StreamingException.invalidArgument(what + " must be >= 0, got " + value);
        }
    }

    // ---- encoding ----

    /** The WAL record of this message: a serialized {@link MessageEnvelope}. */
    public byte[] encode() {
        byte[] out = new byte[serializedSize()];
        CodedOutputStream cos = CodedOutputStream.newInstance(out);
        writeTo(cos);
        cos.checkNoSpaceLeft();
        return out;
    }

    /**
     * Writes the WAL record of this message ({@link #serializedSize()} bytes, as {@link #encode()} returns them)
     * into {@code out} from its position on, and advances the position past it.
     *
     * @throws java.nio.BufferOverflowException if it does not fit
     */
    public void encodeTo(java.nio.ByteBuffer out) {
        int size = serializedSize();
        if (out.remaining() < size) {
            throw new java.nio.BufferOverflowException();
        }
        int end = out.position() + size;
        writeTo(CodedOutputStream.newInstance(out));
        out.position(end);
    }

    private void writeTo(CodedOutputStream cos) {
        try {
            if (raw != null) {
                cos.writeRawBytes(raw);
            } else {
                content.writeTo(cos);
            }
            stamp.writeTo(cos);
            cos.flush();
        } catch (IOException e) {
            throw StreamingException.inner("encoding a message failed", e);
        }
    }

    @Override
    public int serializedSize() {
        return (raw != null ? raw.size() : content.getSerializedSize()) + stamp.size();
    }

    /** This message as appended at {@code id}, without re-decoding its record and without merging its parts. */
    public ImmutableMessage intoImmutable(MessageId id) {
        return new ImmutableMessage(id, content, stamp);
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

    // ---- accessors ----

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
        return MessageChecks.parseBody(content.getPayload(), parser, ErrorCode.INVALID_ARGUMENT,
                () -> "the " + type() + " message on " + vchannel());
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
        return stamp.timeTick;
    }

    @Override
    public MessageId lastConfirmedId() {
        return stamp.lastConfirmedId;
    }

    @Override
    public long term() {
        return stamp.term;
    }

    @Override
    public TxnContext txn() {
        return stamp.txn;
    }

    @Override
    public long barrierTimeTick() {
        return stamp.barrierTimeTick;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MutableMessage && envelope().equals(((MutableMessage) o).envelope());
    }

    @Override
    public int hashCode() {
        return envelope().hashCode();
    }

    @Override
    public String toString() {
        return "MutableMessage{" + type() + " on " + vchannel() + ", " + payload().size() + " payload bytes"
                + (timeTick() != 0 ? ", timeTick=" + timeTick() : "") + "}";
    }

    /** Builds a {@link MutableMessage}; not thread-safe. Each setter checks its argument at once. */
    public static final class Builder {
        private final MessageType type;
        private final String vchannel;
        private MessageHeader header;
        private ByteString payload = ByteString.EMPTY;
        private final Map<String, String> properties = new LinkedHashMap<>();
        private String idempotencyKey;
        private MessageLimits limits = MessageLimits.defaults();

        private Builder(MessageType type, String vchannel) {
            String problem = MessageKind.isKnown(type) ? MessageChecks.channelProblem(type, vchannel)
                    : "unknown message type: " + type;
            if (problem != null) {
                throw StreamingException.invalidArgument(problem);
            }
            this.type = type;
            this.vchannel = vchannel;
        }

        /**
         * The header: the typed header of the type (for example an {@code InsertHeader}) or a
         * {@link MessageHeader} holding it. Without one, the type's empty header is used.
         */
        public Builder header(Message header) {
            this.header = Headers.wrap(Objects.requireNonNull(header, "header"));
            return this;
        }

        /** The payload; the array is copied. */
        public Builder payload(byte[] payload) {
            this.payload = ByteString.copyFrom(payload);
            return this;
        }

        public Builder payload(ByteString payload) {
            this.payload = Objects.requireNonNull(payload, "payload");
            return this;
        }

        /** The payload as a serialized body message (for example an {@code InsertBody}). */
        public Builder payload(Message body) {
            this.payload = body.toByteString();
            return this;
        }

        /** An application property; keys starting with {@code _} are reserved ({@code INVALID_ARGUMENT}). */
        public Builder property(String key, String value) {
            String problem = MessageChecks.propertyProblem(key, value);
            if (problem != null) {
                throw StreamingException.invalidArgument(problem);
            }
            properties.put(key, value);
            return this;
        }

        public Builder properties(Map<String, String> properties) {
            properties.forEach(this::property);
            return this;
        }

        /** A key that makes retries of this message append it at most once; 1 to 256 characters. */
        public Builder idempotencyKey(String key) {
            String problem = MessageChecks.idempotencyKeyProblem(key);
            if (problem != null) {
                throw StreamingException.invalidArgument(problem);
            }
            this.idempotencyKey = key;
            return this;
        }

        /** The limits to check against; {@link MessageLimits#defaults()} unless set. */
        public Builder limits(MessageLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /**
         * The message.
         *
         * @throws StreamingException {@code INVALID_ARGUMENT} if the header is not of the type or the
         *         encoded message exceeds the size limit (the message states both sizes)
         */
        public MutableMessage build() {
            MessageHeader h = header != null ? header : Headers.emptyHeaderOf(type);
            MessageKind.checkHeader(type, h);
            MessageEnvelope.Builder b = MessageEnvelope.newBuilder()
                    .setType(type)
                    .setVchannel(vchannel)
                    .setHeader(h)
                    .setPayload(payload)
                    .putAllProperties(properties);
            if (idempotencyKey != null) {
                b.setIdempotencyKey(idempotencyKey);
            }
            MessageEnvelope content = b.build();
            limits.check(content.getSerializedSize());
            return new MutableMessage(content, Stamp.NONE);
        }
    }
}
