package io.tidelog.client;

import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.MessageEnvelope;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One append on its way: queued (not sent), then in flight on one stream, then finished. Every field but the
 * final ones is guarded by the lock of the {@link ResumableProducer} that holds it; the outcome is set under
 * that lock by {@link #succeed} or {@link #fail} and handed to the future by {@link #complete} once the lock
 * is released, on the same thread.
 */
final class PendingAppend {
    final long seq;
    final MessageEnvelope envelope;
    final int bytes;
    /** When it was accepted ({@link System#nanoTime()}): its linger and its deadline count from here. */
    final long acceptedNanos;
    final CompletableFuture<Appended> result;
    /** Sent on a stream: from then on its outcome is unknown until answered. */
    boolean sent;
    /** Its request id on the stream it was last sent on (meaningful while {@link #sent}). */
    long requestId;
    /** Its outcome was set; it is in no queue and no stream any more. */
    boolean finished;
    private Appended value;
    private StreamingException error;

    PendingAppend(long seq, MessageEnvelope envelope, int bytes, long acceptedNanos, CompletableFuture<Appended> result) {
        this.seq = seq;
        this.envelope = envelope;
        this.bytes = bytes;
        this.acceptedNanos = acceptedNanos;
        this.result = result;
    }

    /** Records a success (the node's answer, decoded); {@link #complete} hands it to the future. */
    void succeed(MessageId id, long timeTick, MessageId lastConfirmedId, long txnId, List<Long> flushedSegmentIds) {
        finish();
        value = new Appended(envelope.getVchannel(), id, timeTick, lastConfirmedId, txnId, flushedSegmentIds);
    }

    /** Records a failure; {@link #complete} hands it to the future. */
    void fail(StreamingException e) {
        finish();
        error = e;
    }

    private void finish() {
        if (finished) {
            throw new IllegalStateException("append " + seq + " (request " + requestId + ") finished twice");
        }
        finished = true;
    }

    /** Completes the future with the recorded outcome; called once, outside the producer's lock. */
    void complete() {
        if (error != null) {
            result.completeExceptionally(error);
        } else {
            result.complete(value);
        }
    }
}
