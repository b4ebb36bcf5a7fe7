package io.tidelog.node.retention;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.node.recovery.Checkpoint;
import java.time.Instant;
import java.util.Objects;

/**
 * A durable subscription: a named, persisted read position of one vchannel. It holds the pchannel's WAL
 * (retention never truncates past its position) while it lags by less than {@code wal.retention.max.lag}.
 *
 * @param vchannel  the vchannel it reads
 * @param name      its name, unique per vchannel
 * @param position  the committed position: a consumer resumes reading from {@code position.messageId()} and
 *                  skips every message with a time tick at or below {@code position.timeTick()} (no gap, no
 *                  duplicate; see {@code ResumableConsumer})
 * @param createdAt when it was created
 * @param committedAt when its position was last committed
 * @param generation  how many times a consumer claimed it: the consumer that claimed last holds the highest, and
 *                    only its commits (or administrative ones) move the position, so a consumer that another took
 *                    over from cannot move it back (as Kafka fences a consumer of an older group generation)
 */
public record Subscription(String vchannel, String name, Checkpoint position, Instant createdAt, Instant committedAt,
                           long generation) {
    /** The longest subscription name, in characters. */
    public static final int MAX_NAME_LENGTH = 128;

    /** A subscription no consumer claimed yet. */
    public Subscription(String vchannel, String name, Checkpoint position, Instant createdAt, Instant committedAt) {
        this(vchannel, name, position, createdAt, committedAt, 0);
    }

    public Subscription {
        Objects.requireNonNull(vchannel, "vchannel");
        validateName(name);
        Objects.requireNonNull(position, "position");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(committedAt, "committedAt");
    }

    /**
     * Checks a subscription name: 1 to {@value #MAX_NAME_LENGTH} characters of letters, digits, {@code . _ -}.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} naming the rule
     */
    public static String validateName(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_NAME_LENGTH
                || !name.chars().allMatch(c -> c < 128 && (Character.isLetterOrDigit(c) || c == '.' || c == '_' || c == '-'))) {
            throw StreamingException.invalidArgument("a subscription name is 1 to " + MAX_NAME_LENGTH
                    + " characters of letters, digits, '.', '_' and '-', got '" + name + "'");
        }
        return name;
    }

    /**
     * The same subscription committed at {@code p} by the consumer of {@code claim} (0: an administrative commit,
     * whatever the generation).
     *
     * @throws StreamingException {@code SUBSCRIPTION_TAKEN_OVER} if another consumer claimed it since
     */
    public Subscription committed(Checkpoint p, Instant at, long claim) {
        if (claim != 0 && claim != generation) {
            throw new StreamingException(ErrorCode.SUBSCRIPTION_TAKEN_OVER, "subscription " + name + " of " + vchannel
                    + " was claimed by another consumer (generation " + generation + ") after this one (generation "
                    + claim + "): this consumer's commits are refused; the newer consumer reads on from " + position);
        }
        return new Subscription(vchannel, name, p, createdAt, at, generation);
    }

    /** The same subscription claimed by one more consumer. */
    public Subscription claimed() {
        return new Subscription(vchannel, name, position, createdAt, committedAt, generation + 1);
    }

    @Override
    public String toString() {
        return vchannel + "/" + name + " at " + position;
    }
}
