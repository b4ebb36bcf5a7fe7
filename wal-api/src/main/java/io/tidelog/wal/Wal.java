package io.tidelog.wal;

import io.tidelog.common.MessageId;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * One pchannel's log, opened at a term by a {@link WalBackend}. Records are opaque bytes; the node
 * framework above decides what they mean.
 *
 * <p><b>Ordering.</b> The log is a sequence; record ids are strictly increasing along it and scanners
 * read it in that order. Appends made one after another by one thread are stored in that order.
 * Concurrent appends race; their order is the order of their ids.
 *
 * <p><b>Durability point.</b> The future returned by {@link #append} completes successfully only once
 * the record is durable in the backend's sense (local: fdatasync of the file; memory: its simulated
 * sync; remote: the broker's or store's acknowledgement). A record acknowledged this way survives any
 * crash of the process and is delivered by every later scanner that starts at or before it.
 *
 * <p><b>Failure.</b> A future failed with a code of {@link io.tidelog.common.ErrorCode#isNothingWritten()}
 * ({@code INVALID_ARGUMENT}, {@code READ_ONLY}, {@code RESOURCE_EXHAUSTED}, {@code CHANNEL_FENCED}) means nothing
 * was written. Any other failure means the outcome is unknown: the record may or may not appear in the log,
 * whole, never torn. That includes {@code ON_SHUTDOWN} (the log was closed, or the process crashed, under the
 * append): a remote backend cannot know what its broker kept, and callers treat the code alike everywhere. A
 * backend whose disk is full fails with {@code RESOURCE_EXHAUSTED} only when nothing of the record can ever be
 * read. After a failure the log may refuse every later append too (for example after an unknown
 * outcome); closing it and opening the pchannel again at the same term repairs what the failure left.
 *
 * <p><b>Fencing.</b> Opening the same pchannel read-write at a higher term fences this log at the
 * storage: from then on every append of this log fails with {@code CHANNEL_FENCED} (and nothing of it
 * is written), forever, whether or not this process noticed the new term.
 *
 * <p><b>Threads.</b> {@link #append} may be called from any thread. Futures complete on a backend
 * thread: dependent stages must not block it. At any moment at most one thread of the log writes the pchannel's
 * storage in this process (a backend may pass that role between its threads, as {@code local} does). Futures of
 * appends made one after another may complete in another order; their records are stored in order.
 */
public interface Wal extends AutoCloseable {

    String pchannel();

    long term();

    AccessMode accessMode();

    /** The largest record {@link #append} accepts, in bytes. */
    int maxRecordBytes();

    /**
     * Appends one record: the bytes between the buffer's position and limit, copied before the call
     * returns (the caller may reuse the buffer at once).
     *
     * @return the record's id once it is durable; never throws, failures complete the future
     */
    CompletableFuture<MessageId> append(ByteBuffer record);

    /**
     * Records appended together by {@link #appendBatch}: the backend asks each record's size and has it written
     * straight into its own buffer, so a record is serialized once, where it is stored.
     *
     * <p>Called on the appending thread, before {@code appendBatch} returns; not thread-safe.
     */
    interface RecordBatch {
        /** How many records; at least one. */
        int count();

        /** The size of record {@code i} in bytes. */
        int size(int i);

        /** Writes record {@code i} (exactly {@link #size}{@code (i)} bytes) at {@code out}'s position, advancing it. */
        void write(int i, ByteBuffer out);
    }

    /**
     * Appends the records of {@code batch} in order, one after another with no other record between them, as one
     * unit. The future completes with their ids, in order, once every one is durable.
     *
     * <p>It fails as one: with a code of {@link io.tidelog.common.ErrorCode#isNothingWritten()} only if none of the
     * records was written (a record over {@link #maxRecordBytes()} fails the whole batch with
     * {@code INVALID_ARGUMENT}); any other failure leaves the outcome of every record unknown (each may or may not
     * be in the log, whole), as for {@link #append}.
     *
     * <p>The default materializes each record and appends them one by one; a backend that can hand a batch to its
     * storage at once, or write records into its buffer directly, overrides it.
     *
     * @return the ids once all are durable; never throws, failures complete the future
     */
    default CompletableFuture<MessageId[]> appendBatch(RecordBatch batch) {
        int n = batch.count();
        for (int i = 0; i < n; i++) {
            if (batch.size(i) > maxRecordBytes()) {
                return CompletableFuture.failedFuture(io.tidelog.common.StreamingException.invalidArgument("record of "
                        + batch.size(i) + " bytes exceeds the limit of " + maxRecordBytes() + " bytes"));
            }
        }
        @SuppressWarnings({"unchecked", "rawtypes"})
        CompletableFuture<MessageId>[] each = new CompletableFuture[n];
        for (int i = 0; i < n; i++) {
            ByteBuffer record = ByteBuffer.allocate(batch.size(i));
            batch.write(i, record);
            each[i] = append(record.flip());
        }
        return CompletableFuture.allOf(each).handle((v, e) -> {
            if (e == null) {
                MessageId[] ids = new MessageId[n];
                for (int i = 0; i < n; i++) {
                    ids[i] = each[i].join();
                }
                return ids;
            }
            io.tidelog.common.StreamingException first = null;
            boolean someWritten = false;
            for (CompletableFuture<MessageId> f : each) {
                if (!f.isCompletedExceptionally()) {
                    someWritten = true;
                    continue;
                }
                io.tidelog.common.StreamingException x = io.tidelog.common.StreamingException.from(
                        f.handle((id, err) -> err).join());
                if (first == null) {
                    first = x;
                }
                someWritten |= x.isOutcomeUnknown();
            }
            if (someWritten && !first.isOutcomeUnknown()) {
                throw new io.tidelog.common.StreamingException(io.tidelog.common.ErrorCode.UNKNOWN, "pchannel "
                        + pchannel() + ": part of a batch of " + n + " records was written, part failed ("
                        + first.detail() + "); the outcome of each is unknown", first);
            }
            throw first;
        });
    }

    /**
     * As {@link #appendBatch}, if the backend can take the batch without waiting (for room in its queue of bytes
     * not yet durable, for a broker, for a lock held by a thread that waits); otherwise does nothing and returns
     * null, and the caller appends the batch from a thread that may wait. For callers on threads that must never
     * wait (a transport thread carrying many calls). A returned future means exactly what {@code appendBatch}'s
     * would. The default cannot promise not to wait and always returns null.
     */
    default CompletableFuture<MessageId[]> tryAppendBatch(RecordBatch batch) {
        return null;
    }

    /** Opens a scanner; see {@link DeliverPolicy}. Throws {@code OUT_OF_RANGE} for a truncated start id. */
    WalScanner read(DeliverPolicy policy);

    /**
     * Allows the backend to discard every record before {@code upTo}; {@code upTo} and later records stay
     * readable. The backend may keep more (granularity is backend-specific: local discards whole
     * segments). Idempotent; truncating at or below the current start is a no-op. Scanners positioned
     * in the discarded range fail with {@code OUT_OF_RANGE}.
     *
     * @throws io.tidelog.common.StreamingException {@code READ_ONLY} on a read-only log,
     *         {@code INVALID_ARGUMENT} if {@code upTo} lies beyond the end of the log
     */
    void truncate(MessageId upTo);

    /**
     * True if this log was never opened for writing: no record, no term claimed, nothing truncated, as its storage
     * tells now (another process's writes included). A server whose own state is new asks it of every pchannel
     * before its first open, to refuse a log that another cluster, or an earlier life of this one, wrote: replaying
     * it as its own would deliver that log's messages again. Cheap (a lookup or a listing); on any open mode.
     */
    boolean isNew();

    /**
     * Bytes the log holds on its storage now (what truncation frees), or {@code -1} if the backend cannot tell.
     * Cheap: for status, not for accounting.
     */
    default long retainedBytes() {
        return -1;
    }

    /**
     * Stops accepting appends, waits for appends already accepted to finish (each completes, either
     * acknowledged or failed), closes the scanners opened from this log and releases its resources.
     * Idempotent.
     */
    @Override
    void close();
}
