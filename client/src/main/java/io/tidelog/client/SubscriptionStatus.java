package io.tidelog.client;

import io.tidelog.common.MessageId;
import io.tidelog.message.MessageIds;
import io.tidelog.proto.SubscriptionInfo;
import java.time.Duration;
import java.time.Instant;

/**
 * A durable subscription as its pchannel's owner reports it.
 *
 * @param vchannel         the vchannel it reads
 * @param name             its name (unique per vchannel)
 * @param positionId       its committed position: a consumer resumes reading here...
 * @param positionTimeTick ...skipping every message with a time tick at or below this one
 * @param createdAt        when it was created
 * @param committedAt      when its position was last committed
 * @param created          whether the call that returned it created it ({@link Subscriptions#subscribe})
 * @param letGo            it lags beyond {@code wal.retention.max.lag}: it no longer holds the WAL, which may be
 *                         truncated past it (resuming it then fails with {@code OUT_OF_RANGE})
 * @param lagMessages      messages of the vchannel after its position (listings only; a lower bound unless
 *                         {@code lagExact})
 * @param lagExact         whether {@code lagMessages} is exact
 * @param lag              the time between its position and the pchannel's last time tick (listings only)
 * @param generation       how many times a consumer claimed it: the consumer that claimed last is the one whose
 *                         commits count (a consumer another took over from fails with
 *                         {@code SUBSCRIPTION_TAKEN_OVER})
 */
public record SubscriptionStatus(String vchannel, String name, MessageId positionId, long positionTimeTick,
        Instant createdAt, Instant committedAt, boolean created, boolean letGo, long lagMessages, boolean lagExact,
        Duration lag, long generation) {

    /** The wall-clock time of the committed position (0 time tick: {@code null}). */
    public Instant positionTime() {
        return positionTimeTick == 0 ? null : TimeTicks.toInstant(positionTimeTick);
    }

    static SubscriptionStatus fromProto(SubscriptionInfo p) {
        return new SubscriptionStatus(p.getVchannel(), p.getName(), MessageIds.fromProto(p.getPosition().getMessageId()),
                p.getPosition().getTimeTick(), Instant.ofEpochMilli(p.getCreatedAtMillis()),
                Instant.ofEpochMilli(p.getCommittedAtMillis()), p.getCreated(), p.getLetGo(), p.getLagMessages(),
                p.getLagMessagesExact(), Duration.ofMillis(p.getLagMillis()), p.getGeneration());
    }
}
