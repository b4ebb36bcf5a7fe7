package io.tidelog.common;

/**
 * A backend's position of a record: two non-negative numbers ordered lexicographically. Each backend
 * states what they mean (local: segment index and byte position; memory and Kafka: 0 and offset;
 * object store: segment and entry). Ids are comparable only within one backend and one pchannel.
 *
 * <p>The text form {@code major:minor} is what the CLI prints and parses.
 */
public record MessageId(long major, long minor) implements Comparable<MessageId> {

    public MessageId {
        if (major < 0 || minor < 0) {
            throw StreamingException.invalidArgument("message id parts must be non-negative: " + major + ":" + minor);
        }
    }

    public static MessageId of(long major, long minor) {
        return new MessageId(major, minor);
    }

    @Override
    public int compareTo(MessageId o) {
        int c = Long.compare(major, o.major);
        return c != 0 ? c : Long.compare(minor, o.minor);
    }

    public boolean isBefore(MessageId o) {
        return compareTo(o) < 0;
    }

    public boolean isAfter(MessageId o) {
        return compareTo(o) > 0;
    }

    /** Parses the text form {@code major:minor}. */
    public static MessageId parse(String text) {
        int colon = text == null ? -1 : text.indexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw StreamingException.invalidArgument("message id must look like MAJOR:MINOR, got: " + text);
        }
        try {
            return new MessageId(Long.parseLong(text.substring(0, colon)), Long.parseLong(text.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw StreamingException.invalidArgument("message id must look like MAJOR:MINOR, got: " + text);
        }
    }

    @Override
    public String toString() {
        return major + ":" + minor;
    }
}
