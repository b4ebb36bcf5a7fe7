package io.tidelog.wal.pulsar;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.LogRecord;
import io.tidelog.wal.WalScanner;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageIdAdv;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.Reader;

/**
 * A scanner over one pchannel: a non-durable Pulsar reader (no subscription is left behind, nothing retained for
 * it) positioned by the deliver policy. It skips TERM records and drops a data record whose term is below one it has
 * read (none is there when fencing worked: belt and braces), checks each record's CRC32C (over its header too: a
 * record before the start that fails it is skipped and changes nothing; any other fails the scanner with
 * {@code DATA_CORRUPTED}), and delivers records in id order ({@link RecordHeader} has the format).
 *
 * <p>It also drops the second copy of a record the client sent again on a new connection (see
 * {@link ExclusiveWriter}): within a term, each writer numbers its records 1, 2, 3... after its TERM record (their
 * Pulsar sequence ids, which a resent copy keeps), so a data
 * record whose sequence number is not above the last one read of its term is a copy. A scanner that starts inside the
 * log learns the numbers from the records it drops before its start in the same entry; a copy's first copy lies
 * before it, and the writer acknowledges the first copy, so a start after any acknowledged id skips both.
 *
 * <p><b>Gaps.</b> Pulsar's client drops, without telling the application, an entry that fails Pulsar's checksum (or
 * cannot be decompressed); the scanner sees that as a gap in the entries it reads and fails with
 * {@code DATA_CORRUPTED} naming the last record it read before it. BookKeeper numbers a ledger's entries densely from
 * 0, and the broker dispatches every entry of a topic to a reader (this backend writes no markers, transactions or
 * delayed messages, which the broker keeps from readers), so an entry id more than one past the previous one in the
 * same ledger, or a new ledger not read from entry 0, is an entry that went missing. (Truncation deletes whole
 * ledgers: a reader moved past deleted ones lands on entry 0 of the next.) An entry dropped as the last of its ledger
 * shows no gap and goes unnoticed.
 *
 * <p>A start id ({@code START_FROM}/{@code START_AFTER}) before the oldest record the topic keeps fails with
 * {@code OUT_OF_RANGE}. A start inside a batch reads the batch from its first record and drops those before.
 *
 * <p><b>Threads:</b> one polling thread at a time; {@link #close()} from any thread ends a blocked poll within
 * {@value #SLICE_MS} ms.
 */
final class PulsarScanner implements WalScanner {
    private static final int SLICE_MS = 50;

    private final String pchannel;
    private final Reader<byte[]> reader;
    private final MessageId after;
    private final Consumer<PulsarScanner> onClose;
    private volatile boolean closed;
    private StreamingException failure;
    private long highestTerm = -1;
    /** The highest sequence number read of {@link #highestTerm}'s writer since its TERM record. */
    private long highestSequence = -1;
    /** The position of the last message read (before the start, TERM, older-term and copied records too), or null. */
    private MessageIdAdv lastRead;

    private PulsarScanner(String pchannel, Reader<byte[]> reader, MessageId after, Consumer<PulsarScanner> onClose) {
        this.pchannel = pchannel;
        this.reader = reader;
        this.after = after;
        this.onClose = onClose;
    }

    static PulsarScanner open(PulsarClients clients, String pchannel, DeliverPolicy policy,
                              Consumer<PulsarScanner> onClose) {
        if (policy instanceof DeliverPolicy.All) {
            return new PulsarScanner(pchannel, clients.reader(pchannel, org.apache.pulsar.client.api.MessageId.earliest,
                    false), null, onClose);
        }
        if (policy instanceof DeliverPolicy.Latest) {
            return new PulsarScanner(pchannel, clients.reader(pchannel, org.apache.pulsar.client.api.MessageId.latest,
                    false), null, onClose);
        }
        boolean inclusive = policy instanceof DeliverPolicy.StartFrom;
        MessageId id = inclusive ? ((DeliverPolicy.StartFrom) policy).id() : ((DeliverPolicy.StartAfter) policy).id();
        MessageId oldest = oldest(clients, pchannel);
        if (oldest != null && id.isBefore(oldest)) {
            throw new StreamingException(ErrorCode.OUT_OF_RANGE, "pchannel " + pchannel + ": " + id + " was truncated"
                    + " away; the log starts at " + oldest);
        }
        // Drops what the entry holds before the start: everything up to the id itself, or up to the one before it.
        MessageId dropUpTo = inclusive ? previousInEntry(id) : id;
        return new PulsarScanner(pchannel, clients.reader(pchannel, PulsarIds.entryOf(id), true), dropUpTo, onClose);
    }

    private static MessageId previousInEntry(MessageId id) {
        return id.minor() == 0 ? null : MessageId.of(id.major(), id.minor() - 1);
    }

    /** The id of the oldest record the topic keeps, or null if it keeps none. */
    private static MessageId oldest(PulsarClients clients, String pchannel) {
        if (TermFence.lastId(clients, pchannel).isEmpty()) {
            return null;
        }
        try (Reader<byte[]> r = clients.reader(pchannel, org.apache.pulsar.client.api.MessageId.earliest, true)) {
            return PulsarIds.of(PulsarErrors.await(r.readNextAsync(), clients.blockMillis(),
                    "read the oldest record of " + pchannel).getMessageId());
        } catch (java.io.IOException e) {
            throw StreamingException.inner("cannot read pchannel " + pchannel + ": " + e, e);
        }
    }

    @Override
    public LogRecord poll(Duration timeout) throws InterruptedException {
        if (closed) {
            throw StreamingException.onShutdown("the scanner of pchannel " + pchannel + " is closed");
        }
        if (failure != null) {
            throw failure;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            Message<byte[]> m;
            try {
                m = reader.readNext((int) Math.max(0, Math.min(SLICE_MS, TimeUnit.NANOSECONDS.toMillis(left))),
                        TimeUnit.MILLISECONDS);
            } catch (PulsarClientException e) {
                if (closed) {
                    throw StreamingException.onShutdown("the scanner of pchannel " + pchannel + " was closed while polling");
                }
                throw fail(PulsarErrors.toStreaming("pchannel " + pchannel + ": reading failed", e));
            }
            if (Thread.interrupted()) {
                throw new InterruptedException("interrupted while polling pchannel " + pchannel);
            }
            if (closed) {
                throw StreamingException.onShutdown("the scanner of pchannel " + pchannel + " was closed while polling");
            }
            if (m != null) {
                LogRecord r = deliverable(m);
                if (r != null) {
                    return r;
                }
            } else if (deadline - System.nanoTime() <= 0) {
                return null;
            }
        }
    }

    /**
     * The record as delivered, or null for a TERM record, a record before the start, one of an older term, or a second
     * copy of a record.
     */
    private LogRecord deliverable(Message<byte[]> m) {
        checkNoEntryMissing((MessageIdAdv) m.getMessageId());
        MessageId id = PulsarIds.of(m.getMessageId());
        boolean beforeStart = after != null && !id.isAfter(after);
        RecordHeader.Parsed r = RecordHeader.parse(m);
        if (r == null) {
            if (beforeStart) {
                return null; // not delivered, and its term cannot be trusted: it changes nothing
            }
            throw fail(RecordHeader.corrupted(pchannel, m));
        }
        if (!advance(r) || beforeStart) {
            return null;
        }
        return new LogRecord(id, r.record());
    }

    /** Notes the record's term and sequence number; whether it is a data record to deliver (if not before the start). */
    private boolean advance(RecordHeader.Parsed r) {
        if (r.term() < highestTerm) {
            return false;
        }
        if (r.isTermRecord()) {
            highestTerm = r.term();
            highestSequence = 0;
            return false;
        }
        if (r.term() == highestTerm && r.sequence() <= highestSequence) {
            return false;
        }
        highestTerm = r.term();
        highestSequence = r.sequence();
        return true;
    }

    /** Fails with {@code DATA_CORRUPTED} if an entry is missing between the last message read and {@code at}. */
    private void checkNoEntryMissing(MessageIdAdv at) {
        MessageIdAdv last = lastRead;
        lastRead = at;
        if (last == null || at.getLedgerId() < last.getLedgerId()) {
            return;
        }
        boolean dense = at.getLedgerId() == last.getLedgerId() ? at.getEntryId() <= last.getEntryId() + 1
                : at.getEntryId() == 0;
        if (!dense) {
            throw fail(new StreamingException(ErrorCode.DATA_CORRUPTED, "pchannel " + pchannel + ": records are"
                    + " missing after " + PulsarIds.of(last) + " (the next one read is " + PulsarIds.of(at) + "; the"
                    + " Pulsar client drops an entry that fails its checksum)"));
        }
    }

    private StreamingException fail(StreamingException e) {
        failure = e;
        return e;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        reader.closeAsync();
        onClose.accept(this);
    }
}
