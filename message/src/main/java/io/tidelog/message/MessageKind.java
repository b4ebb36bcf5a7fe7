package io.tidelog.message;

import io.tidelog.common.StreamingException;
import io.tidelog.proto.MessageHeader;
import io.tidelog.proto.MessageType;
import java.util.EnumSet;
import java.util.Set;

/**
 * The classes of message types (DESIGN.md section 4), as predicates on the generated {@link MessageType}.
 *
 * <pre>
 * type                                          system  self-controlled  exclusive  txn body  client sends
 * TIME_TICK                                       x           x
 * BEGIN_TXN, COMMIT_TXN, ROLLBACK_TXN             x                                                   (txn)
 * TXN                                             x
 * CREATE_SEGMENT, FLUSH                                       x
 * CREATE_COLLECTION, DROP_COLLECTION,
 * CREATE_PARTITION, DROP_PARTITION,
 * MANUAL_FLUSH, ALTER_COLLECTION                                            x                       x
 * INSERT, DELETE, RAW                                                                  x            x
 * </pre>
 *
 * <p>"(txn)": the transaction control types are system types, so {@link #clientMaySend} is false for them,
 * but a client runs a transaction by sending them in produce requests ({@link #checkProducible}); the node
 * assigns the transaction id and checks every use of it.
 *
 * <p>A message's header is the field of {@link MessageHeader}'s oneof whose number equals the number of
 * the message's type. Every predicate is false for {@code MESSAGE_TYPE_UNSPECIFIED}, {@code UNRECOGNIZED}
 * (a number this build does not know) and {@code null}.
 */
public final class MessageKind {
    private static final Set<MessageType> SYSTEM = EnumSet.of(MessageType.TIME_TICK,
            MessageType.BEGIN_TXN, MessageType.COMMIT_TXN, MessageType.ROLLBACK_TXN, MessageType.TXN);
    private static final Set<MessageType> SELF_CONTROLLED = EnumSet.of(MessageType.TIME_TICK,
            MessageType.CREATE_SEGMENT, MessageType.FLUSH);
    private static final Set<MessageType> EXCLUSIVE = EnumSet.of(MessageType.CREATE_COLLECTION,
            MessageType.DROP_COLLECTION, MessageType.CREATE_PARTITION, MessageType.DROP_PARTITION,
            MessageType.MANUAL_FLUSH, MessageType.ALTER_COLLECTION);
    private static final Set<MessageType> TXN_CONTROL = EnumSet.of(MessageType.BEGIN_TXN,
            MessageType.COMMIT_TXN, MessageType.ROLLBACK_TXN);
    private static final Set<MessageType> TXN_BODY = EnumSet.of(MessageType.INSERT, MessageType.DELETE,
            MessageType.RAW);

    private MessageKind() {
    }

    /** Whether this build knows the type: neither unspecified nor unrecognized. */
    public static boolean isKnown(MessageType type) {
        return type != null && type != MessageType.MESSAGE_TYPE_UNSPECIFIED && type != MessageType.UNRECOGNIZED;
    }

    /** TimeTick and the transaction types: the node's own protocol; filters never drop them. */
    public static boolean isSystem(MessageType type) {
        return type != null && SYSTEM.contains(type);
    }

    /** TimeTick, CreateSegment and Flush: the WAL emits them itself. */
    public static boolean isSelfControlled(MessageType type) {
        return type != null && SELF_CONTROLLED.contains(type);
    }

    /**
     * The DDL types: appending one takes its vchannel's write lock, so its time tick order equals its
     * message id order and no DML of the vchannel is in flight around it.
     */
    public static boolean isExclusive(MessageType type) {
        return type != null && EXCLUSIVE.contains(type);
    }

    /** Insert, Delete and Raw: the types a transaction may contain. */
    public static boolean isTxnBody(MessageType type) {
        return type != null && TXN_BODY.contains(type);
    }

    /**
     * BeginTxn, CommitTxn and RollbackTxn: the steps of a transaction. System types (a plain append of one
     * is refused), but a client sends them to run a transaction (see the class comment).
     */
    public static boolean isTxnControl(MessageType type) {
        return type != null && TXN_CONTROL.contains(type);
    }

    /** Known, neither system nor self-controlled. */
    public static boolean clientMaySend(MessageType type) {
        return isKnown(type) && !isSystem(type) && !isSelfControlled(type);
    }

    /**
     * TimeTick: addressed to a whole pchannel, so its channel field holds the pchannel name where other
     * messages hold a vchannel name. Scanners deliver it to every vchannel of the pchannel.
     */
    public static boolean isPchannelWide(MessageType type) {
        return type == MessageType.TIME_TICK;
    }

    /**
     * Rejects a message type that clients may not send.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} naming the type and why
     */
    public static void checkClientMaySend(MessageType type) {
        if (!isKnown(type)) {
            throw StreamingException.invalidArgument("unknown message type: " + type);
        }
        if (isSystem(type) || isSelfControlled(type)) {
            throw StreamingException.invalidArgument("clients may not send " + type + " messages: "
                    + (isSystem(type) ? "a system type" : "the WAL emits them itself"));
        }
    }

    /**
     * Rejects a message type that may not arrive in a produce request: every type a client may send
     * ({@link #checkClientMaySend}) plus the {@link #isTxnControl transaction control} types.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} naming the type and why
     */
    public static void checkProducible(MessageType type) {
        if (!isTxnControl(type)) {
            checkClientMaySend(type);
        }
    }

    /** The header case a message of this type carries; {@code HEADER_NOT_SET} for an unknown type. */
    public static MessageHeader.HeaderCase headerCase(MessageType type) {
        if (!isKnown(type)) {
            return MessageHeader.HeaderCase.HEADER_NOT_SET;
        }
        MessageHeader.HeaderCase c = MessageHeader.HeaderCase.forNumber(type.getNumber());
        return c == null ? MessageHeader.HeaderCase.HEADER_NOT_SET : c;
    }

    /**
     * Checks that {@code header} holds the header of {@code type}.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} naming both
     */
    public static void checkHeader(MessageType type, MessageHeader header) {
        String problem = headerProblem(type, header);
        if (problem != null) {
            throw StreamingException.invalidArgument(problem);
        }
    }

    /** What is wrong with the type or header, or {@code null} if they match. */
    static String headerProblem(MessageType type, MessageHeader header) {
        if (!isKnown(type)) {
            return "unknown message type: " + type;
        }
        MessageHeader.HeaderCase expected = headerCase(type);
        MessageHeader.HeaderCase actual = header == null ? MessageHeader.HeaderCase.HEADER_NOT_SET
                : header.getHeaderCase();
        if (actual != expected) {
            return "a message of type " + type + " needs header " + expected + ", got " + actual;
        }
        return null;
    }
}
