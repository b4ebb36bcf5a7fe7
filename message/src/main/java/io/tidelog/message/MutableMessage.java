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
 * <p>Immutable: every {@code with*} returns a new message sharing the client's part. The client's part and
 * the append-time fields are kept as two disjoint envelopes; {@link #encode()} writes one after the other,
 * which protobuf decodes as their merge, so the payload is serialized once and no {@code with*} copies it.
 *
 * <p>The size limit ({@link MessageLimits}) applies to the client's part; the append-time fields add at
 * most {@link MessageLimits#APPEND_FIELDS_MAX_BYTES}.
 */
public final class MutableMessage implements BasicMessage {
    private final MessageEnvelope content;
    private final MessageEnvelope appendFields;
    private volatile MessageEnvelope merged;

    private MutableMessage(MessageEnvelope content, MessageEnvelope appendFields) {
        this.content = content;
        this.appendFields = appendFields;
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
     * and with every append-time field unset except {@code barrier_time_tick}, which a sender may request.
     * Whether the client may send this type at all is the caller's check
     * ({@link MessageKind#checkClientMaySend}).
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} naming what is wrong; nothing is kept
     */
    public static MutableMessage fromEnvelope(MessageEnvelope envelope, MessageLimits limits) {
        String setByNode = envelope.getTimeTick() != 0 ? "time_tick"
                : envelope.hasLastConfirmedId() ? "last_confirmed_id"
                : envelope.getTerm() != 0 ? "term"
                : envelope.hasTxn() ? "txn"
                : null;
        if (setByNode != null) {
            throw StreamingException.invalidArgument(
                    "field " + setByNode + " is set by the node at append time and must be unset by the sender");
        }
        Builder b = builder(envelope.getType(), envelope.getVchannel())
                .header(envelope.getHeader())
                .payload(envelope.getPayload())
                .properties(envelope.getPropertiesMap())
                .limits(limits);
        if (!envelope.getIdempotencyKey().isEmpty()) {
            b.idempotencyKey(envelope.getIdempotencyKey());
        }
        MutableMessage m = b.build();
        return envelope.getBarrierTimeTick() == 0 ? m : m.withBarrierTimeTick(envelope.getBarrierTimeTick());
    }

    // ---- append-time fields: set by the node ----

    /** For the node: the assigned hybrid timestamp, {@code >= 0}. */
    public MutableMessage withTimeTick(long timeTick) {
        requireNonNegative("time tick", timeTick);
        return withAppendFields(appendFields.toBuilder().setTimeTick(timeTick));
    }

    /** For the node: the last-confirmed id at the time of the time tick assignment. */
    public MutableMessage withLastConfirmedId(MessageId id) {
        Objects.requireNonNull(id, "id");
        return withAppendFields(appendFields.toBuilder().setLastConfirmedId(MessageIds.toProto(id)));
    }

    /** For the node: its term on the pchannel, {@code >= 0}. */
    public MutableMessage withTerm(long term) {
        requireNonNegative("term", term);
        return withAppendFields(appendFields.toBuilder().setTerm(term));
    }

    /** For the node: the transaction this message belongs to; both numbers {@code >= 0}. */
    public MutableMessage withTxn(long txnId, long keepaliveMillis) {
        requireNonNegative("txn id", txnId);
        requireNonNegative("txn keepalive", keepaliveMillis);
        return withAppendFields(appendFields.toBuilder()
                .setTxn(TxnContext.newBuilder().setTxnId(txnId).setKeepaliveMillis(keepaliveMillis)));
    }

    /** The time tick to assign must be greater than {@code barrierTimeTick} ({@code >= 0}; 0: none). */
    public MutableMessage withBarrierTimeTick(long barrierTimeTick) {
        requireNonNegative("barrier time tick", barrierTimeTick);
        return withAppendFields(appendFields.toBuilder().setBarrierTimeTick(barrierTimeTick));
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
        return new MutableMessage(content.toBuilder().setHeader(h).build(), appendFields);
    }

    private MutableMessage withAppendFields(MessageEnvelope.Builder fields) {
        return new MutableMessage(content, fields.build());
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
        try {
            content.writeTo(cos);
            appendFields.writeTo(cos);
        } catch (IOException e) {
            throw StreamingException.inner("encoding into an array failed", e);
        }
        cos.checkNoSpaceLeft();
        return out;
    }

    @Override
    public int serializedSize() {
        return content.getSerializedSize() + appendFields.getSerializedSize();
    }

    /** This message as appended at {@code id}, without re-decoding its record. */
    public ImmutableMessage intoImmutable(MessageId id) {
        return new ImmutableMessage(id, envelope());
    }

    @Override
    public MessageEnvelope envelope() {
        MessageEnvelope m = merged;
        if (m == null) {
            m = content.toBuilder().mergeFrom(appendFields).build();
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
        return appendFields.getTimeTick();
    }

    @Override
    public MessageId lastConfirmedId() {
        return appendFields.hasLastConfirmedId() ? MessageIds.fromProto(appendFields.getLastConfirmedId()) : null;
    }

    @Override
    public long term() {
        return appendFields.getTerm();
    }

    @Override
    public TxnContext txn() {
        return appendFields.hasTxn() ? appendFields.getTxn() : null;
    }

    @Override
    public long barrierTimeTick() {
        return appendFields.getBarrierTimeTick();
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
            return new MutableMessage(content, MessageEnvelope.getDefaultInstance());
        }
    }
}
