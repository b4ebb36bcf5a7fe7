package io.tidelog.node;

import io.tidelog.common.MessageId;

/**
 * The outcome of a durable append.
 *
 * @param id              where the message is stored
 * @param timeTick        its time tick: its position in the total order of the pchannel
 * @param lastConfirmedId reading from this id sees every message with a greater time tick
 */
public record AppendResult(MessageId id, long timeTick, MessageId lastConfirmedId) {
}
