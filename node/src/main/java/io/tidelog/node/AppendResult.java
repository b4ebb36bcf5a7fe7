package io.tidelog.node;

import io.tidelog.common.MessageId;
import java.util.List;

/**
 * The outcome of a durable append.
 *
 * @param id                where the message is stored
 * @param timeTick          its time tick: its position in the total order of the pchannel
 * @param lastConfirmedId   reading from this id sees every message with a greater time tick
 * @param txnId             for a BeginTxn, the transaction's id (what its bodies, commit or rollback name);
 *                          for a message of a transaction, that transaction; 0 otherwise
 * @param flushedSegmentIds for a ManualFlush, the segments it sealed; empty otherwise
 */
public record AppendResult(MessageId id, long timeTick, MessageId lastConfirmedId, long txnId, List<Long> flushedSegmentIds) {

    public AppendResult {
        flushedSegmentIds = List.copyOf(flushedSegmentIds);
    }

    public AppendResult(MessageId id, long timeTick, MessageId lastConfirmedId) {
        this(id, timeTick, lastConfirmedId, 0, List.of());
    }

    public AppendResult withTxnId(long txn) {
        return new AppendResult(id, timeTick, lastConfirmedId, txn, flushedSegmentIds);
    }

    public AppendResult withFlushedSegmentIds(List<Long> segments) {
        return new AppendResult(id, timeTick, lastConfirmedId, txnId, segments);
    }
}
