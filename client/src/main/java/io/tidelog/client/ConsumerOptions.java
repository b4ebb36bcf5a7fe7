package io.tidelog.client;

import io.tidelog.common.Names;
import io.tidelog.common.StreamingException;
import io.tidelog.message.MessageKind;
import io.tidelog.message.Vchannels;
import io.tidelog.proto.MessageType;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * What a {@link ResumableConsumer} reads. Immutable; start from {@link #vchannel(String)} or
 * {@link #pchannel(String)} and refine with the {@code with*} methods.
 *
 * @param vchannel         the vchannel to read (its messages and nothing else); {@code null} when reading a
 *                         whole pchannel
 * @param pchannel         the pchannel read: the vchannel's, or the one given
 * @param start            where to start (default {@link StartPosition#earliest()})
 * @param types            deliver only these types; empty (the default) for every type. A committed transaction
 *                         arrives as one {@code TXN} message (its parts in
 *                         {@link io.tidelog.message.ImmutableMessage#txnMessages()}), so a filter must name
 *                         {@code TXN} to receive transactions; nothing else of a transaction is ever delivered
 * @param includeTimeTicks whether the pchannel's TimeTick messages are delivered too (default {@code false});
 *                         naming {@code TIME_TICK} in {@code types} also asks for them
 * @param bufferSize       messages buffered between the network and {@link ResumableConsumer#poll} (default
 *                         {@value #DEFAULT_BUFFER_SIZE}, 1 to {@value #MAX_BUFFER_SIZE}); the consumer asks the
 *                         server for one more response (a message or a batch) only while fewer are buffered, so
 *                         the buffer holds at most this plus one batch of messages
 * @param subscription     the durable subscription to read through (vchannels only; {@code null}, the default: none).
 *                         The consumer starts at the subscription's committed position, or creates it at
 *                         {@code start} if it does not exist; it commits what the application has polled (see
 *                         {@link ResumableConsumer#commit()}), so a consumer of the same subscription started later
 *                         resumes right after it: no gap and, after a commit, no duplicate
 * @param autoCommit       with a subscription: commit every {@code autoCommit} and on {@link ResumableConsumer#close()}
 *                         (default {@value #DEFAULT_AUTO_COMMIT_MILLIS} ms); {@link Duration#ZERO}: only when the
 *                         application calls {@link ResumableConsumer#commit()}
 */
public record ConsumerOptions(String vchannel, String pchannel, StartPosition start, Set<MessageType> types,
        boolean includeTimeTicks, int bufferSize, String subscription, Duration autoCommit) {
    public static final int DEFAULT_BUFFER_SIZE = 256;
    public static final int MAX_BUFFER_SIZE = 65_536;
    public static final long DEFAULT_AUTO_COMMIT_MILLIS = 1000;

    public ConsumerOptions {
        if (vchannel != null) {
            Vchannels.validateVchannel(vchannel);
            if (!Vchannels.pchannelOf(vchannel).equals(pchannel)) {
                throw StreamingException.invalidArgument("vchannel " + vchannel + " is not on pchannel " + pchannel);
            }
        }
        Names.validatePchannel(pchannel);
        Objects.requireNonNull(start, "start");
        for (MessageType t : types) {
            if (!MessageKind.isKnown(t)) {
                throw StreamingException.invalidArgument("unknown message type in the consumer's filter: " + t);
            }
        }
        types = types.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(types));
        if (bufferSize < 1 || bufferSize > MAX_BUFFER_SIZE) {
            throw StreamingException.invalidArgument("consumer buffer size must lie in [1, " + MAX_BUFFER_SIZE
                    + "], got " + bufferSize);
        }
        if (subscription != null) {
            if (vchannel == null) {
                throw StreamingException.invalidArgument("a durable subscription reads one vchannel, not a whole pchannel");
            }
            validateSubscriptionName(subscription);
        }
        Objects.requireNonNull(autoCommit, "autoCommit");
        if (autoCommit.isNegative()) {
            throw StreamingException.invalidArgument("the auto-commit interval must not be negative, got " + autoCommit);
        }
    }

    /** The rule of subscription names (the node checks it too): 1 to 128 of letters, digits, '.', '_', '-'. */
    static void validateSubscriptionName(String name) {
        if (name.isEmpty() || name.length() > 128
                || !name.chars().allMatch(c -> c < 128 && (Character.isLetterOrDigit(c) || c == '.' || c == '_' || c == '-'))) {
            throw StreamingException.invalidArgument("a subscription name is 1 to 128 characters of letters, digits, "
                    + "'.', '_' and '-', got '" + name + "'");
        }
    }

    /** Reads one vchannel from the earliest retained message. */
    public static ConsumerOptions vchannel(String vchannel) {
        return new ConsumerOptions(vchannel, Vchannels.pchannelOf(vchannel), StartPosition.earliest(), Set.of(), false,
                DEFAULT_BUFFER_SIZE, null, Duration.ofMillis(DEFAULT_AUTO_COMMIT_MILLIS));
    }

    /** Reads every vchannel of one pchannel from the earliest retained message. */
    public static ConsumerOptions pchannel(String pchannel) {
        return new ConsumerOptions(null, pchannel, StartPosition.earliest(), Set.of(), false, DEFAULT_BUFFER_SIZE, null,
                Duration.ofMillis(DEFAULT_AUTO_COMMIT_MILLIS));
    }

    public ConsumerOptions withStart(StartPosition s) {
        return new ConsumerOptions(vchannel, pchannel, s, types, includeTimeTicks, bufferSize, subscription, autoCommit);
    }

    public ConsumerOptions withTypes(Set<MessageType> t) {
        return new ConsumerOptions(vchannel, pchannel, start, t, includeTimeTicks, bufferSize, subscription, autoCommit);
    }

    public ConsumerOptions withTimeTicks(boolean include) {
        return new ConsumerOptions(vchannel, pchannel, start, types, include, bufferSize, subscription, autoCommit);
    }

    public ConsumerOptions withBufferSize(int size) {
        return new ConsumerOptions(vchannel, pchannel, start, types, includeTimeTicks, size, subscription, autoCommit);
    }

    /**
     * Reads through the durable subscription {@code name}: from its committed position, or from {@link #start()}
     * if it is created now.
     */
    public ConsumerOptions withSubscription(String name) {
        return new ConsumerOptions(vchannel, pchannel, start, types, includeTimeTicks, bufferSize, name, autoCommit);
    }

    /** Commits automatically every {@code interval} and on close; {@link Duration#ZERO}: only by {@code commit()}. */
    public ConsumerOptions withAutoCommit(Duration interval) {
        return new ConsumerOptions(vchannel, pchannel, start, types, includeTimeTicks, bufferSize, subscription, interval);
    }

    /** Whether the application sees {@code type}. */
    boolean delivers(MessageType type) {
        if (type == MessageType.TIME_TICK) {
            return includeTimeTicks || types.contains(MessageType.TIME_TICK);
        }
        return types.isEmpty() || types.contains(type);
    }

    /** What the consumer asks the server for: the application's types plus TimeTick, which keeps its resume point fresh. */
    Set<MessageType> requestedTypes() {
        if (types.isEmpty()) {
            return Set.of();
        }
        EnumSet<MessageType> t = EnumSet.copyOf(types);
        t.add(MessageType.TIME_TICK);
        return t;
    }

    /** The channel read, for messages: the vchannel, or the pchannel. */
    String channel() {
        return vchannel != null ? vchannel : pchannel;
    }
}
