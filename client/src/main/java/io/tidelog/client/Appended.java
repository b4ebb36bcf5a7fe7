package io.tidelog.client;

import io.tidelog.common.MessageId;
import java.util.List;
import java.util.Objects;

/**
 * A message the node acknowledged as durable.
 *
 * @param vchannel          the vchannel the message was appended to
 * @param id                its position in the pchannel's WAL
 * @param timeTick          its hybrid timestamp: its place in the total order of the pchannel
 * @param lastConfirmedId   reading from this id sees every message with a greater time tick (DESIGN.md §1)
 * @param txnId             the transaction of a message appended in one ({@link Txn}): for its BeginTxn the id the
 *                          node assigned; 0 for a message outside any transaction
 * @param flushedSegmentIds for a ManualFlush, the segments the node sealed; empty otherwise
 */
public record Appended(String vchannel, MessageId id, long timeTick, MessageId lastConfirmedId, long txnId,
                       List<Long> flushedSegmentIds) {

    public Appended {
        Objects.requireNonNull(vchannel, "vchannel");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(lastConfirmedId, "lastConfirmedId");
        flushedSegmentIds = List.copyOf(flushedSegmentIds);
    }

    /** A message appended outside any transaction, sealing no segments. */
    public Appended(String vchannel, MessageId id, long timeTick, MessageId lastConfirmedId) {
        this(vchannel, id, timeTick, lastConfirmedId, 0, List.of());
    }
}
