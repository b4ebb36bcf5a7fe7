package io.tidelog.coord;

import io.tidelog.client.Appended;
import io.tidelog.message.MutableMessage;
import java.util.concurrent.CompletableFuture;

/**
 * How the DDL broadcaster appends one message to one vchannel: in a server, {@code StreamingClient::append}
 * of a client aimed at the cluster. The future fails as that method's does; the broadcaster retries every
 * failure with the same idempotency key.
 */
@FunctionalInterface
public interface VchannelAppender {
    CompletableFuture<Appended> append(MutableMessage message);
}
