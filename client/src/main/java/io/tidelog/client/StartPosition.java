package io.tidelog.client;

import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.message.MessageIds;
import io.tidelog.proto.DeliverPolicyProto;
import java.util.Locale;
import java.util.Objects;

/**
 * Where a consumer starts: every retained message, only messages appended from now on, or from (inclusive)
 * or after a message id.
 *
 * <p>The text form, as the CLI reads it: {@code earliest}, {@code latest}, {@code MAJOR:MINOR} (from that
 * id) or {@code after:MAJOR:MINOR}.
 *
 * @param kind which of the four
 * @param id   the id of {@link Kind#FROM} and {@link Kind#AFTER}; {@code null} otherwise
 */
public record StartPosition(Kind kind, MessageId id) {

    /** The four ways to start. */
    public enum Kind {
        /** Every message the WAL still holds. */
        EARLIEST,
        /** Only messages appended after the consumer started. */
        LATEST,
        /** From this id, inclusive. */
        FROM,
        /** After this id. */
        AFTER
    }

    public StartPosition {
        Objects.requireNonNull(kind, "kind");
        if ((kind == Kind.FROM || kind == Kind.AFTER) != (id != null)) {
            throw StreamingException.invalidArgument(kind + " start position " + (id == null ? "needs" : "takes no")
                    + " message id");
        }
    }

    public static StartPosition earliest() {
        return new StartPosition(Kind.EARLIEST, null);
    }

    public static StartPosition latest() {
        return new StartPosition(Kind.LATEST, null);
    }

    public static StartPosition from(MessageId id) {
        return new StartPosition(Kind.FROM, Objects.requireNonNull(id, "id"));
    }

    public static StartPosition after(MessageId id) {
        return new StartPosition(Kind.AFTER, Objects.requireNonNull(id, "id"));
    }

    /**
     * Parses the text form.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} naming the accepted forms
     */
    public static StartPosition parse(String text) {
        String t = text == null ? "" : text.trim();
        switch (t.toLowerCase(Locale.ROOT)) {
            case "earliest":
                return earliest();
            case "latest":
                return latest();
            default:
                break;
        }
        try {
            if (t.toLowerCase(Locale.ROOT).startsWith("after:")) {
                return after(MessageId.parse(t.substring("after:".length())));
            }
            return from(MessageId.parse(t));
        } catch (StreamingException e) {
            throw StreamingException.invalidArgument("a start position is earliest, latest, MAJOR:MINOR or "
                    + "after:MAJOR:MINOR, got '" + text + "'");
        }
    }

    DeliverPolicyProto toProto() {
        switch (kind) {
            case EARLIEST:
                return DeliverPolicyProto.newBuilder().setAll(true).build();
            case LATEST:
                return DeliverPolicyProto.newBuilder().setLatest(true).build();
            case FROM:
                return DeliverPolicyProto.newBuilder().setStartFrom(MessageIds.toProto(id)).build();
            default:
                return DeliverPolicyProto.newBuilder().setStartAfter(MessageIds.toProto(id)).build();
        }
    }

    @Override
    public String toString() {
        switch (kind) {
            case FROM:
                return id.toString();
            case AFTER:
                return "after:" + id;
            default:
                return kind.name().toLowerCase(Locale.ROOT);
        }
    }
}
