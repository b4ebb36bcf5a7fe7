package io.tidelog.message;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.tidelog.common.MessageId;
import io.tidelog.proto.MessageEnvelope;
import io.tidelog.proto.MessageHeader;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.TxnContext;
import java.util.Map;

/**
 * What every message offers, before ({@link MutableMessage}) and after ({@link ImmutableMessage}) it is
 * appended. Both are immutable values, safe to share between threads. The fields set at append time
 * read as {@code 0} or {@code null} until the node sets them.
 */
public sealed interface BasicMessage permits MutableMessage, ImmutableMessage {

    /** The type; always one {@link MessageKind#isKnown known} to this build. */
    MessageType type();

    /**
     * The vchannel the message belongs to, {@code <pchannel>_<suffix>}; for a
     * {@link MessageKind#isPchannelWide pchannel-wide} type (TimeTick) the pchannel itself.
     */
    String vchannel();

    /** The pchannel the message is appended to. */
    default String pchannel() {
        return MessageKind.isPchannelWide(type()) ? vchannel() : Vchannels.pchannelOf(vchannel());
    }

    /** Whether the message is appended to {@code pchannel}: {@code pchannel().equals(pchannel)}, without a copy. */
    default boolean belongsTo(String pchannel) {
        String v = vchannel();
        if (MessageKind.isPchannelWide(type())) {
            return v.equals(pchannel);
        }
        int n = pchannel.length();
        // A valid vchannel is <pchannel>_<suffix>, the pchannel free of the separator: its first one ends it.
        return v.length() > n && v.charAt(n) == io.tidelog.common.Names.VCHANNEL_SEPARATOR && v.startsWith(pchannel)
                && pchannel.indexOf(io.tidelog.common.Names.VCHANNEL_SEPARATOR) < 0;
    }

    /** The header oneof; its case always matches {@link #type()}. */
    MessageHeader header();

    /**
     * The typed header, for example {@code header(InsertHeader.class)}.
     *
     * @throws io.tidelog.common.StreamingException {@code INVALID_ARGUMENT} if the header is of another class
     */
    default <H extends Message> H header(Class<H> headerClass) {
        return Headers.unwrap(type(), header(), headerClass);
    }

    /** The payload bytes: the type's body message, or opaque bytes for {@code RAW}. */
    ByteString payload();

    /**
     * The payload parsed as a body message, for example {@code body(InsertBody.parser())}.
     *
     * @throws io.tidelog.common.StreamingException if the payload does not parse: {@code INVALID_ARGUMENT}
     *         for a mutable message (the sender's fault), {@code DATA_CORRUPTED} for an appended one
     */
    <T extends Message> T body(Parser<T> parser);

    /** Application properties, unmodifiable; no key starts with {@code _}. */
    Map<String, String> properties();

    /** The client's idempotency key, or {@code null} if none was given. */
    String idempotencyKey();

    /** The hybrid timestamp assigned at append time; {@code 0} until then. */
    long timeTick();

    /**
     * Reading from this id sees every message of the pchannel whose time tick is greater than this
     * message's; {@code null} until set at append time.
     */
    MessageId lastConfirmedId();

    /** The term of the node that appended the message; {@code 0} until then. */
    long term();

    /** The transaction of a BeginTxn, body, CommitTxn or RollbackTxn message, or {@code null}. */
    TxnContext txn();

    /** The time tick assigned must be greater than this one; {@code 0} for no barrier. */
    long barrierTimeTick();

    /** The whole message in wire form. */
    MessageEnvelope envelope();

    /** The number of bytes of the encoded message. */
    int serializedSize();
}
