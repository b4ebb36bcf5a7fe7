package io.tidelog.client;

import io.tidelog.common.StreamingException;
import io.tidelog.message.MessageIds;
import io.tidelog.proto.AppendResultProto;
import io.tidelog.proto.MessageEnvelope;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/**
 * One append on its way: queued (not sent), then in flight on one stream, then finished. Every field but the
 * final ones is guarded by the lock of the {@link ResumableProducer} that holds it.
 */
final class PendingAppend {
    final long seq;
    final MessageEnvelope envelope;
    final int bytes;
    final CompletableFuture<Appended> result;
    ScheduledFuture<?> timeout;
    /** Sent on a stream: from then on its outcome is unknown until answered. */
    boolean sent;
    /** Its request id on the stream it was last sent on (meaningful while {@link #sent}). */
    long requestId;
    /** Its future was (or is about to be) completed; it is in no queue and no stream any more. */
    boolean finished;

    PendingAppend(long seq, MessageEnvelope envelope, int bytes, CompletableFuture<Appended> result) {
        this.seq = seq;
        this.envelope = envelope;
        this.bytes = bytes;
        this.result = result;
    }

    /** Marks it finished and returns the completion, to run once the producer's lock is released. */
    Runnable succeed(AppendResultProto r) {
        finish();
        Appended a = new Appended(envelope.getVchannel(), MessageIds.fromProto(r.getId()), r.getTimeTick(),
                MessageIds.fromProto(r.getLastConfirmedId()), r.getTxnId(), r.getFlushedSegmentIdsList());
        return () -> result.complete(a);
    }

    /** Marks it finished and returns the failure, to run once the producer's lock is released. */
    Runnable fail(StreamingException e) {
        finish();
        return () -> result.completeExceptionally(e);
    }

    private void finish() {
        finished = true;
        ClientContext.cancel(timeout);
    }
}
