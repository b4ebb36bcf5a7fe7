package io.tidelog.client;

import io.tidelog.common.Backoff;
import io.tidelog.message.MessageLimits;
import java.time.Duration;
import java.util.List;

/**
 * The validated options of one {@link StreamingClient}; see {@link StreamingClient.Builder} for each
 * option's meaning and default.
 */
record ClientConfig(List<String> targets, Duration appendTimeout, MessageLimits limits, boolean idempotentAppends,
        int maxInFlightPerPchannel,
        long maxInFlightBytesPerPchannel, int maxQueuedPerPchannel, long maxQueuedBytesPerPchannel, Duration backoffInitial, Duration backoffMax,
        Duration openTimeout, Duration linger) {

    ClientConfig {
        targets = List.copyOf(targets);
    }

    /** The largest gRPC message the client accepts: a whole transaction may exceed one message's limit. */
    int maxInboundMessageBytes() {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(64L << 20, 4L * limits.maxRecordBytes()));
    }

    Backoff newBackoff() {
        return new Backoff(backoffInitial, backoffMax);
    }
}
