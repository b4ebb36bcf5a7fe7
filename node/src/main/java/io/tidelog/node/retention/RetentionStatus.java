package io.tidelog.node.retention;

import io.tidelog.common.MessageId;
import io.tidelog.node.recovery.Checkpoint;

/**
 * What a pchannel's WAL retains, as of its last retention pass (part of its {@code WalStatus}).
 *
 * @param earliest        the earliest record retained: its id and time tick (null if unknown)
 * @param truncatedBelow  where the log was last truncated below in this term (null if not yet)
 * @param bound           what keeps the log from being truncated further, as of the last retention pass:
 *                        {@code checkpoint}, {@code wal.retention.time}, {@code wal.retention.bytes} or
 *                        {@code subscription NAME of VCHANNEL}; null before the first pass
 * @param subscriptions   durable subscriptions of the pchannel at the last retention pass
 * @param letGo           subscriptions let go in this term for lagging beyond {@code wal.retention.max.lag}
 */
public record RetentionStatus(Checkpoint earliest, MessageId truncatedBelow, String bound, int subscriptions, long letGo) {
}
