package io.tidelog.coord;

import io.tidelog.common.MessageId;
import io.tidelog.message.MutableMessage;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * How the DDL broadcaster appends one message to one vchannel: in a server, {@code StreamingClient::append}
 * of a client aimed at the cluster, its result mapped to an {@link Ack}. The future fails as that method's
 * does; the broadcaster retries every failure with the same idempotency key.
 */
@FunctionalInterface
public interface VchannelAppender {
    CompletableFuture<Ack> append(MutableMessage message);

    /**
     * The node's acknowledgement of one copy of a DDL message: what the broadcaster persists of it.
     *
     * @param id                its position in the pchannel's WAL
     * @param timeTick          its time tick
     * @param flushedSegmentIds for a ManualFlush, the segments the node sealed; empty otherwise
     */
    record Ack(MessageId id, long timeTick, List<Long> flushedSegmentIds) {
        public Ack {
            Objects.requireNonNull(id, "id");
            flushedSegmentIds = List.copyOf(flushedSegmentIds);
        }
    }
}
