package io.tidelog.node;

import io.tidelog.common.MessageId;

/**
 * The outcome of a run of plain messages appended as one unit ({@link StreamingWal#tryAppendRun}): message
 * {@code i} of the run was appended at {@code ids[i]} with time tick {@code firstTimeTick + i} (a run takes
 * consecutive time ticks), every one stamped with {@code lastConfirmedId}. None belongs to a transaction or sealed
 * segments.
 */
public record AppendedRun(MessageId[] ids, long firstTimeTick, MessageId lastConfirmedId) {

    public int size() {
        return ids.length;
    }

    /** The outcome of message {@code i} as {@link StreamingWal#append} reports one. */
    public AppendResult result(int i) {
        return new AppendResult(ids[i], firstTimeTick + i, lastConfirmedId);
    }
}
