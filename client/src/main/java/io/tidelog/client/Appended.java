package io.tidelog.client;

import io.tidelog.common.MessageId;
import java.util.List;
import java.util.Objects;

/**
 * The outcome of a successful append: the message is durable in its pchannel's WAL.
 *
 * @param vchannel          the vchannel the message was appended to
 * @param id                its position in the pchannel's WAL
 * @param timeTick          its hybrid timestamp: its place in the total order of the pchannel
 * @param lastConfirmedId   reading from this id sees every message with a greater time tick (DESIGN.md §1)
 * @param flushedSegmentIds for a ManualFlush, the segments the node sealed; empty otherwise
 */
public record Appended(String vchannel, MessageId id, long timeTick, MessageId lastConfirmedId,
                       List<Long> flushedSegmentIds) {

    public Appended {
        Objects.requireNonNull(vchannel, "vchannel");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(lastConfirmedId, "lastConfirmedId");
        flushedSegmentIds = List.copyOf(flushedSegmentIds);
    }

    /** An append that sealed no segments. */
    public Appended(String vchannel, MessageId id, long timeTick, MessageId lastConfirmedId) {
        this(vchannel, id, timeTick, lastConfirmedId, List.of());
    }
}
